# Stock MMPretrain ImageClassifier baseline on SoyGlobal: ResNet-50,
# ImageNet-1k initialisation by URL, the UFG reference protocol.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/soyglobal_bs16_384.py',
    '../_base_/schedules/ufg_sgd_160e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1938))
