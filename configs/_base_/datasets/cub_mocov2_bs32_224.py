# CUB-200-2011 as unlabelled SSL data with MoCo v2's augmentation (copied from
# MMPretrain's imagenet_bs32_mocov2.py; docs/methods/synthpairs.md, "Stage 2:
# SSL with synthesized pairs"). The labels are read but no SSL loss sees them.
# 32 images per GPU: the paper's batch of 128 is 4 GPUs x 32.
dataset_type = 'CUB'
data_root = 'data/CUB_200_2011'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# One augmented view t(x).
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=224,
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
clean_pipeline = [dict(type='Resize', scale=(224, 224))]

# Stock MoCo v2 / SimSiam input: two views. SynthPairs configs replace it
# with MultiView(num_views=[2, 1], [view_pipeline, clean_pipeline]).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    # MoCo's queue update needs queue_len % global batch == 0.
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
