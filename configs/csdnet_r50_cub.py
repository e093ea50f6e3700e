# CSDNet on CUB-200-2011: the ResNet-50 baseline (MMPretrain's CUB recipe)
# plus SSDP, DDL and SSDT. That recipe trains every layer at one learning
# rate, so the new layers get no multiplier either.
_base_ = [
    './baselines/resnet50_cub.py',
    './_base_/methods/csdnet_r50.py',
]

model = {{_base_.csdnet_model}}
custom_hooks = {{_base_.csdnet_hooks}}
