# A few iterations of the demo MoCo v2 baseline on a tiny demo set. The
# tests point `model.backbone.init_cfg.checkpoint` at a tiny stage-1 run.
_base_ = ['../../configs/demo/mocov2_demo.py']

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
# Divisible by the global batch of 1 and 2 processes.
model = dict(queue_len=8)
train_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4)
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=3))
randomness = dict(seed=0, deterministic=True)
log_processor = dict(by_epoch=False)
