# Stock MMPretrain ImageClassifier on the generated demo data, CPU-sized
# (random initialisation: no weights can be downloaded).
_base_ = [
    '../_base_/models/resnet18_cifar_w32.py',
    '../_base_/datasets/ufg_demo_bs16_64.py',
    '../_base_/schedules/demo_adamw_30e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=10))
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
