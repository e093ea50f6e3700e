# CSDNet on SoyAgeing stage R3: the R1 config
# (csdnet_resnet50_1xb16-160e_soyageing-r1-384px.py) on stage R3's images,
# as configs/baselines/resnet50_soyageing_r3.py is the R1 baseline on them.
_base_ = './csdnet_resnet50_1xb16-160e_soyageing-r1-384px.py'

data_root = 'data/UFG/SoyAgeing/R3'
train_dataloader = dict(
    dataset=dict(data_root=data_root, subset='SoyAgeing-R3'))
val_dataloader = dict(dataset=dict(data_root=data_root, subset='SoyAgeing-R3'))
test_dataloader = val_dataloader
