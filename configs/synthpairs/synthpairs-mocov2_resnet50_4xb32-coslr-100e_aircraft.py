# SynthPairs stage 2, MoCo v2 variant, on FGVC-Aircraft: the CUB
# config with the data and the stage-1 checkpoint swapped. Run
# synthpairs-decoder_*_aircraft.py first.
_base_ = ['./synthpairs-mocov2_resnet50_4xb32-coslr-100e_cub.py']

dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc_aircraft'
# 'trainval' is the paper's training set.
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_'
                     'aircraft/epoch_200.pth')
model = dict(decoder=dict(init_cfg=dict(checkpoint=stage1_checkpoint)))
