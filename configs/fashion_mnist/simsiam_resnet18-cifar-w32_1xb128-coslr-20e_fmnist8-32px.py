# SimSiam from random weights on the 8000-image Fashion-MNIST pool at 32 px
# (docs/benchmarks.md, "SynthPairs against MoCo v2 and SimSiam"): the
# baseline of
# synthpairs-simsiam_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py.
# Data, views, start, schedule, optimiser and seed are those of
# mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py, so the
# protocol's two SSL methods share one budget; SimSiam's own rule is
# added: the predictor keeps a constant lr (`fix_lr` + SimSiamHook), and
# EmbeddingCollapseHook stops the run if the projector output collapses
# (SimSiam's known failure).
_base_ = [
    '../_base_/models/simsiam_resnet18-cifar-w32.py',
    '../_base_/datasets/fmnist_pool_mocov2_bs128_32px.py',
    '../_base_/schedules/lowres_ssl_sgd_coslr_20e.py',
    '../_base_/default_runtime.py',
]

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
custom_hooks = [
    dict(
        type='SimSiamHook',
        priority='HIGH',
        fix_pred_lr=True,
        lr=_base_.optim_wrapper.optimizer.lr),
    dict(type='EmbeddingCollapseHook'),
]

# As the MoCo v2 run: a checkpoint every epoch, one kept.
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
