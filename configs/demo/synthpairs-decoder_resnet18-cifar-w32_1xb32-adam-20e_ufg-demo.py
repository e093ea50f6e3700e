# SynthPairs stage 1 on the demo data: train the decoder on the frozen encoder
# that stage 2 starts from (docs/methods/synthpairs.md, "Stage 1: decoder
# pre-training"). Offline there are no ImageNet weights, so that encoder is the
# demo ResNet-18 at its seeded random initialisation; its checkpoint (backbone
# + decoder) seeds both demo SSL runs,
# synthpairs-mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py and
# mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py.
_base_ = [
    '../_base_/models/synthpairs-decoder_resnet18-cifar-w32.py',
    '../_base_/datasets/ufg_demo_mocov2_bs32_64.py',
    '../_base_/schedules/decoder_adam.py',
    '../_base_/default_runtime.py',
]

# 256-d feature -> 128 x 8 x 8 -> three x2 blocks -> 64 px.
model = dict(decoder=dict(out_size=64, base_channels=128))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    *_base_.clean_pipeline,
    dict(type='PackInputs'),
]
train_dataloader = dict(drop_last=False, dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_epochs=20)

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=50)]
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=20, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
