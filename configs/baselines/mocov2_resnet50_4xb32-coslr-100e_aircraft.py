# Stock MMPretrain MoCo v2 on FGVC-Aircraft (unlabelled training images): the
# paper's baseline (arXiv:2407.14676, Table 1; docs/methods/synthpairs.md).
# ResNet-50 from the ImageNet-1k supervised weights, 100 epochs, batch 128 = 4
# GPUs x 32.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/fgvc_aircraft_mocov2_bs32_224.py',
    '../_base_/schedules/ssl_sgd_coslr_100e.py',
    '../_base_/default_runtime.py',
]
