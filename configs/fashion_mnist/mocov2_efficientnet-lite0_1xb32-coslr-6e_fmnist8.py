# MMPretrain's MoCo v2 on the real-image benchmark's unlabelled pool, from
# the ImageNet EfficientNet-Lite0 weights (the paper's protocol: every SSL
# method starts from the supervised ImageNet encoder): the baseline of
# synthpairs-mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py (same
# data, schedule, seed). CPU-sized: 6 epochs of 12 batches of 32.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/fmnist_fewshot_mocov2_bs32_128.py',
    '../_base_/default_runtime.py',
]

# The MoCo v2 of mocov2_resnet50.py on the encoder of
# models/efficientnet-lite0.py; the neck takes its 1280-d feature.
pretrained = 'checkpoints/efficientnet-lite0_in1k_mmpretrain.pth'
model = dict(
    # 8 batches of 32; divisible by the global batch on 1, 2, 4 and 8 ranks.
    queue_len=256,
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(in_channels=1280, hid_channels=1280))

# The SSL schedule of the plugin's CUB/Cars/Aircraft configs
# (ssl_sgd_coslr_100e.py: SGD 0.03 for a batch of 128, momentum 0.9, wd
# 1e-4, cosine), its learning rate scaled linearly to the batch of 32.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.0075, weight_decay=1e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=6, by_epoch=True, begin=0, end=6)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)

default_hooks = dict(
    logger=dict(interval=4), checkpoint=dict(interval=6, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
