# Linear evaluation of the low-resolution SSL protocol: the ResNet-18
# (CIFAR stem, half width) is frozen, BN statistics included; a linear
# classifier on its BN-standardised pooled features learns from the 100
# labelled images per class (the _50pct / _20pct configs keep 50 / 20 % of
# them) and is validated on the val split, tested on the test split. The
# encoder comes from an SSL checkpoint (CONFIG: this file):
#   python tools/train.py CONFIG \
#       --cfg-options model.backbone.init_cfg.checkpoint=SSL_CKPT
# The recipe of the other linear configs
# (schedules/linear_sgd_steplr_30e.py).
_base_ = [
    '../_base_/models/resnet18_cifar_w32.py',
    '../_base_/datasets/fmnist_bs64_32px.py',
    '../_base_/schedules/linear_sgd_steplr_30e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        frozen_stages=4,
        init_cfg=dict(
            type='Pretrained', checkpoint='SSL_CKPT', prefix='backbone.')),
    neck=dict(_delete_=True, type='PooledBatchNormNeck', in_channels=256),
    head=dict(num_classes=8))

default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=30, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
