# CSDNet on SoyGlobal: configs/baselines/resnet50_soyglobal.py
# (UFG protocol) plus SSDP, DDL and SSDT (../_base_/csdnet_method_ufg-160e.py).
_base_ = [
    '../_base_/csdnet_method_ufg-160e.py',
    '../_base_/datasets/soyglobal_bs16_384.py',
]

model = dict(head=dict(num_classes=1938))
