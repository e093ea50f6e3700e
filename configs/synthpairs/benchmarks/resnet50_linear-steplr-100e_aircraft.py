# Linear evaluation on FGVC-Aircraft (6,667 'trainval' / 3,333 'test'
# images, 100 variants): the CUB protocol, only the data set changes.
_base_ = ['./resnet50_linear-steplr-100e_cub.py']

dataset_type = 'FGVCAircraft'
data_root = 'data/fgvc_aircraft'
num_classes = 100

model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
