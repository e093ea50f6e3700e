# CSDNet on Cotton80 with its ResNet-50 initialised by SynthPairs-MoCo on
# Cotton80's own training images instead of ImageNet-1k: the chain
#   synthpairs/synthpairs-decoder_resnet50_4xb32-adam-200e_cotton80.py
#   -> synthpairs/synthpairs-mocov2_resnet50_4xb32-coslr-100e_cotton80.py
#   -> this config.
# The SSL run starts from the ImageNet weights itself, so this is ImageNet
# + self-supervised adaptation to the target images. SSL used 224 px views,
# CSDNet trains at 384 px (the ResNet is size-agnostic).
_base_ = ['./csdnet_resnet50_1xb8-160e_cotton80-384px.py']

ssl_checkpoint = ('work_dirs/synthpairs-mocov2_resnet50_4xb32-coslr-100e_'
                  'cotton80/epoch_100.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=ssl_checkpoint, prefix='backbone.')))
