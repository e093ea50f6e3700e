# MMPretrain's default runtime plus the plugin import.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['csdnet_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # The plugin's hooks, here so MMPretrain's own tools/train.py runs them
    # too: exact resume (RNG states in checkpoints) and a stop at the first
    # NaN/inf loss. Turn one off in a child config with
    # `default_hooks = dict(nonfinite=dict(enable=False))`, or remove it with
    # `default_hooks = dict(nonfinite=None)`.
    rng_state=dict(type='RNGStateHook'),
    nonfinite=dict(type='NonFiniteLossHook'),
    # Stops a classifier whose loss sits at chance after it had learned.
    collapse=dict(type='CollapseHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo on machines without CUDA.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
