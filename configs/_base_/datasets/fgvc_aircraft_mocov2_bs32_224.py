# FGVC-Aircraft (100 variants) as unlabelled SSL data: the CUB file's MoCo
# v2 recipe, only the dataset changes. 'trainval' (6,667 images) is the
# paper's training set; 'train' alone has half of it.
_base_ = './cub_mocov2_bs32_224.py'

dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc_aircraft'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
