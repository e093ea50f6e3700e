# Retrieval evaluation on Stanford Cars' test split (8,041 images, 196
# classes): the CUB protocol, only the data set changes.
_base_ = ['./resnet50_retrieval_cub.py']

dataset_type = 'StanfordCars'
data_root = 'data/stanfordcars'
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
