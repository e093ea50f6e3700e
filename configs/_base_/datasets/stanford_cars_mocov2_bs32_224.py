# Stanford Cars (8,144 training images, 196 classes) as unlabelled SSL data:
# the CUB file's MoCo v2 recipe, only the dataset changes.
_base_ = './cub_mocov2_bs32_224.py'

dataset_type = 'StanfordCars'
data_root = 'data/stanfordcars'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
