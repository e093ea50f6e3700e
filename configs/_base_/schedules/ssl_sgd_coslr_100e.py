# MoCo v2's optimiser on the paper's schedule (docs/methods/synthpairs.md,
# "Stage 2: SSL with synthesized pairs"): SGD lr 0.03, momentum 0.9, wd 1e-4,
# cosine over 100 epochs, batch 128.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)

# lr 0.03 belongs to the paper's total batch of 128 (4 GPUs x 32).
auto_scale_lr = dict(base_batch_size=128)
