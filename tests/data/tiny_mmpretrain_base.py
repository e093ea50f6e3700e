# A user's config: MMPretrain's own ResNet-18 recipe as the base (an
# `mmpretrain::` base), the plugin through `custom_imports`, two iterations
# on the tiny demo set. For the stock-tool tests; `data_root` is overridden
# with --cfg-options.
_base_ = 'mmpretrain::resnet/resnet18_8xb32_in1k.py'
custom_imports = dict(imports=['csdnet_mm'], allow_failed_imports=False)

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
model = dict(head=dict(num_classes=4))
data_preprocessor = dict(num_classes=4)
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='UFGDemoDataset',
        data_root='data/ufg_demo',
        split='train',
        demo_spec=demo_spec,
        pipeline=pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='UFGDemoDataset',
        data_root='data/ufg_demo',
        split='test',
        demo_spec=demo_spec,
        pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval=2))
log_processor = dict(by_epoch=False)
