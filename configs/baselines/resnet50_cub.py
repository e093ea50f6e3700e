# Stock MMPretrain ImageClassifier baseline on CUB-200-2011: ResNet-50,
# ImageNet-1k initialisation by URL, MMPretrain's CUB recipe (448 px).
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/cub_bs8_448.py',
    '../_base_/schedules/cub_sgd_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=200))
