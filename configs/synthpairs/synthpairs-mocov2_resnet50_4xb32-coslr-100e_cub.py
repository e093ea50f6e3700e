# SynthPairs stage 2, MoCo v2 variant ("Ours"), on CUB-200-2011:
# configs/baselines/mocov2_resnet50_4xb32-coslr-100e_cub.py with the model
# of _base_/models/synthpairs-mocov2_resnet50.py (the decoder from stage 1,
# the feature perturbation and the generated-pair loss,
# L = L_ssl + 1.0 L_rec + 0.5 L_gen; docs/methods/synthpairs.md). Run
# synthpairs-decoder_*_cub.py first.
_base_ = [
    '../_base_/models/synthpairs-mocov2_resnet50.py',
    '../_base_/datasets/cub_mocov2_bs32_224.py',
    '../_base_/schedules/ssl_sgd_coslr_100e.py',
    '../_base_/default_runtime.py',
]

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_'
                     'cub/epoch_200.pth')
model = dict(
    decoder=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=stage1_checkpoint,
            prefix='decoder.')))

# Inputs [t(x), t'(x), x_clean]: MoCo's two views and the clean image.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[2, 1],
        transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='GeneratedPairsHook')]
