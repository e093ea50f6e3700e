# Stock MMPretrain ImageClassifier baseline of the real-image few-shot
# benchmark: ImageNet EfficientNet-Lite0 fine-tuned on 10 images per class of
# 8 confusable Fashion-MNIST classes (docs/benchmarks.md,
# "Real images, offline").
# tools/realdata_benchmark.py runs it for several seeds (data_root
# .../seed<S>, randomness.seed=S).
_base_ = [
    '../_base_/models/efficientnet-lite0.py',
    '../_base_/datasets/fmnist_fewshot_bs16_128.py',
    '../_base_/schedules/fmnist_sgd_coslr_30e.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
