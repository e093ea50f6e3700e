# CSDNet on the generated demo data: `resnet18_demo.py` (same data, schedule,
# seed and budget) plus SSDP, DDL and SSDT with the spec's defaults, sized
# for the 256-channel last stage of the demo ResNet-18.
_base_ = './resnet18_demo.py'

model = dict(
    type='CSDNet',
    neck=dict(_delete_=True, type='SSDP', in_channels=256),
    queue_neck=dict(type='MemoryQueueNeck', in_channels=256),
    qc_loss=dict(type='QueueContrastiveLoss'),
    ssdt_loss=dict(type='SSDTLoss'))

custom_hooks = [dict(type='SSDPHook', vis_interval=100)]
