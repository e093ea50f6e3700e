# Stock MMPretrain ImageClassifier baseline of the real-image few-shot
# benchmark: ImageNet EfficientNet-Lite0 fine-tuned on 10 images per class of
# 8 confusable Fashion-MNIST classes (README, "Real images, offline").
# tools/realdata_benchmark.py runs it for 3 seeds (data_root .../seed<S>,
# randomness.seed=S).
_base_ = [
    '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/fmnist_fewshot_bs16_128.py',
    '../_base_/default_runtime.py',
]

# SGD fine-tuning, cosine over 30 epochs of 5 batches; the new head and all
# pretrained layers share the learning rate.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, begin=0, end=30)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
