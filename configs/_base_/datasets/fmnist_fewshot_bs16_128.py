# The few-shot Fashion-MNIST benchmark set written by
#   python tools/dataset_converters/prepare_fashion_mnist_fewshot.py \
#       --out data/fashion_mnist_fewshot/seed0 --seed 0 --val-per-class 100
# (Debian's dataset-fashion-mnist; 8 confusable classes, 10 training images
# per class, 200 test images per class), read as a UFG subset. Training
# validates on the val split (training-split images that are not shots:
# options are chosen on it); the test split is read by tools/test.py only.
# The 28 px
# grey photos load as 3 identical channels and are upscaled 4.6x for the
# ImageNet weights: train Resize 144 -> RandomCrop 128 -> flip; test Resize
# 144 -> CenterCrop 128. 128 = 4 x 32 keeps the backbone's TF "SAME" padding
# exact. EfficientNet-Lite expects mean = std = 127.5.
dataset_type = 'UFGDataset'
data_root = 'data/fashion_mnist_fewshot/seed0'

data_preprocessor = dict(
    num_classes=8,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(144, 144)),
    dict(type='RandomCrop', crop_size=128),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(144, 144)),
    dict(type='CenterCrop', crop_size=128),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        num_classes=8,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        num_classes=8,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
test_evaluator = val_evaluator
