# SynthPairs stage 1 (docs/methods/synthpairs.md, "Stage 1: decoder
# pre-training"): the paper gives no schedule for D, so Adam keeps lr 1e-3
# for all 200 epochs.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)

# lr 1e-3 belongs to a total batch of 128 (4 GPUs x 32).
auto_scale_lr = dict(base_batch_size=128)
