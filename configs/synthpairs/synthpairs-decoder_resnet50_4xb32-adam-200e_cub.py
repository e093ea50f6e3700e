# SynthPairs stage 1 on CUB-200-2011: train the decoder D on the frozen
# ImageNet-1k ResNet-50 that stage 2 starts from (docs/methods/synthpairs.md,
# "Stage 1: decoder pre-training"): L_rec = MSE(D(GAP(f(x))), x) on the
# training images resized to 224 px, Adam lr 1e-3, 200 epochs, batch 128 = 4
# GPUs x 32. Its last checkpoint (decoder.*) initialises D in
# synthpairs-{mocov2,simsiam}_*_cub.py.
_base_ = [
    '../_base_/models/synthpairs-decoder_resnet50.py',
    '../_base_/datasets/cub_mocov2_bs32_224.py',
    '../_base_/schedules/decoder_adam_200e.py',
    '../_base_/default_runtime.py',
]

# The clean image only; its size is the decoder's out_size.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    *_base_.clean_pipeline,
    dict(type='PackInputs'),
]
# drop_last (from the SSL data) also spares the decoder's BatchNorm1d a
# one-image last batch.
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='GeneratedPairsHook')]
