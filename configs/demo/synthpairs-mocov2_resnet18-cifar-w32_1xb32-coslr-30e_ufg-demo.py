# SynthPairs-MoCo (stage 2) on the demo data:
# mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py plus the decoder
# from stage 1
# (synthpairs-decoder_resnet18-cifar-w32_1xb32-adam-20e_ufg-demo.py), the
# feature perturbation and the generated-pair loss. Reconstructed options
# stay at their module defaults (docs/methods/synthpairs.md, "Reconstructed
# choices"), as in the ResNet-50 configs; the demo sizes the decoder and
# the bank.
_base_ = ['./mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py']

model = dict(
    type='SynthPairsMoCo',
    decoder=dict(
        type='FeatureDecoder',
        # 256-d feature -> 128 x 8 x 8 -> three x2 blocks -> 64 px.
        in_channels=256,
        out_size=64,
        base_channels=128,
        num_upsample=3,
        init_cfg=dict(
            type='Pretrained',
            checkpoint={{_base_.stage1_checkpoint}},
            prefix='decoder.')),
    # The whole demo training set (320 images).
    perturbation=dict(type='FeaturePerturbation', bank_size=320),
    gen_loss=dict(type='NTXentLoss'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[2, 1],
        transforms=[{{_base_.view_pipeline}}, {{_base_.clean_pipeline}}]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='GeneratedPairsHook')]
