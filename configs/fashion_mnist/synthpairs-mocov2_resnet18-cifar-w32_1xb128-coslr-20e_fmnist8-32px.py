# SynthPairs-MoCo (stage 2) for the low-resolution SSL protocol:
# mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py plus the
# stage-1 decoder
# (synthpairs-decoder_resnet18-cifar-w32_1xb128-adam-5e_fmnist8-32px.py),
# the feature perturbation and the generated-pair loss at the modules'
# defaults; the decoder is sized for the 256-d feature and 32 px, the
# feature bank holds 4096 rows as in the ResNet-50 configs. The diagnostic
# rows of docs/benchmarks.md are one option each:
# model.perturbation.noise_mode=gradcam / lowvar / random,
# model.gen_weight=0.
_base_ = ['./mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py']

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet18-cifar-w32_'
                     '1xb128-adam-5e_fmnist8-32px/epoch_5.pth')
model = dict(
    type='SynthPairsMoCo',
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

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[2, 1],
        transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=200)]
