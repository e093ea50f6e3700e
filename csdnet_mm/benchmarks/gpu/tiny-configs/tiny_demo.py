# A few iterations of the demo classifier on a tiny demo set, for
# tools/gpu_check.py and the tool tests (tests/data/ points here): shipped in
# the package so that an installed copy can train it. The demo bases are
# read from the package's `.mim/configs` (a copy in a wheel, links into the
# checkout after `pip install -e .`). `data_root` is set with --cfg-options.
_base_ = ['../../../.mim/configs/demo/resnet18_demo.py']

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
model = dict(head=dict(num_classes=4))
data_preprocessor = dict(num_classes=4)
train_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
val_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
test_dataloader = val_dataloader

train_cfg = dict(_delete_=True, by_epoch=False, max_iters=4, val_interval=4)
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=3))
randomness = dict(seed=0, deterministic=True)
log_processor = dict(by_epoch=False)
