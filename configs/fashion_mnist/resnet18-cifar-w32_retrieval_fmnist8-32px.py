# Retrieval evaluation of the low-resolution SSL protocol: L2-normalised
# pooled features of the 4000 test images; every test image queries all
# others; relevant = same class (rank-1, rank-5, mAP).
#   python tools/test.py \
#       configs/fashion_mnist/resnet18-cifar-w32_retrieval_fmnist8-32px.py \
#       SSL_CKPT
_base_ = [
    '../_base_/models/resnet18_cifar_w32.py',
    '../_base_/datasets/fmnist_bs64_32px.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='EmbeddingRetriever',
    backbone=_base_.model.backbone,
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
