# MoCo v2 from random weights on the 8000-image Fashion-MNIST pool at 32 px
# (docs/benchmarks.md, "SynthPairs against MoCo v2"): the baseline of
# synthpairs-mocov2_resnet18-cifar-w32_fmnist8-32px.py (same data, start,
# schedule and seed). SGD at MoCo v2's 0.03 per 256 images scaled to a
# batch of 128, cosine; momentum 0.99 for the short schedule (MoCo's CIFAR
# recipes use 0.99).
_base_ = [
    '../_base_/models/mocov2_resnet18-cifar-w32.py',
    '../_base_/datasets/fmnist_pool_mocov2_bs128_32px.py',
    '../_base_/default_runtime.py',
]

max_epochs = 20
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.06, weight_decay=5e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

# A checkpoint every epoch (40-60 MB, one kept): a run on a CPU takes hours
# and an interruption then costs at most one epoch.
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
