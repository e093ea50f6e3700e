# SynthPairs stage 1 (docs/methods/synthpairs.md, "Stage 1: decoder
# pre-training"): the paper gives no schedule for D, so Adam keeps lr 1e-3
# for every epoch. A config sets train_cfg.max_epochs (decoder_adam_200e.py:
# the paper's 200).
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop')
