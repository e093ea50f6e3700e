# CSDNet on the second backbone of the few-shot benchmark: the stock
# MobileNetV2 baseline plus CSDNet exactly as in
# csdnet_efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py (both last
# stages have 1280 channels).
_base_ = './mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot.py'

model = dict(
    type='CSDNet',
    neck=dict(_delete_=True, type='SSDP', in_channels=1280),
    queue_neck=dict(type='MemoryQueueNeck', in_channels=1280, queue_len=256),
    qc_loss=dict(type='QueueContrastiveLoss'),
    ssdt_loss=dict(type='SSDTLoss'))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.)}))
custom_hooks = [dict(type='SSDPHook', vis_interval=50)]
