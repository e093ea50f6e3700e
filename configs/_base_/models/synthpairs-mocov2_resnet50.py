# SynthPairs-MoCo ("Ours", docs/methods/synthpairs.md): the MoCo v2 of
# mocov2_resnet50.py (same encoder, weights, queue, neck and head) plus the
# decoder D, the feature perturbation and the generated-pair loss,
# L = L_ssl + rec_weight L_rec + gen_weight L_gen. Every reconstructed option
# stays at its module default (docs/methods/synthpairs.md, "Reconstructed
# choices", gives each with its reason); the parts name their type so one
# option is one `--cfg-options model.perturbation.bank_size=1024`.
# Offline, override `model.backbone.init_cfg=None`.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='SynthPairsMoCo',
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
        temperature=0.2),
    # The ResNet-50 decoder of synthpairs-decoder_resnet50.py; a leaf loads
    # its stage-1 checkpoint through decoder.init_cfg.
    decoder=dict(type='FeatureDecoder'),
    perturbation=dict(type='FeaturePerturbation'),
    gen_loss=dict(type='NTXentLoss'))
