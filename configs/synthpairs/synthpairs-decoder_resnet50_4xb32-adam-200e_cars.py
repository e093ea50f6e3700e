# SynthPairs stage 1 on Stanford Cars (8,144 training images): the CUB
# config with the data swapped. Its last checkpoint initialises D in
# synthpairs-{mocov2,simsiam}_*_cars.py.
_base_ = ['./synthpairs-decoder_resnet50_4xb32-adam-200e_cub.py']

dataset_type = 'StanfordCars'
data_root = 'data/stanfordcars'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
