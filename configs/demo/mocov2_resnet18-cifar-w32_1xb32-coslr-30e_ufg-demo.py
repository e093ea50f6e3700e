# MMPretrain's MoCo v2 on the demo data, CPU-sized: the baseline of
# synthpairs-mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py with
# the same encoder initialisation, data, schedule and seed. The encoder starts
# from the stage-1 checkpoint's backbone (run
# synthpairs-decoder_resnet18-cifar-w32_1xb32-adam-20e_ufg-demo.py
# first), i.e. the same seeded random ResNet-18 as SynthPairs.
_base_ = [
    '../_base_/datasets/ufg_demo_mocov2_bs32_64.py',
    '../_base_/default_runtime.py',
]

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet18-cifar-w32_1xb32-'
                     'adam-20e_ufg-demo/epoch_20.pth')

model = dict(
    type='MoCo',
    # 8 batches of 32; divisible by the global batch on 1, 2, 4 and 8 ranks.
    queue_len=256,
    feat_dim=128,
    momentum=0.001,
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        base_channels=32,
        stem_channels=32,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='backbone.')),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=256,
        hid_channels=256,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

# MoCo v2's optimiser (SGD 0.03, momentum 0.9, wd 1e-4, cosine).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, begin=0, end=30)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30)

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
