_base_ = './ufg_bs16_384.py'
# SoyAgeing-R4: 198 classes; labels 1..198 in anno/{train,test}.txt.
data_root = 'data/UFG/SoyAgeing/R4'
data_preprocessor = dict(num_classes=198)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyAgeing-R4'))
val_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyAgeing-R4'))
test_dataloader = val_dataloader
