# SynthPairs stage 1 on the real-image benchmark: train the decoder on the
# frozen ImageNet EfficientNet-Lite0 (docs/methods/synthpairs.md, "Stage 1:
# decoder pre-training"), on the same unlabelled pool as stage 2. Its
# checkpoint (backbone + decoder) seeds
# synthpairs-mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py.
_base_ = [
    '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/fmnist_fewshot_mocov2_bs32_128.py',
    '../_base_/schedules/decoder_adam.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='DecoderPretrain',
    freeze_backbone=True,
    backbone=_base_.model.backbone,
    # 1280-d feature -> 128 x 8 x 8 -> four x2 blocks -> 128 px (CPU-sized
    # width; the ResNet-50 configs start from 512 channels).
    decoder=dict(
        type='FeatureDecoder',
        in_channels=1280,
        out_size=128,
        base_channels=128,
        num_upsample=4))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    *_base_.clean_pipeline,
    dict(type='PackInputs'),
]
train_dataloader = dict(drop_last=False, dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_epochs=10)

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=40)]
default_hooks = dict(
    logger=dict(interval=4), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
