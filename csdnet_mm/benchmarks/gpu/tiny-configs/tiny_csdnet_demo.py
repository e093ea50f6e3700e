# tiny_demo.py with all of CSDNet (SSDP, DDL, SSDT), a short queue so it
# wraps within the 4 iterations (it still holds one 2-process global batch
# of 2 x 4 images x 2 views), and an SSDP grid every 2 iterations.
_base_ = ['./tiny_demo.py']

model = dict(
    type='CSDNet',
    neck=dict(_delete_=True, type='SSDP', in_channels=256),
    queue_neck=dict(type='MemoryQueueNeck', in_channels=256, queue_len=20),
    qc_loss=dict(type='QueueContrastiveLoss'),
    ssdt_loss=dict(type='SSDTLoss'))

custom_hooks = [dict(type='SSDPHook', vis_interval=2)]
