# CSDNet on the real-image few-shot benchmark: the stock baseline
# (efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py: same data,
# weights, schedule, seed) plus SSDP, DDL and SSDT at their defaults
# (docs/methods/csdnet.md), sized for EfficientNet-Lite0's 1280-channel
# last stage (4x4 at 128 px), with the 10x learning rate of the new neck
# layers as in the UFG configs.
# The queue is shortened from 1024 to 256 rows: with 80 training images,
# 1024 rows would hold 13 epochs of stale features.
_base_ = './efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py'

model = dict(
    type='CSDNet',
    neck=dict(_delete_=True, type='SSDP', in_channels=1280),
    queue_neck=dict(type='MemoryQueueNeck', in_channels=1280, queue_len=256),
    qc_loss=dict(type='QueueContrastiveLoss'),
    ssdt_loss=dict(type='SSDTLoss'))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.)}))
custom_hooks = [dict(type='SSDPHook', vis_interval=50)]
