_base_ = './ufg_bs16_384.py'
# SoyGene: 1110 classes; labels 1..1110 in anno/{train,test}.txt.
data_root = 'data/UFG/SoyGene'
data_preprocessor = dict(num_classes=1110)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyGene'))
val_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyGene'))
test_dataloader = val_dataloader
