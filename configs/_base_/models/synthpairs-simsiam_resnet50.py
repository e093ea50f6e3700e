# SynthPairs-SimSiam ("SimSiam + Ours", docs/methods/synthpairs.md,
# "SimSiam variant"): the SimSiam of simsiam_resnet50.py (same encoder,
# weights, BN instead of SyncBN, projector and predictor) plus the decoder D,
# the feature perturbation and the generated-pair loss. Every reconstructed
# option stays at its module default (docs/methods/synthpairs.md,
# "Reconstructed choices"); the parts name their type so one option is one
# `--cfg-options`. On GPUs, `--cfg-options sync_bn=torch` converts every BN
# to SyncBN as in MMPretrain's SimSiam.
# Offline, override `model.backbone.init_cfg=None`.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='SynthPairsSimSiam',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        # Only acts on a random initialisation; the checkpoint wins.
        zero_init_residual=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=2048,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=2048,
            hid_channels=512,
            out_channels=2048,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='BN1d'))),
    # The ResNet-50 decoder of synthpairs-decoder_resnet50.py; a leaf loads
    # its stage-1 checkpoint through decoder.init_cfg.
    decoder=dict(type='FeatureDecoder'),
    perturbation=dict(type='FeaturePerturbation'),
    gen_loss=dict(type='NTXentLoss'))
