# SynthPairs' parts for an SSL algorithm on a ResNet-50 (2048-d pooled
# feature, 224 px views), kept in variables so every SynthPairs config adds
# exactly this to its baseline (a base cannot define `model` itself: MMEngine
# rejects keys that two bases share). The configs merge them with
# `_base_.xxx` (Python access to the parsed bases, which `{{_base_.xxx}}`
# cannot combine with other keys), e.g.
#   model = dict(type='SynthPairsMoCo',
#                decoder=dict(_base_.synthpairs_decoder, init_cfg=...),
#                **_base_.synthpairs_options,
#                **_base_.synthpairs_moco_options)
# Every reconstructed option is written out at its default (listed with
# the reason for it in docs/methods/synthpairs.md, "Reconstructed
# choices") so a sweep is one --cfg-options.

# D: Linear(2048 -> 512*7*7) + BN + ReLU, five x2 ConvTranspose blocks
# (512 -> 16 channels, 7 -> 224 px), Conv3x3 to RGB: 54.25 M parameters.
# Its output lives in the normalised input space (no activation), and
# out_size must equal the clean view's Resize scale.
synthpairs_decoder = dict(
    type='FeatureDecoder',
    in_channels=2048,
    out_size=224,
    base_channels=512,
    num_upsample=5,
    min_channels=16,
    out_channels=3,
    output_act='none',
    norm_cfg=dict(type='BN'))

# Options shared by SynthPairsMoCo and SynthPairsSimSiam.
synthpairs_options = dict(
    # Eq. 3-6; feat_dim defaults to the decoder's in_channels.
    perturbation=dict(
        type='FeaturePerturbation',
        # |M|, value lost; worth sweeping 1024, 4096 and the training set.
        bank_size=4096,
        # 'gradcam' / 'lowvar' / 'random': the paper's Tables 4 and 8.
        noise_mode='both',
        sigma_g=0.5,
        sigma_v=0.5,
        # Scale of the 'random' ablation; None = sigma_g.
        sigma_random=None,
        var_threshold=0.02,
        gradcam_sign=-1,
        gradcam_times_feature=True,
        var_norm='vector',
        var_minmax='all',
        eps=1e-12),
    # L_gen (Eq. 7): in-batch negatives over the 2N generated images.
    gen_loss=dict(type='NTXentLoss', temperature=0.2, gather=False,
                  loss_weight=1.0),
    rec_weight=1.0,
    gen_weight=0.5,
    # D is trained by L_rec only; the pair's D(z) reuses the reconstruction.
    gen_grad_to_decoder=False,
    gen_source='reuse')

# L_c's positive is this iteration's momentum key of the augmented view.
synthpairs_moco_options = dict(gradcam_positive='key')

# Eq. 7 for L_gen (SimSiam has no negatives of its own); the Grad-CAM pass
# must not move the projector's and predictor's BN running statistics.
synthpairs_simsiam_options = dict(gen_loss_type='ntxent', keep_bn_stats=True)

# Grids of clean image | D(z) | D(z') under work_dir/<time>/vis_data.
synthpairs_hooks = [
    dict(type='GeneratedPairsHook', vis_interval=100, vis_images=4)
]
