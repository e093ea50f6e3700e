# The SSL schedule of the low-resolution protocol (docs/benchmarks.md,
# "SynthPairs against MoCo v2 and SimSiam"), shared by its MoCo v2 and
# SimSiam runs so both methods get one budget: SGD lr 0.06, momentum 0.9,
# wd 5e-4 (the CIFAR recipes' wd) for batches of 128, cosine over 20 epochs
# (1240 steps on the 8000-image pool). The lr is 4x what MoCo v2's linear
# rule (0.03 per 256 images) gives for 128, for the short schedule; it was
# fixed with the protocol, before any SynthPairs run.
max_epochs = 20
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.06, weight_decay=5e-4, momentum=0.9))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
