# The generated demo set (created on first use under data/ufg_demo), read as
# a UFG subset. The pipeline is the UFG protocol scaled to 72 px images,
# without the rotation: a 15 deg turn moves a glyph's corner cells by about
# one 3 px cell, i.e. it rewrites the very detail that defines the class.
# train Resize 72 -> RandomCrop 64 -> flip;
# test Resize 72 -> CenterCrop 64 (same pixel scale as training: the class
# lives in a 15 px glyph, so a test-time rescale would change it).
dataset_type = 'UFGDemoDataset'
data_root = 'data/ufg_demo'

data_preprocessor = dict(
    num_classes=10,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(72, 72)),
    dict(type='RandomCrop', crop_size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(72, 72)),
    dict(type='CenterCrop', crop_size=64),
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
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
