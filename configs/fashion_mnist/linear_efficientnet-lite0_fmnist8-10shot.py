# Linear evaluation on the real-image benchmark (the linear protocol of
# docs/methods/synthpairs.md, "Evaluation protocols", at this scale): the
# EfficientNet-Lite0 is frozen (all stages, BN statistics included), a
# linear classifier is trained on its pooled features with the
# 10 labelled images per class, and tested on the 200 per class. The
# encoder defaults to the ImageNet weights (the "no SSL" reference);
# evaluate an SSL encoder with
#   python tools/train.py \
#       configs/fashion_mnist/linear_efficientnet-lite0_fmnist8-10shot.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=SSL_CKPT
# Features are standardised by a BN without affine parameters (MAE's linear
# probing), as in the demo's linear configs, so one recipe fits every
# encoder: SGD lr 0.1, wd 0, steps at 60 % and 80 % of 30 epochs.
_base_ = [
    '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/fmnist_fewshot_bs16_128.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(frozen_stages=8),
    neck=dict(_delete_=True, type='PooledBatchNormNeck', in_channels=1280))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[18, 24], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
