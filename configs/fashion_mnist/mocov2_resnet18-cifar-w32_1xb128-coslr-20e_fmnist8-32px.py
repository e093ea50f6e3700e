# MoCo v2 from random weights on the 8000-image Fashion-MNIST pool at 32 px
# (docs/benchmarks.md, "SynthPairs against MoCo v2 and SimSiam"): the
# baseline of
# synthpairs-mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py
# (same data, start, schedule and seed). Momentum 0.99 for the short schedule
# (MoCo's CIFAR recipes use 0.99).
_base_ = [
    '../_base_/models/mocov2_resnet18-cifar-w32.py',
    '../_base_/datasets/fmnist_pool_mocov2_bs128_32px.py',
    '../_base_/schedules/lowres_ssl_sgd_coslr_20e.py',
    '../_base_/default_runtime.py',
]

# A checkpoint every epoch (40-60 MB, one kept): a run on a CPU takes hours
# and an interruption then costs at most one epoch.
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
