# SynthPairs stage 1 on CUB-200-2011: train the decoder D on the frozen
# ImageNet-1k ResNet-50 that stage 2 starts from (docs/methods/synthpairs.md,
# "Stage 1: decoder pre-training"): L_rec = MSE(D(GAP(f(x))), x) on the
# training images resized to 224 px, Adam lr 1e-3, 200 epochs, batch 128 = 4
# GPUs x 32. Its last checkpoint (decoder.*) initialises D in
# synthpairs-{mocov2,simsiam}_*_cub.py.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/cub_mocov2_bs32_224.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/synthpairs_r50.py',
]

model = dict(
    _delete_=True,
    type='DecoderPretrain',
    # Frozen weights, BN in eval mode: D learns to invert this encoder.
    freeze_backbone=True,
    # MoCo v2's backbone: the same ImageNet-initialised ResNet-50.
    backbone=_base_.model.backbone,
    decoder=_base_.synthpairs_decoder)

# The clean image only; its size is the decoder's out_size.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    *_base_.clean_pipeline,
    dict(type='PackInputs'),
]
# drop_last (from the SSL data) also spares the decoder's BatchNorm1d a
# one-image last batch.
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# The paper gives no schedule for D: constant lr.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
auto_scale_lr = dict(base_batch_size=128)

custom_hooks = _base_.synthpairs_hooks
