# MoCo v2 data on the few-shot Fashion-MNIST set's unlabelled pool
# (anno/unlabeled.txt: 50 training-split images per class, the same for
# every seed; SSL losses never see the labels). MoCo v2's augmentation list
# at 128 px (colour jitter changes only brightness and contrast of the grey
# photos).
dataset_type = 'UFGDataset'
data_root = 'data/fashion_mnist_fewshot/seed0'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=128,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
# The non-augmented image SynthPairs reconstructs (decoder output size).
clean_pipeline = [dict(type='Resize', scale=(128, 128))]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    # MoCo's queue update needs queue_len % global batch == 0.
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        num_classes=8,
        split='train',
        ann_file='anno/unlabeled.txt',
        pipeline=train_pipeline))
