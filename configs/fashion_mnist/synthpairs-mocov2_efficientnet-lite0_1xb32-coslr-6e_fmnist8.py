# SynthPairs-MoCo (stage 2) on the real-image benchmark:
# mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py plus the decoder
# from stage 1
# (synthpairs-decoder_efficientnet-lite0_1xb32-adam-10e_fmnist8.py), the
# feature perturbation and the generated-pair loss, every option at its
# module default as in the ResNet-50 configs
# (configs/_base_/models/synthpairs-mocov2_resnet50.py) except the decoder's
# size and the bank.
_base_ = './mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py'

stage1_checkpoint = ('work_dirs/synthpairs-decoder_efficientnet-lite0_'
                     '1xb32-adam-10e_fmnist8/epoch_10.pth')
model = dict(
    type='SynthPairsMoCo',
    decoder=dict(
        type='FeatureDecoder',
        # 1280-d feature -> 128 x 8 x 8 -> four x2 blocks -> 128 px
        # (CPU-sized width; the ResNet-50 decoder starts from 512 channels).
        in_channels=1280,
        out_size=128,
        base_channels=128,
        num_upsample=4,
        init_cfg=dict(
            type='Pretrained', checkpoint=stage1_checkpoint,
            prefix='decoder.')),
    # One epoch of the unlabelled pool (12 batches of 32), not 4096 rows.
    perturbation=dict(type='FeaturePerturbation', bank_size=384),
    gen_loss=dict(type='NTXentLoss'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[2, 1],
        transforms=[_base_.view_pipeline, _base_.clean_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=48)]
