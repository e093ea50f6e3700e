# SynthPairs stage 2, MoCo v2 variant ("Ours"), on Stanford Cars: the MoCo v2
# baseline plus the decoder from stage 1, the feature perturbation and the
# generated-pair loss, L = L_ssl + 1.0 L_rec + 0.5 L_gen
# (docs/methods/synthpairs.md). Run synthpairs-decoder_*_cars.py first.
_base_ = [
    '../baselines/mocov2_resnet50_4xb32-coslr-100e_cars.py',
    '../_base_/methods/synthpairs_r50.py',
]

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_'
                     'cars/epoch_200.pth')
model = dict(
    type='SynthPairsMoCo',
    decoder=dict(
        _base_.synthpairs_decoder,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='decoder.')),
    **_base_.synthpairs_options,
    **_base_.synthpairs_moco_options)

# Inputs [t(x), t'(x), x_clean]: MoCo's two views and the clean image.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[2, 1],
         transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = _base_.synthpairs_hooks
