# SynthPairs-MoCo (stage 2) on the real-image benchmark:
# mocov2_efficientnet-lite0_fmnist8.py plus the decoder from stage 1
# (synthpairs-decoder_efficientnet-lite0_fmnist8.py), the feature
# perturbation and the generated-pair loss with every option at the
# defaults of the ResNet-50 configs (synthpairs_r50.py), except the
# decoder's size (1280-d feature, 128 px, 128 base channels) and the bank:
# one epoch of the unlabelled pool (12 batches of 32) instead of 4096 rows.
_base_ = [
    './mocov2_efficientnet-lite0_fmnist8.py',
    '../_base_/methods/synthpairs_r50.py',
]

stage1_checkpoint = \
    'work_dirs/synthpairs-decoder_efficientnet-lite0_fmnist8/epoch_10.pth'
model = dict(
    dict(
        type='SynthPairsMoCo',
        **_base_.synthpairs_options,
        **_base_.synthpairs_moco_options),
    decoder=dict(
        _base_.synthpairs_decoder,
        # 1280-d feature -> 128 x 8 x 8 -> four x2 blocks -> 128 px.
        in_channels=1280,
        out_size=128,
        base_channels=128,
        num_upsample=4,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='decoder.')),
    perturbation=dict(_base_.synthpairs_options['perturbation'],
                      bank_size=384))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[2, 1],
         transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(_base_.synthpairs_hooks[0], vis_interval=48)]
