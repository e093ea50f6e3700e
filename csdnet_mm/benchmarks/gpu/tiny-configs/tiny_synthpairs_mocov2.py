# A few iterations of the demo SynthPairs-MoCo on a tiny demo set: the bank
# (12 rows) wraps within the 4 iterations, grids every 2 iterations. The
# tests point both init checkpoints at a tiny stage-1 run; gpu_check drops
# them (random initialisation). See tiny_demo.py.
_base_ = ['../../../.mim/configs/demo/synthpairs_mocov2_demo.py']

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
model = dict(queue_len=8, perturbation=dict(bank_size=12))
train_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4)
param_scheduler = []
custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=2)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=3))
randomness = dict(seed=0, deterministic=True)
log_processor = dict(by_epoch=False)
