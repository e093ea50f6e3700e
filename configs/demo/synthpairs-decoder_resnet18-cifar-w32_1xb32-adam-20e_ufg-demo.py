# SynthPairs stage 1 on the demo data: train the decoder on the frozen encoder
# that stage 2 starts from (docs/methods/synthpairs.md, "Stage 1: decoder
# pre-training"). Offline there are no ImageNet weights, so that encoder is the
# demo ResNet-18 at its seeded random initialisation; its checkpoint (backbone
# + decoder) seeds both demo SSL runs,
# synthpairs-mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py and
# mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py.
_base_ = [
    '../_base_/datasets/ufg_demo_mocov2_bs32_64.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='DecoderPretrain',
    freeze_backbone=True,
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        base_channels=32,
        stem_channels=32,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    # 256-d feature -> 128 x 8 x 8 -> three x2 blocks -> 64 px.
    decoder=dict(
        type='FeatureDecoder',
        in_channels=256,
        out_size=64,
        base_channels=128,
        num_upsample=3))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64)),
    dict(type='PackInputs'),
]
train_dataloader = dict(drop_last=False, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20)

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=50)]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=20, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
