"""The figures of tools/analysis_tools/synthpairs_diagnostics.py, each
computed by hand on a batch of two 2-dimensional examples (the tool run on
a checkpoint is in tests/tools/test_synthpairs_tools.py)."""
import math
import os.path as osp
import sys
from types import SimpleNamespace

import pytest
import torch

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
import synthpairs_diagnostics as diagnostics  # noqa: E402


def _images(*rows):
    """(N, 2, 1, 1) "images" whose pooled backbone feature is the row."""
    return torch.tensor(rows).view(len(rows), 2, 1, 1)


# The backbone and neck are the identity: f(image) is the image itself.
IDENTITY = SimpleNamespace(
    backbone=lambda x: x, neck=lambda feats: (feats.flatten(1), ))


def _seen(**extra):
    return dict(
        clean=_images([1., 0.], [0., 1.]),
        # D(z): off by (0, .5) and (.5, 0).
        gen_a=_images([1., .5], [.5, 1.]),
        # D(z'): D(z) moved by (0, 1) and (-.3, .4).
        gen_b=_images([1., 1.5], [.2, 1.4]),
        z=torch.tensor([[1., 0.], [1., .1]]),
        # Noise |z' - z|: (0, 2) and (1, 0).
        z_pert=torch.tensor([[1., 2.], [2., .1]]),
        **extra)


def test_decoder_and_pair_figures():
    stats = diagnostics.pair_statistics(IDENTITY, _seen())
    # MSE(D(z), x) = (.25 + .25) / 4 over MSE(mean image, x) = .25.
    assert stats['rec_mse_vs_mean_image'] == pytest.approx(0.5)
    # f(D(z_0)) = (1, .5) is nearer (cosine .93 vs .89) to z_1 = (1, .1)
    # than to its own z_0 = (1, 0); f(D(z_1)) = (.5, 1) is nearer to z_1.
    assert stats['rec_self_retrieval'] == pytest.approx(0.5)
    # ||D(z') - D(z)|| / ||D(z) - x||: 1 / .5 and .5 / .5.
    assert stats['pair_change_vs_rec_error'] == pytest.approx(1.5)
    # Over the 2 dimensions: noise (0, 2) with change (0, 1) correlate
    # +1, noise (1, 0) with change (.3, .4) -1.
    assert stats['pair_noise_corr'] == pytest.approx(0.0, abs=1e-6)
    # Energy of the change on the most-noised dimension: 1 / 1 and
    # .09 / .25.
    assert stats['pair_top_quarter_share'] == pytest.approx((1 + 0.36) / 2)
    # D(z_0) = (1, .5) matches D(z'_0) = (1, 1.5) (cosine .87 vs .57);
    # D(z_1) = (.5, 1) is nearer D(z'_0) (.99) than its own (.95).
    assert stats['pair_match_top1'] == pytest.approx(0.5)
    # No Grad-CAM scores and no bank: those rows are left out.
    assert not {
        'gradcam_zero_share', 'gradcam_noise_cv', 'gradcam_top10_jaccard',
        'lowvar_share'
    } & set(stats)


def test_gradcam_and_low_variance_figures():
    # Scores (0, 2) and (3, 1): one of the 4 is 0. Min-max gives noise
    # stds 1 - (0, 1) and 1 - (1, 0): std sqrt(.5) over mean .5 in both
    # rows. The top dimension (10 % of 2, at least 1) differs: overlap 0.
    stats = diagnostics.pair_statistics(
        IDENTITY,
        _seen(scores=torch.tensor([[0., 2.], [3., 1.]]), lowvar_frac=0.25))
    assert stats['gradcam_zero_share'] == pytest.approx(0.25)
    assert stats['gradcam_noise_cv'] == pytest.approx(math.sqrt(2))
    assert stats['gradcam_top10_jaccard'] == 0
    assert stats['lowvar_share'] == 0.25


def test_overlap_and_correlation_helpers():
    # Top dimensions {0, 1}, {1, 2}, {0, 1} of 4: Jaccard 1/3, 1 and 1/3
    # for the three pairs.
    top = torch.tensor([[0, 1], [1, 2], [0, 1]])
    assert diagnostics._pairwise_jaccard(top, 4) == pytest.approx(5 / 9)
    # Centred (-1, 0, 1) and (-1, 1, 0): 1 / (sqrt(2) sqrt(2)); a row and
    # its negative: -1.
    a = torch.tensor([[1., 2., 3.], [1., 2., 3.]])
    b = torch.tensor([[1., 3., 2.], [-1., -2., -3.]])
    assert diagnostics._rowwise_corr(a, b) == pytest.approx((0.5 - 1) / 2)


def test_gradient_pull_norms_and_cosine():
    weight = torch.nn.Parameter(torch.tensor([1., 1.]))
    other = torch.nn.Parameter(torch.tensor(2.))
    model = SimpleNamespace(
        backbone=SimpleNamespace(parameters=lambda: iter([weight])))
    losses = dict(
        loss_ssl=3 * weight[0] + 4 * weight[1],
        loss_gen=4 * weight[0] + 3 * weight[1],
        loss_rec=other * 2,  # does not reach the backbone
        loss_fixed=torch.tensor(1.),  # no gradient at all
        accuracy=weight.sum())  # not a loss term
    stats = diagnostics.gradient_pull(model, losses)
    assert stats == {
        'grad_norm/loss_ssl': pytest.approx(5.0),
        'grad_norm/loss_gen': pytest.approx(5.0),
        'grad_norm/loss_rec': 0.0,
        # (3, 4) . (4, 3) / 25
        'grad_cos/loss_gen~loss_ssl': pytest.approx(24 / 25),
    }
