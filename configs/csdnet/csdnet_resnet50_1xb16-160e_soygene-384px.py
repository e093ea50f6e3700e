# CSDNet on SoyGene: configs/baselines/resnet50_soygene.py
# (UFG protocol) plus SSDP, DDL and SSDT.
_base_ = [
    '../_base_/models/csdnet_r50.py',
    '../_base_/datasets/soygene_bs16_384.py',
    '../_base_/schedules/ufg_sgd_160e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1110))
# The protocol's 10x learning rate for new layers covers the SSDP kernel and
# the DDL projection too (both live in `*neck*` modules).
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.)}))
custom_hooks = [dict(type='SSDPHook')]
