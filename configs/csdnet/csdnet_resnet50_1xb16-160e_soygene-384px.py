# CSDNet on SoyGene: configs/baselines/resnet50_soygene.py
# (UFG protocol) plus SSDP, DDL and SSDT (../_base_/csdnet_method_ufg-160e.py).
_base_ = [
    '../_base_/csdnet_method_ufg-160e.py',
    '../_base_/datasets/soygene_bs16_384.py',
]

model = dict(head=dict(num_classes=1110))
