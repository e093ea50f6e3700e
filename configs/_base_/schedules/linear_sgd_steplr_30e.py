# Linear evaluation of the CPU-sized SSL encoders (demo, Fashion-MNIST
# 10-shot and 32 px): SGD lr 0.1, momentum 0.9, wd 0, steps at 60 % and 80 %
# of 30 epochs, one validation after the last epoch. One recipe fits every
# encoder because the linear configs standardise the pooled features
# (PooledBatchNormNeck: a BN without affine parameters, MAE's linear probing).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[18, 24], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()
