# UFG CNN reference schedule (as in the public MaskCOV training code of the
# Ultra-FGVC benchmark): SGD momentum 0.9, no weight decay, lr 1e-3 for
# pretrained layers and 10x for new ones, StepLR (60 epochs, gamma 0.1), 160
# epochs.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=0),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}))

param_scheduler = dict(type='StepLR', by_epoch=True, step_size=60, gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=160, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# batch 8 x 1 GPU in the reference code for Cotton80.
auto_scale_lr = dict(base_batch_size=8)
