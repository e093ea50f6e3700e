# Stock MMPretrain ImageClassifier baseline on SoyAgeing stage R6: the R1
# baseline (resnet50_soyageing_r1.py: ResNet-50, ImageNet-1k initialisation
# by URL, the UFG reference protocol) on stage R6's images.
_base_ = './resnet50_soyageing_r1.py'

data_root = 'data/UFG/SoyAgeing/R6'
train_dataloader = dict(
    dataset=dict(data_root=data_root, subset='SoyAgeing-R6'))
val_dataloader = dict(dataset=dict(data_root=data_root, subset='SoyAgeing-R6'))
test_dataloader = val_dataloader
