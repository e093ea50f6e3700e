# SynthPairs stage 2, SimSiam variant, on Stanford Cars: the CUB
# config with the data and the stage-1 checkpoint swapped. Run
# synthpairs-decoder_*_cars.py first.
_base_ = ['./synthpairs-simsiam_resnet50_4xb32-coslr-100e_cub.py']

dataset_type = 'StanfordCars'
data_root = 'data/stanfordcars'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_'
                     'cars/epoch_200.pth')
model = dict(decoder=dict(init_cfg=dict(checkpoint=stage1_checkpoint)))
