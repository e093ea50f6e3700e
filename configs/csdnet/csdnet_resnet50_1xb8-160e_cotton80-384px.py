# CSDNet on Cotton80: configs/baselines/resnet50_cotton80.py
# (UFG protocol) plus SSDP, DDL and SSDT (../_base_/csdnet_method_ufg-160e.py).
_base_ = [
    '../_base_/csdnet_method_ufg-160e.py',
    '../_base_/datasets/cotton80_bs8_384.py',
]

model = dict(head=dict(num_classes=80))
