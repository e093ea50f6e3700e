# SynthPairs stage 1 for the low-resolution SSL protocol: the decoder learns
# to reconstruct the 32 px pool images from the frozen encoder at its start
# (here: random weights, drawn by randomness.seed). The checkpoint
# (encoder + decoder) is the start of every SSL run of the protocol, so
# MoCo v2, SynthPairs and the "no SSL" reference share one encoder.
_base_ = [
    '../_base_/models/synthpairs-decoder_resnet18-cifar-w32.py',
    '../_base_/datasets/fmnist_pool_mocov2_bs128_32px.py',
    '../_base_/schedules/decoder_adam.py',
    '../_base_/default_runtime.py',
]

# 256-d feature -> 256 x 4 x 4 -> three x2 blocks -> 32 px.
model = dict(decoder=dict(out_size=32, base_channels=256))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    *_base_.clean_pipeline,
    dict(type='PackInputs'),
]
train_dataloader = dict(drop_last=False, dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_epochs=5)

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=100)]
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=5, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
