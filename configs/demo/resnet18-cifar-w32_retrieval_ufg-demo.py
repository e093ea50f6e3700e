# Retrieval evaluation of a demo SSL encoder (docs/methods/synthpairs.md,
# "Evaluation protocols"): the L2-normalised pooled features of the test split;
# every test image queries all other test images; relevant = same class.
# Reports rank-1, rank-5, mAP.
#   python tools/test.py \
#       configs/demo/resnet18-cifar-w32_retrieval_ufg-demo.py SSL_CKPT
# (the checkpoint's backbone.* weights load into the retriever; the other
# keys of an SSL checkpoint are ignored).
_base_ = [
    '../_base_/datasets/ufg_demo_bs16_64.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='EmbeddingRetriever',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        base_channels=32,
        stem_channels=32,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
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
