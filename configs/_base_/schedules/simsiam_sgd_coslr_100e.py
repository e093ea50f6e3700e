# SimSiam's optimiser (MMPretrain's simsiam_resnet50_8xb32-coslr-100e_in1k;
# docs/methods/synthpairs.md, "Stage 2: SSL with synthesized pairs"): SGD lr
# 0.05, momentum 0.9, wd 1e-4; the encoder follows the cosine schedule, the
# predictor keeps a constant lr (`fix_lr` + SimSiamHook), 100 epochs, batch
# 128.
lr = 0.05
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=lr, weight_decay=1e-4, momentum=0.9),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)

# SimSiamHook resets the predictor's lr to `lr` every epoch. It does not see
# --auto-scale-lr: scale `lr` here by hand when the batch is not 128.
# EmbeddingCollapseHook stops a run whose projector output has collapsed to
# one point, SimSiam's known failure, which no loss value reveals.
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr),
    dict(type='EmbeddingCollapseHook'),
]

auto_scale_lr = dict(base_batch_size=128)
