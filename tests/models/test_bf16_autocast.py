"""Every method's training step under CPU bf16 autocast (the AMP path):
losses in fp32 and finite, gradients finite, memory state kept in fp32."""
import os.path as osp

import pytest
import torch

from csdnet_mm.analysis import ModelUnderTest
from conftest import REPO_ROOT

DEMO = osp.join(REPO_ROOT, 'configs', 'demo')


@pytest.mark.parametrize('config', [
    'csdnet_r18_demo.py', 'synthpairs_mocov2_demo.py',
    'synthpairs_decoder_r18_demo.py'
])
def test_training_step_under_bf16_autocast(config):
    torch.manual_seed(0)
    side = ModelUnderTest(
        osp.join(DEMO, config),
        None,
        torch.device('cpu'),
        4,
        64,
        0,
        keep_init=False)
    model = side.model
    model.train()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        data = model.data_preprocessor(side.batch, True)
        losses = model(**data, mode='loss')
    loss_terms = {k: v for k, v in losses.items() if k.startswith('loss')}
    assert loss_terms
    for name, value in loss_terms.items():
        assert value.dtype == torch.float32, name
        assert torch.isfinite(value).all(), name
    parsed, _ = model.parse_losses(losses)
    parsed.backward()
    for name, param in model.named_parameters():
        if param.grad is not None:
            assert torch.isfinite(param.grad).all(), name
    for name, buffer in model.named_buffers():
        if buffer.is_floating_point() and 'running' not in name:
            assert buffer.dtype == torch.float32, name
            assert torch.isfinite(buffer).all(), name


def test_synthpairs_simsiam_step_under_bf16_autocast():
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    from csdnet_mm.analysis import make_batch
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    neck = dict(
        type='NonLinearNeck',
        in_channels=64,
        hid_channels=32,
        out_channels=32,
        num_layers=2,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d'))
    model = MODELS.build(
        dict(
            type='SynthPairsSimSiam',
            data_preprocessor=dict(
                type='SelfSupDataPreprocessor',
                mean=[0., 0., 0.],
                std=[255., 255., 255.]),
            backbone=dict(
                type='ResNet_CIFAR',
                depth=18,
                base_channels=8,
                stem_channels=8,
                out_indices=(3, )),
            neck=neck,
            head=dict(
                type='LatentPredictHead',
                loss=dict(type='CosineSimilarityLoss'),
                predictor=dict(
                    neck,
                    in_channels=32,
                    with_avg_pool=False,
                    with_last_bn=False,
                    with_last_bias=True)),
            decoder=dict(
                type='FeatureDecoder',
                in_channels=64,
                out_size=16,
                base_channels=16,
                num_upsample=2),
            perturbation=dict(type='FeaturePerturbation', bank_size=8)))
    batch = make_batch(4, 16, 3, num_classes=2)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**model.data_preprocessor(batch, True), mode='loss')
    for name in ('loss_ssl', 'loss_rec', 'loss_gen'):
        key = name if name in losses else 'loss'
        assert losses[key].dtype == torch.float32, name
        assert torch.isfinite(losses[key]), name
    model.parse_losses(losses)[0].backward()
    assert model.perturbation.feat_bank.dtype == torch.float32
