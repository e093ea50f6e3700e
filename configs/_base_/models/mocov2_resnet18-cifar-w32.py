# MoCo v2 on a CPU-sized encoder for the low-resolution SSL protocol: the
# ResNet-18 of resnet18_cifar_w32.py (CIFAR stem, half width; a 32 px input
# leaves a 4 x 4 x 256 last-stage map), trained from random weights. The
# neck and head are MoCo v2's (mmpretrain configs/_base_/models/
# mocov2_resnet50.py) at the encoder's 256 channels.
_base_ = ['./resnet18_cifar_w32.py']

model = dict(
    _delete_=True,
    type='MoCo',
    queue_len=4096,
    feat_dim=128,
    momentum=0.01,
    data_preprocessor=dict(
        mean=(72.9, 72.9, 72.9), std=(90.0, 90.0, 90.0), to_rgb=True),
    backbone=_base_.model.backbone,
    neck=dict(
        type='MoCoV2Neck',
        in_channels=256,
        hid_channels=1024,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))
