# Labelled data of the low-resolution SSL protocol (the set described in
# fmnist_pool_mocov2_bs128_32px.py): anno/train.txt (100 labelled images per
# class; LabelSubsetDataset takes 50 % / 20 % of them), anno/val.txt (100 per
# class, training split, for choosing options) and anno/test.txt (500 per
# class, t10k). 28 px photos padded to 32 px; Fashion-MNIST's mean and std.
dataset_type = 'UFGDataset'
data_root = 'data/fmnist_ssl/seed0'

data_preprocessor = dict(
    num_classes=8,
    mean=[72.9, 72.9, 72.9],
    std=[90.0, 90.0, 90.0],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
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
    batch_size=256,
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
