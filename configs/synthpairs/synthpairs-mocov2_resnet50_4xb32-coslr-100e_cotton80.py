# SynthPairs stage 2 (MoCo v2 variant) on Cotton80's training images (labels
# unused): the CUB recipe with the data swapped; its encoder initialises
# configs/csdnet/csdnet_resnet50_synthpairs-pre_1xb8-160e_cotton80-384px.py.
# Run synthpairs-decoder_resnet50_4xb32-adam-200e_cotton80.py first.
_base_ = ['./synthpairs-mocov2_resnet50_4xb32-coslr-100e_cub.py']

dataset_type = 'UFGDataset'
data_root = 'data/UFG/Cotton80'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subset='Cotton80',
        split='train'))

stage1_checkpoint = ('work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_'
                     'cotton80/epoch_200.pth')
model = dict(
    # 240 training images. The paper's 65536 on CUB (5,994 images) holds
    # about 11 keys of every image; 2560 (= 20 batches of 128, so
    # queue_len % 128 == 0) keeps that ratio here (10.7). 65536 or 4096
    # would hold 273 or 17 stale keys of each image, mostly false negatives.
    queue_len=2560,
    decoder=dict(init_cfg=dict(checkpoint=stage1_checkpoint)),
    # |M| = the training set, one of the values worth sweeping: the bank then
    # spans the data set instead of 17 copies of it.
    perturbation=dict(bank_size=240))

# With batch 128 and drop_last an epoch is one step (100 steps in all):
# draw every 10 steps, not every 100.
custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=10)]
