# Linear evaluation of an SSL encoder on CUB-200-2011
# (docs/methods/synthpairs.md, "Evaluation protocols"; MMPretrain's
# mocov2/benchmarks/resnet50_8xb32-linear-steplr-100e_in1k on the paper's
# data): the ResNet-50 is frozen (stem, all stages and their BN statistics) and
# a linear classifier is trained on its 2048-d pooled features with 100 % of
# the labels (the _50pct / _20pct files: fewer). SGD lr 30, wd 0, steps at
# epochs 60 and 80, 100 epochs, batch 128 = 4 GPUs x 32. Pass the encoder (any
# checkpoint with backbone.* keys):
#   tools/dist_train.sh CONFIG 4 \
#       --cfg-options model.backbone.init_cfg.checkpoint=SSL_CKPT
# The paper does not say whether it reports the best or the last epoch:
# validation runs every epoch (both are in the log) and the best
# checkpoint is kept.
_base_ = [
    '../../_base_/models/resnet50.py',
    '../../_base_/default_runtime.py',
]

dataset_type = 'CUB'
data_root = 'data/CUB_200_2011'
num_classes = 200

model = dict(
    backbone=dict(
        frozen_stages=4,
        # checkpoint='' fails loudly if the encoder is not passed.
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    head=dict(num_classes=num_classes))

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# Crop sizes are reconstructed (MoCo's linear protocol; the paper's were
# lost).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(
    checkpoint=dict(
        interval=10,
        max_keep_ckpts=1,
        save_best='accuracy/top1',
        rule='greater'))
