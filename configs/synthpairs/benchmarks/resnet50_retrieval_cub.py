# Retrieval evaluation of an SSL encoder on CUB-200-2011
# (docs/methods/synthpairs.md, "Evaluation protocols"): the L2-normalised
# 2048-d pooled features of the test split; every test image queries all other
# test images by cosine similarity; relevant = same class. Reports rank-1,
# rank-5 and mAP (x 100). No parameter changes, so there is no training part:
#   python tools/test.py CONFIG SSL_CKPT
# test.py loads the checkpoint non-strictly: its backbone.* weights fill the
# retriever and the rest of an SSL checkpoint (encoder_k.*, decoder.*, the
# projection neck, queues) is only reported as unexpected. The paper's
# "ResNet50" row is the ImageNet-1k checkpoint itself (its URL works as
# SSL_CKPT).
_base_ = ['../../_base_/default_runtime.py']

dataset_type = 'CUB'
data_root = 'data/CUB_200_2011'

model = dict(
    type='EmbeddingRetriever',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    # Parameter-free pooling: the SSL projection head is not evaluated.
    neck=dict(type='GlobalAveragePooling'),
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True))

# The linear evaluation's test transform.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
test_dataloader = dict(
    batch_size=32,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_evaluator = dict(type='LeaveOneOutRetrieval', topk=(1, 5))
test_cfg = dict()
