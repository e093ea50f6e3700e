_base_ = './ufg_bs16_384.py'
# SoyGlobal: 1938 classes; labels 1..1938 in anno/{train,test}.txt.
data_root = 'data/UFG/SoyGlobal'
data_preprocessor = dict(num_classes=1938)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyGlobal'))
val_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyGlobal'))
test_dataloader = val_dataloader
