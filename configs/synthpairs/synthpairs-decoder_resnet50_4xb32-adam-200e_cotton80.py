# SynthPairs stage 1 on Cotton80's training images (labels unused): the CUB
# recipe with the data swapped, first link of the chain
#   this -> synthpairs-mocov2_*_cotton80.py
#   -> configs/csdnet/
#      csdnet_resnet50_synthpairs-pre_1xb8-160e_cotton80-384px.py
# Cotton80 has 240 training images (80 classes x 3): with batch 128 and
# drop_last an epoch is one step, so the 200 epochs are 200 Adam steps.
_base_ = ['./synthpairs-decoder_resnet50_4xb32-adam-200e_cub.py']

# Read as the CSDNet configs read it (configs/_base_/datasets/ufg_*.py).
dataset_type = 'UFGDataset'
data_root = 'data/UFG/Cotton80'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subset='Cotton80',
        split='train'))

# One step per epoch: draw every 10 steps, not every 100.
custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=10)]
