# A few iterations of the demo SynthPairs stage 1 on a tiny demo set (see
# tiny_demo.py). `data_root` is set with --cfg-options.
_base_ = [
    '../../../.mim/configs/demo/synthpairs_decoder_r18_demo.py',
]

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
train_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4)
custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=2)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=3))
randomness = dict(seed=0, deterministic=True)
log_processor = dict(by_epoch=False)
