# Self-supervised data for the low-resolution SSL protocol
# (docs/benchmarks.md, "SynthPairs against MoCo v2 and SimSiam"): the
# Fashion-MNIST pool written by
#   python tools/dataset_converters/prepare_fashion_mnist_fewshot.py \
#       --out data/fmnist_ssl/seed0 --seed 0 --shots 100 \
#       --unlabeled-per-class 1000 --val-per-class 100 --test-per-class 500
# (anno/unlabeled.txt: 1000 training-split images of each of the 8 classes;
# SSL never reads the labels). The 28 px photos are used at 32 px, where a
# small encoder trained from random weights fits a CPU. MoCo v2's views
# without the Gaussian blur: at 32 px it removes most of the image, which is
# why SimCLR's and MoCo's CIFAR recipes drop it too; colour jitter changes
# only brightness and contrast of the grey photos.
dataset_type = 'UFGDataset'
data_root = 'data/fmnist_ssl/seed0'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[72.9, 72.9, 72.9],
    std=[90.0, 90.0, 90.0],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=32,
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
    dict(type='RandomFlip', prob=0.5),
]
# The non-augmented image SynthPairs reconstructs (decoder output size).
clean_pipeline = [dict(type='Resize', scale=(32, 32))]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
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
