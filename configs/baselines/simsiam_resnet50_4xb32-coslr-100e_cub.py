# Stock MMPretrain SimSiam on CUB-200-2011 (unlabelled training images): the
# baseline of "SimSiam + Ours" (arXiv:2407.14676, Table 3;
# docs/methods/synthpairs.md, "SimSiam variant"). ResNet-50 from the
# ImageNet-1k supervised weights, MoCo v2's augmentation (as MMPretrain's
# SimSiam config), 100 epochs, batch 128 = 4 GPUs x 32.
_base_ = [
    '../_base_/models/simsiam_resnet50.py',
    '../_base_/datasets/cub_mocov2_bs32_224.py',
    '../_base_/schedules/simsiam_sgd_coslr_100e.py',
    '../_base_/default_runtime.py',
]
