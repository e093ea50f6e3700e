# CSDNet on the ResNet-50 classifier of resnet50.py (same backbone, weights
# and head): SSDP, DDL and SSDT at their module defaults, which
# docs/methods/csdnet.md lists with the reason for each. Only what a module
# cannot default is written here; every part still names its type, so one
# option is one `--cfg-options model.qc_loss.margin=0.6`, and leaving a part
# out (e.g. queue_neck + qc_loss) turns that module off.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='CSDNet',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    # SSDP replaces the pooling neck: it pools the re-weighted last stage
    # (2048 channels), and during training its mask makes the augmented view.
    neck=dict(type='SSDP', in_channels=2048),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    # DDL: memory queue of projected features (iota) and the margin (xi)
    # loss; its loss_weight is alpha.
    queue_neck=dict(type='MemoryQueueNeck', in_channels=2048),
    qc_loss=dict(type='QueueContrastiveLoss'),
    # SSDT: logit distillation between the two views; loss_weight is beta.
    ssdt_loss=dict(type='SSDTLoss'))
