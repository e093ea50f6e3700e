_base_ = './ufg_bs16_384.py'
# Cotton80: 80 classes; labels 1..80 in anno/{train,test}.txt.
data_root = 'data/UFG/Cotton80'
data_preprocessor = dict(num_classes=80)
train_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, subset='Cotton80'))
val_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, subset='Cotton80'))
test_dataloader = val_dataloader
