# CSDNet on CUB-200-2011: configs/baselines/resnet50_cub.py (MMPretrain's
# CUB recipe) plus SSDP, DDL and SSDT (../_base_/csdnet_method.py). That
# recipe trains every layer at one learning rate, so the new layers get no
# multiplier either.
_base_ = [
    '../_base_/csdnet_method.py',
    '../_base_/datasets/cub_bs8_448.py',
    '../_base_/schedules/cub_sgd_100e.py',
]

model = dict(head=dict(num_classes=200))
