# A few iterations of SynthPairs-SimSiam on a tiny demo set (there is no
# demo config for the SimSiam variant): tiny_synthpairs_mocov2.py's data,
# loop and hooks with the model of
# configs/synthpairs/synthpairs-simsiam_resnet50_4xb32-coslr-100e_cub.py
# sized for the demo ResNet-18 (256-d feature, 64 px clean view) and
# SimSiam's optimiser (fixed predictor lr). The bank (12 rows) wraps within
# the 4 iterations. Random initialisation (no stage-1 checkpoint).
_base_ = ['./tiny_synthpairs_mocov2.py']

model = dict(
    _delete_=True,
    type='SynthPairsSimSiam',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        base_channels=32,
        stem_channels=32,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=256,
        hid_channels=256,
        out_channels=256,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=256,
            hid_channels=64,
            out_channels=256,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='BN1d'))),
    decoder=dict(
        type='FeatureDecoder',
        in_channels=256,
        out_size=64,
        base_channels=128,
        num_upsample=3,
        output_act='none'),
    perturbation=dict(type='FeaturePerturbation', bank_size=12),
    gen_loss=dict(type='NTXentLoss', temperature=0.2, gather=False),
    gen_loss_type='ntxent',
    keep_bn_stats=True)

lr = 0.05
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=lr, weight_decay=1e-4, momentum=0.9),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr),
    dict(type='GeneratedPairsHook', vis_interval=2),
]
