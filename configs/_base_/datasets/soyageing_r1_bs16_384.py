_base_ = './ufg_bs16_384.py'
# SoyAgeing-R1: 198 classes; labels 1..198 in anno/{train,test}.txt.
# Stages R3-R6 have the same classes and layout: their configs inherit the
# R1 config and set only data_root and subset (data/UFG/SoyAgeing/R<n>,
# SoyAgeing-R<n>).
data_root = 'data/UFG/SoyAgeing/R1'
data_preprocessor = dict(num_classes=198)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyAgeing-R1'))
val_dataloader = dict(
    batch_size=16, dataset=dict(data_root=data_root, subset='SoyAgeing-R1'))
test_dataloader = val_dataloader
