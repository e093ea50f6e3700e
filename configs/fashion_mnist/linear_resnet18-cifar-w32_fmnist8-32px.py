# Linear evaluation of the low-resolution SSL protocol: the ResNet-18
# (CIFAR stem, half width) is frozen, BN statistics included; a linear
# classifier on its BN-standardised pooled features learns from the 100
# labelled images per class (the _50pct / _20pct configs keep 50 / 20 % of
# them) and is validated on the val split, tested on the test split. The
# encoder comes from an SSL checkpoint:
#   python tools/train.py \
#       configs/fashion_mnist/linear_resnet18-cifar-w32_fmnist8-32px.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=SSL_CKPT
# The recipe of the other linear configs (SGD lr 0.1, wd 0, steps at 60 %
# and 80 % of 30 epochs).
_base_ = [
    '../_base_/models/resnet18_cifar_w32.py',
    '../_base_/datasets/fmnist_bs64_32px.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint='SSL_CKPT',
                      prefix='backbone.')),
    neck=dict(_delete_=True, type='PooledBatchNormNeck', in_channels=256),
    head=dict(num_classes=8))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[18, 24], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=30, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
