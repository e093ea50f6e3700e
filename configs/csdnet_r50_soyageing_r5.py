# CSDNet on SoyAgeing stage R5: the ResNet-50 baseline plus SSDP, DDL and SSDT.
_base_ = [
    './baselines/resnet50_soyageing_r5.py',
    './_base_/methods/csdnet_r50.py',
]

model = {{_base_.csdnet_model}}
optim_wrapper = {{_base_.csdnet_new_layers_lr}}
custom_hooks = {{_base_.csdnet_hooks}}
