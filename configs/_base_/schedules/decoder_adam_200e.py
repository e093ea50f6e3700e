# SynthPairs stage 1 on the paper's data: decoder_adam.py (Adam, lr 1e-3
# kept constant) for 200 epochs.
_base_ = ['./decoder_adam.py']

train_cfg = dict(max_epochs=200)

# lr 1e-3 belongs to a total batch of 128 (4 GPUs x 32).
auto_scale_lr = dict(base_batch_size=128)
