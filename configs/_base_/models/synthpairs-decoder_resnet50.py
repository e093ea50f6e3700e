# SynthPairs stage 1 (docs/methods/synthpairs.md, "Stage 1: decoder
# pre-training"): the decoder D learns to invert the encoder that stage 2
# starts from, so the backbone is mocov2_resnet50.py's (a test checks it),
# frozen with its BN in eval mode (DecoderPretrain's default).
# FeatureDecoder's defaults are the ResNet-50 decoder: 2048-d feature ->
# 512 x 7 x 7 -> five x2 blocks -> 224 px, 54.25 M parameters; its out_size
# must equal the clean view's Resize scale.
# Offline, override `model.backbone.init_cfg=None`.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='DecoderPretrain',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    decoder=dict(type='FeatureDecoder'))
