# Mixing CSDNet into a stock MMPretrain config of another backbone:
# MMPretrain's Swin-L on CUB-200-2011 (384 px, ImageNet-21k weights by URL),
# unchanged but for the method. Swin-L's last stage is a 1536-channel feature
# map (12x12 at 384 px), which is all SSDP needs.
_base_ = 'mmpretrain::swin_transformer/swin-large_8xb8_cub-384px.py'

custom_imports = dict(imports=['csdnet_mm'], allow_failed_imports=False)

model = dict(
    type='CSDNet',
    neck=dict(_delete_=True, type='SSDP', in_channels=1536),
    queue_neck=dict(type='MemoryQueueNeck', in_channels=1536),
    qc_loss=dict(type='QueueContrastiveLoss'),
    ssdt_loss=dict(type='SSDTLoss'))

custom_hooks = [dict(type='SSDPHook')]

# `mmpretrain::` inheritance adds `_scope_` to the visualizer dict, which
# Visualizer.__init__ rejects when a tool passes the dict as keyword
# arguments (MMPretrain's browse_dataset.py; docs/stack-fixes.md,
# "Visualizer scope in browse_dataset"); rebuild it without.
visualizer = dict(
    _delete_=True,
    type='UniversalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')])
