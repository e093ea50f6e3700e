# SimSiam on the CPU-sized encoder of the low-resolution SSL protocol: the
# ResNet-18 of resnet18_cifar_w32.py (CIFAR stem, half width, 256-d feature)
# from random weights. The projector and predictor are MMPretrain's SimSiam
# ones (simsiam_resnet50.py) scaled to the 256-d feature the way SimSiam's
# CIFAR variant scales them: a 2-layer projector (the CIFAR recipe's depth)
# of width 4 x 256, a predictor with the 4x bottleneck. Plain BN, so the
# model runs on a CPU and in gloo runs.
_base_ = ['./resnet18_cifar_w32.py']

model = dict(
    _delete_=True,
    type='SimSiam',
    data_preprocessor=dict(
        mean=(72.9, 72.9, 72.9), std=(90.0, 90.0, 90.0), to_rgb=True),
    backbone=_base_.model.backbone,
    neck=dict(
        type='NonLinearNeck',
        in_channels=256,
        hid_channels=1024,
        out_channels=1024,
        num_layers=2,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=1024,
            hid_channels=256,
            out_channels=1024,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='BN1d'))))
