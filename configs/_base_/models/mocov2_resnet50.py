# MMPretrain's MoCo v2 (mocov2_resnet50_8xb32-coslr-200e_in1k.py) with the
# paper's ImageNet-1k supervised initialisation (every method starts from
# it: docs/methods/synthpairs.md, "What the paper establishes"). Offline,
# override `model.backbone.init_cfg=None` to start from random weights.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='MoCo',
    # 65536 = 512 batches of 128: queue_len % global batch == 0.
    queue_len=65536,
    feat_dim=128,
    # mmengine's EMA weight of the online encoder: MoCo's m = 0.999.
    momentum=0.001,
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))
