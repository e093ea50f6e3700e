# SynthPairs-MoCo (stage 2) on the demo data: mocov2_demo.py plus the
# decoder from stage 1 (configs/demo/synthpairs_decoder_r18_demo.py), the
# feature perturbation and the generated-pair loss. Reconstructed options
# are written out at their defaults (docs/methods/synthpairs.md,
# "Reconstructed choices").
_base_ = ['./mocov2_demo.py']

model = dict(
    type='SynthPairsMoCo',
    decoder=dict(
        type='FeatureDecoder',
        in_channels=256,
        out_size=64,
        base_channels=128,
        num_upsample=3,
        output_act='none',
        init_cfg=dict(
            type='Pretrained',
            checkpoint={{_base_.stage1_checkpoint}},
            prefix='decoder.')),
    perturbation=dict(
        type='FeaturePerturbation',
        # The whole demo training set (320 images).
        bank_size=320,
        noise_mode='both',
        sigma_g=0.5,
        sigma_v=0.5,
        var_threshold=0.02,
        gradcam_sign=-1,
        gradcam_times_feature=True,
        var_norm='vector',
        var_minmax='all'),
    gen_loss=dict(type='NTXentLoss', temperature=0.2, gather=False),
    rec_weight=1.0,
    gen_weight=0.5,
    gradcam_positive='key',
    gen_grad_to_decoder=False,
    gen_source='reuse')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[2, 1],
         transforms=[{{_base_.view_pipeline}}, {{_base_.clean_pipeline}}]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=100)]
