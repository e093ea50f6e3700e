# CSDNet's parts for a ResNet-50 classifier (2048-channel last stage), kept
# in variables so each `csdnet_r50_*.py` adds exactly this to its baseline:
#   model = {{_base_.csdnet_model}}
# (a base cannot define `model` itself: MMEngine rejects keys that two bases
# share). Every value is the default given in docs/methods/csdnet.md.
csdnet_model = dict(
    type='CSDNet',
    # SSDP: content-aware kernel + sigma(P) re-weighting + pooling; its mask
    # makes the augmented view during training.
    neck=dict(
        _delete_=True,
        type='SSDP',
        in_channels=2048,
        kernel_type='dynamic',
        kernel_size=3,
        hidden_ratio=16,
        reduce_channels=64,
        reweight='product',
        threshold='mean',
        view_mode='crop_zoom',
        box_padding=0.0,
        min_box_frac=0.25),
    # DDL: projection + memory queue (iota) and the margin (xi) loss; alpha
    # is the loss weight.
    queue_neck=dict(
        type='MemoryQueueNeck',
        in_channels=2048,
        queue_len=1024,
        feat_dim=128,
        proj_type='linear'),
    qc_loss=dict(
        type='QueueContrastiveLoss',
        margin=0.4,
        use_batch=True,
        reduction='pairs',
        loss_weight=1.0),
    # SSDT: the raw view teaches the augmented view; beta is the loss weight.
    ssdt_loss=dict(
        type='SSDTLoss',
        temperature=4.0,
        direction='raw_to_aug',
        loss_weight=1.0),
    aug_cls_weight=1.0,
    store_views='both')

# SSDP start, alpha/beta ramp and the picture grid (no warm-up by default).
csdnet_hooks = [
    dict(type='SSDPHook', start=0, ramp=0, by_epoch=False, vis_interval=100)
]

# The UFG protocol's 10x learning rate for new layers covers the SSDP kernel
# and the DDL projection too (both live in `*neck*` modules).
csdnet_new_layers_lr = dict(
    paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.)}))
