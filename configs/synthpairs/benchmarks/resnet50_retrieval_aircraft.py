# Retrieval evaluation on FGVC-Aircraft's test split (3,333 images, 100
# variants): the CUB protocol, only the data set changes.
_base_ = ['./resnet50_retrieval_cub.py']

dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc_aircraft'
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
