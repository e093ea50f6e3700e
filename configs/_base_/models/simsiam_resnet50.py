# MMPretrain's SimSiam (simsiam_resnet50_8xb32-coslr-100e_in1k.py) with the
# paper's ImageNet-1k supervised initialisation (docs/methods/synthpairs.md,
# "What the paper establishes").
# MMPretrain uses SyncBN in the backbone and both necks; torch's SyncBN
# refuses CPU tensors in a distributed run, so plain BN is written here (BN1d
# in the necks, which see pooled vectors) and CPU/gloo runs work. On GPUs,
# `--cfg-options sync_bn=torch` converts every BN to SyncBN again.
# Offline, override `model.backbone.init_cfg=None`.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='SimSiam',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        # Only acts on a random initialisation; the checkpoint wins.
        zero_init_residual=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=2048,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=2048,
            hid_channels=512,
            out_channels=2048,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='BN1d'))))
