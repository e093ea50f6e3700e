# SynthPairs stage 2, SimSiam variant ("SimSiam + Ours"), on Stanford Cars:
# the SimSiam baseline plus the decoder from stage 1, the feature
# perturbation and the generated-pair loss (docs/methods/synthpairs.md,
# "SimSiam variant"). Run synthpairs-decoder_*_cars.py first.
_base_ = [
    '../baselines/simsiam_resnet50_4xb32-coslr-100e_cars.py',
    '../_base_/methods/synthpairs_r50.py',
]

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_'
                     'cars/epoch_200.pth')
model = dict(
    type='SynthPairsSimSiam',
    decoder=dict(
        _base_.synthpairs_decoder,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='decoder.')),
    **_base_.synthpairs_options,
    **_base_.synthpairs_simsiam_options)

# Inputs [t(x), t'(x), x_clean]: SimSiam's two views and the clean image.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[2, 1],
         transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# SimSiamHook keeps the predictor's lr constant; the SynthPairs hook draws.
custom_hooks = _base_.custom_hooks + _base_.synthpairs_hooks
