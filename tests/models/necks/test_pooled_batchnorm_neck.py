import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import csdnet_mm  # noqa: F401

init_default_scope('mmpretrain')


def test_standardises_pooled_features_of_any_scale():
    neck = MODELS.build(dict(type='PooledBatchNormNeck', in_channels=8))
    assert not any(True for _ in neck.parameters())  # nothing to train
    maps = torch.randn(16, 8, 4, 4) * 50 + 7
    out, = neck(maps)
    assert out.shape == (16, 8)
    torch.testing.assert_close(out.mean(0), torch.zeros(8), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        out.std(0, unbiased=False), torch.ones(8), atol=1e-3, rtol=0)


def test_eval_mode_is_a_fixed_affine_map_of_the_pooled_feature():
    neck = MODELS.build(dict(type='PooledBatchNormNeck', in_channels=3))
    neck(torch.randn(32, 3, 2, 2) * 4)  # collect running statistics
    neck.eval()
    maps = torch.randn(5, 3, 2, 2)
    pooled = maps.mean((2, 3))
    expected = (pooled - neck.bn.running_mean
                ) / torch.sqrt(neck.bn.running_var + neck.bn.eps)
    out, = neck((maps, ))
    torch.testing.assert_close(out, expected)
