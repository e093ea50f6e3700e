# SynthPairs stage 1 on the CPU-sized ResNet-18 of resnet18_cifar_w32.py
# (CIFAR stem, half width, 256-d feature), frozen: the decoder learns to
# invert the encoder that stage 2 starts from, here its seeded random
# initialisation. The decoder upsamples the 256-d feature with three x2
# blocks; a config sets its base_channels and out_size, which must equal the
# clean view's Resize scale.
_base_ = ['./resnet18_cifar_w32.py']

model = dict(
    _delete_=True,
    type='DecoderPretrain',
    freeze_backbone=True,
    backbone=_base_.model.backbone,
    decoder=dict(type='FeatureDecoder', in_channels=256, num_upsample=3))
