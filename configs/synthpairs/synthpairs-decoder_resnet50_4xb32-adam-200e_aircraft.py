# SynthPairs stage 1 on FGVC-Aircraft (100 variants): the CUB config with
# the data swapped. Its last checkpoint initialises D in
# synthpairs-{mocov2,simsiam}_*_aircraft.py.
_base_ = ['./synthpairs-decoder_resnet50_4xb32-adam-200e_cub.py']

dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc_aircraft'
# 'trainval' (6,667 images) is the paper's training set; 'train' alone has
# half of it.
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
