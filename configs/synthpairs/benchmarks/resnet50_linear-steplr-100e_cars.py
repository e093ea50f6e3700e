# Linear evaluation on Stanford Cars (8,144 / 8,041 images, 196 classes):
# the CUB protocol, only the data set changes.
_base_ = ['./resnet50_linear-steplr-100e_cub.py']

dataset_type = 'StanfordCars'
data_root = 'data/stanfordcars'
num_classes = 196

model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
