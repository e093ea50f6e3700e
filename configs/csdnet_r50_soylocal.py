# CSDNet on SoyLocal: the ResNet-50 baseline plus SSDP, DDL and SSDT.
_base_ = [
    './baselines/resnet50_soylocal.py',
    './_base_/methods/csdnet_r50.py',
]

model = {{_base_.csdnet_model}}
optim_wrapper = {{_base_.csdnet_new_layers_lr}}
custom_hooks = {{_base_.csdnet_hooks}}
