# SynthPairs-SimSiam (stage 2) for the low-resolution SSL protocol:
# simsiam_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py plus the
# stage-1 decoder
# (synthpairs-decoder_resnet18-cifar-w32_1xb128-adam-5e_fmnist8-32px.py,
# the same stage 1 as SynthPairs-MoCo's), the feature perturbation and
# the generated-pair loss at the modules' defaults; decoder and feature
# bank as in
# synthpairs-mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py.
_base_ = ['./simsiam_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py']

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet18-cifar-w32_'
                     '1xb128-adam-5e_fmnist8-32px/epoch_5.pth')
model = dict(
    type='SynthPairsSimSiam',
    decoder=dict(
        type='FeatureDecoder',
        in_channels=256,
        out_size=32,
        base_channels=256,
        num_upsample=3,
        init_cfg=dict(
            type='Pretrained', checkpoint=stage1_checkpoint,
            prefix='decoder.')),
    perturbation=dict(type='FeaturePerturbation', bank_size=4096))

# Inputs [t(x), t'(x), x_clean]: SimSiam's two views and the clean image.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[2, 1],
        transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# A list replaces its base's: SimSiamHook stays, the SynthPairs hook draws.
custom_hooks = _base_.custom_hooks + [
    dict(type='GeneratedPairsHook', vis_interval=200)
]
