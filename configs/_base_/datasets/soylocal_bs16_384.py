_base_ = './ufg_bs16_384.py'
# SoyLocal: 200 classes; labels 1..200 in anno/{train,test}.txt.
data_root = 'data/UFG/SoyLocal'
data_preprocessor = dict(num_classes=200)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyLocal'))
val_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyLocal'))
test_dataloader = val_dataloader
