# Linear evaluation on the real-image benchmark (the linear protocol of
# docs/methods/synthpairs.md, "Evaluation protocols", at this scale): the
# EfficientNet-Lite0 is frozen (all stages, BN statistics included), a
# linear classifier is trained on its pooled features with the
# 10 labelled images per class, and tested on the 200 per class. The
# encoder defaults to the ImageNet weights (the "no SSL" reference);
# evaluate an SSL encoder with (CONFIG: this file)
#   python tools/train.py CONFIG \
#       --cfg-options model.backbone.init_cfg.checkpoint=SSL_CKPT
# Features are standardised by a BN without affine parameters (MAE's linear
# probing), as in the demo's linear configs, so one recipe fits every
# encoder (schedules/linear_sgd_steplr_30e.py).
_base_ = [
    '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/fmnist_fewshot_bs16_128.py',
    '../_base_/schedules/linear_sgd_steplr_30e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(frozen_stages=8),
    neck=dict(_delete_=True, type='PooledBatchNormNeck', in_channels=1280))

default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
