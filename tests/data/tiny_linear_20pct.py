# A few iterations of the demo linear evaluation with 20 % of the labels on
# a tiny demo set (1 image per class). The tests set the encoder checkpoint.
_base_ = ['../../configs/demo/linear_r18_demo_20pct.py']

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
model = dict(head=dict(num_classes=4))
data_preprocessor = dict(num_classes=4)
train_dataloader = dict(
    batch_size=4, dataset=dict(dataset=dict(demo_spec=demo_spec)))
val_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
test_dataloader = val_dataloader
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=True)
log_processor = dict(by_epoch=False)
