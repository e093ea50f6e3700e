# Retrieval evaluation on the real-image benchmark (docs/methods/synthpairs.md,
# "Evaluation protocols"): L2-normalised pooled EfficientNet-Lite0 features of
# the 1600 test images; every test image queries all others; relevant = same
# class. Reports rank-1, rank-5 and mAP. The encoder defaults to the ImageNet
# weights (the "no SSL" reference); for an SSL encoder:
#   python tools/test.py \
#       configs/fashion_mnist/efficientnet-lite0_retrieval_fmnist8.py SSL_CKPT
_base_ = [
    '../_base_/datasets/fmnist_fewshot_bs16_128.py',
    '../_base_/default_runtime.py',
]

pretrained = 'checkpoints/efficientnet-lite0_in1k_mmpretrain.pth'
model = dict(
    type='EmbeddingRetriever',
    backbone=dict(
        type='EfficientNetLite',
        arch='lite0',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'))

test_evaluator = dict(type='LeaveOneOutRetrieval', topk=(1, 5))

# Evaluation only: no training or validation loop.
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict()
