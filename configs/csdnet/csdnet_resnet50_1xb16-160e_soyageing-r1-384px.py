# CSDNet on SoyAgeing stage R1: configs/baselines/resnet50_soyageing_r1.py
# (UFG protocol) plus SSDP, DDL and SSDT (../_base_/csdnet_method_ufg-160e.py).
_base_ = [
    '../_base_/csdnet_method_ufg-160e.py',
    '../_base_/datasets/soyageing_r1_bs16_384.py',
]

model = dict(head=dict(num_classes=198))
