# CSDNet on SoyLocal: configs/baselines/resnet50_soylocal.py
# (UFG protocol) plus SSDP, DDL and SSDT (../_base_/csdnet_method_ufg-160e.py).
_base_ = [
    '../_base_/csdnet_method_ufg-160e.py',
    '../_base_/datasets/soylocal_bs16_384.py',
]

model = dict(head=dict(num_classes=200))
