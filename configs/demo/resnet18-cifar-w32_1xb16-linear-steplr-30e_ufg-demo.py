# Linear evaluation of a demo SSL encoder (docs/methods/synthpairs.md,
# "Evaluation protocols"): the ResNet-18 is frozen (stem, all stages and their
# BN statistics), a linear classifier is trained on its pooled features with
# 100 % of the labels (the _50pct.py / _20pct.py variants: fewer labels). The
# encoder defaults to the SynthPairs-MoCo demo's; evaluate another one with
#   python tools/train.py \
#       configs/demo/resnet18-cifar-w32_1xb16-linear-steplr-30e_ufg-demo.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=SSL_CKPT
# The pooled features are standardised by a BN without affine parameters
# (MAE's linear-probing normalisation): the demo encoders' pooled features
# differ ~10x in scale, and MoCo's linear lr 30 on raw features diverged on
# the MoCo v2 demo encoder (loss > 500, chance accuracy). With it, one
# recipe fits every encoder (schedules/linear_sgd_steplr_30e.py: SGD lr 0.1,
# wd 0, steps at 60 % and 80 % of 30 epochs). The pipelines are the demo
# classifier's.
_base_ = [
    '../_base_/models/resnet18_cifar_w32.py',
    '../_base_/datasets/ufg_demo_bs16_64.py',
    '../_base_/schedules/linear_sgd_steplr_30e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        frozen_stages=4,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/synthpairs-mocov2_resnet18-cifar-w32_'
            '1xb32-coslr-30e_ufg-demo/epoch_30.pth',
            prefix='backbone.')),
    neck=dict(_delete_=True, type='PooledBatchNormNeck', in_channels=256),
    head=dict(num_classes=10))

# The demo validates every 5 epochs, as its classifier does
# (demo_adamw_30e.py).
train_cfg = dict(val_interval=5)

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
