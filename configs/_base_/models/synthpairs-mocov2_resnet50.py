# SynthPairs-MoCo ("Ours", docs/methods/synthpairs.md): the MoCo v2 of
# mocov2_resnet50.py (same encoder, weights, queue, neck and head) plus the
# decoder D, the feature perturbation and the generated-pair loss,
# L = L_ssl + rec_weight L_rec + gen_weight L_gen. Every reconstructed option
# stays at its module default (docs/methods/synthpairs.md, "Reconstructed
# choices", gives each with its reason); the parts name their type so one
# option is one `--cfg-options model.perturbation.bank_size=1024`.
# Offline, override `model.backbone.init_cfg=None`.
# The MoCo part is mocov2_resnet50.py's, inherited so it is stated once.
_base_ = ['./mocov2_resnet50.py']

model = dict(
    type='SynthPairsMoCo',
    # The ResNet-50 decoder of synthpairs-decoder_resnet50.py; a leaf loads
    # its stage-1 checkpoint through decoder.init_cfg.
    decoder=dict(type='FeatureDecoder'),
    perturbation=dict(type='FeaturePerturbation'),
    gen_loss=dict(type='NTXentLoss'))
