# Fine-tuning schedule of the few-shot Fashion-MNIST benchmark: SGD, cosine
# over 30 epochs (5 batches of 16 per epoch at 10 shots); the new head and
# all pretrained layers share the learning rate. The test set is evaluated
# once, after the last epoch.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, begin=0, end=30)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()
