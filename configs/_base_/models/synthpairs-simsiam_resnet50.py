# SynthPairs-SimSiam ("SimSiam + Ours", docs/methods/synthpairs.md,
# "SimSiam variant"): the SimSiam of simsiam_resnet50.py (same encoder,
# weights, BN instead of SyncBN, projector and predictor) plus the decoder D,
# the feature perturbation and the generated-pair loss. Every reconstructed
# option stays at its module default (docs/methods/synthpairs.md,
# "Reconstructed choices"); the parts name their type so one option is one
# `--cfg-options`. On GPUs, `--cfg-options sync_bn=torch` converts every BN
# to SyncBN as in MMPretrain's SimSiam.
# Offline, override `model.backbone.init_cfg=None`.
# The SimSiam part is simsiam_resnet50.py's, inherited so it is stated once.
_base_ = ['./simsiam_resnet50.py']

model = dict(
    type='SynthPairsSimSiam',
    # The ResNet-50 decoder of synthpairs-decoder_resnet50.py; a leaf loads
    # its stage-1 checkpoint through decoder.init_cfg.
    decoder=dict(type='FeatureDecoder'),
    perturbation=dict(type='FeaturePerturbation'),
    gen_loss=dict(type='NTXentLoss'))
