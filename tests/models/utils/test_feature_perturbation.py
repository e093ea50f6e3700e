import pytest
import torch
import torch.nn as nn

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.utils import FeaturePerturbation, minmax_normalize
from conftest import state_dicts_on_ranks


def _empirical_std(module, z, scores=None, draws=4000):
    torch.manual_seed(0)
    batch = z.expand(draws, -1)
    score_batch = None if scores is None else scores.expand(draws, -1)
    z_perturbed, _ = module(batch, score_batch)
    return (z_perturbed - batch).std(dim=0)


def test_minmax_normalize():
    x = torch.tensor([[2., 4., 6.], [1., 1., 3.]])
    assert torch.allclose(
        minmax_normalize(x), torch.tensor([[0., .5, 1.], [0., 0., 1.]]))
    mask = torch.tensor([False, True, True])
    # min / max over the masked entries 4 and 6 only.
    assert torch.allclose(
        minmax_normalize(x[0], mask), torch.tensor([-1., 0., 1.]))


def test_gradcam_noise_larger_for_lower_scores():
    module = FeaturePerturbation(feat_dim=4, noise_mode='gradcam', sigma_g=0.5)
    z = torch.ones(1, 4)
    scores = torch.tensor([[0., 1., 3., 4.]])  # min-max: 0, .25, .75, 1
    std = _empirical_std(module, z, scores)
    expected = 0.5 * torch.tensor([1., .75, .25, 0.])
    assert torch.allclose(std, expected, atol=0.03)
    assert std[3] == 0  # the top-scored dimension is untouched


def _module_with_bank(**kwargs):
    module = FeaturePerturbation(feat_dim=4, bank_size=1000, **kwargs)
    torch.manual_seed(1)
    # Per-dimension standard deviations 0.01, 0.1, 1, 2 (variances 1e-4,
    # 1e-2, 1, 4): the normalised variances are about 2.4e-5, 2.4e-3,
    # 0.24, 0.97, so tau_v = 0.02 selects dimensions 0 and 1.
    module.push(torch.randn(1000, 4) * torch.tensor([.01, .1, 1., 2.]))
    return module


def test_low_variance_noise_only_below_threshold():
    module = _module_with_bank(noise_mode='lowvar', sigma_v=0.5)
    v_hat, mask = module.low_variance()
    assert mask.tolist() == [True, True, False, False]
    std = _empirical_std(module, torch.zeros(1, 4))
    assert std[2] == 0 and std[3] == 0
    # v_hat: the bank's per-dimension variances over their norm, min-max
    # normalised over all dimensions (computed here from the bank).
    variance = module.feat_bank.var(dim=0, unbiased=False)
    v_bar = variance / variance.norm()
    torch.testing.assert_close(v_hat, (v_bar - v_bar.min()) /
                               (v_bar.max() - v_bar.min()))
    assert torch.equal(mask, v_bar < 0.02)
    assert torch.allclose(std[:2], 0.5 * (1 - v_hat[:2]), atol=0.03)


def test_lower_variance_more_noise_with_masked_minmax():
    module = FeaturePerturbation(
        feat_dim=5, bank_size=1000, noise_mode='lowvar', var_minmax='masked')
    torch.manual_seed(1)
    # Normalised variances about 2.4e-5, 6.1e-4, 2.4e-3, 0.24, 0.97:
    # three masked dimensions whose min-max spans 0..1.
    module.push(torch.randn(1000, 5) * torch.tensor([.01, .05, .1, 1., 2.]))
    std = _empirical_std(module, torch.zeros(1, 5))
    # Min-max over the masked dimensions 0-2 only: v_hat 0, v, 1 with
    # v = (v_bar_1 - v_bar_0) / (v_bar_2 - v_bar_0), so sigma_v = 0.5
    # scaled by 1, 1 - v and 0.
    variance = module.feat_bank.var(dim=0, unbiased=False)
    v_bar = variance / variance.norm()
    v = (v_bar[1] - v_bar[0]) / (v_bar[2] - v_bar[0])
    expected = 0.5 * torch.stack([torch.tensor(1.), 1 - v])
    assert torch.allclose(std[:2], expected, atol=0.03)
    assert std[2] == 0 and std[3] == 0 and std[4] == 0


def test_both_noises_add_independently():
    module = _module_with_bank(noise_mode='both', sigma_g=0.3, sigma_v=0.4)
    v_hat, mask = module.low_variance()
    scores = torch.tensor([[0., 0., 0., 1.]])
    std = _empirical_std(module, torch.zeros(1, 4), scores)
    std_g = 0.3 * torch.tensor([1., 1., 1., 0.])
    std_v = 0.4 * (1 - v_hat) * mask
    assert torch.allclose(std, (std_g**2 + std_v**2).sqrt(), atol=0.03)


def test_random_noise_on_every_dimension():
    module = FeaturePerturbation(
        feat_dim=4, noise_mode='random', sigma_random=0.2)
    std = _empirical_std(module, torch.zeros(1, 4))
    assert torch.allclose(std, torch.full((4, ), 0.2), atol=0.02)
    assert not module.needs_gradcam and not module.uses_bank


def test_no_variance_noise_before_two_rows():
    module = FeaturePerturbation(feat_dim=3, bank_size=8, noise_mode='lowvar')
    z = torch.randn(1, 3)
    assert module.low_variance() is None
    z_perturbed, stats = module(z)
    assert torch.equal(z_perturbed, z)
    assert stats['lowvar_frac'] == 0


def test_feature_normalised_variance_reading():
    module = _module_with_bank(var_norm='feature')
    feats = nn.functional.normalize(module.feat_bank, dim=1)
    v_hat, mask = module.low_variance()
    assert torch.equal(mask, feats.var(dim=0, unbiased=False) < 0.02)


def test_bank_fifo_and_checkpoint_round_trip():
    module = FeaturePerturbation(feat_dim=2, bank_size=5)
    module.push(torch.arange(6.).view(3, 2))
    assert int(module.bank_count) == 3 and int(module.bank_ptr) == 3
    module.push(torch.arange(6., 12.).view(3, 2))
    # Rows 3 and 4 are new, then the oldest row (slot 0) is replaced.
    assert int(module.bank_count) == 5 and int(module.bank_ptr) == 1
    assert module.feat_bank[0].tolist() == [10., 11.]
    assert module.feat_bank[1].tolist() == [2., 3.]
    restored = FeaturePerturbation(feat_dim=2, bank_size=5)
    restored.load_state_dict(module.state_dict())
    for name in ('feat_bank', 'bank_ptr', 'bank_count'):
        assert torch.equal(getattr(restored, name), getattr(module, name))
    # A bank that cannot hold one global batch would never hold history.
    with pytest.raises(
            UserInputError,
            match=r'bank_size=5 is smaller than one global batch '
            r'\(7 rows.*at least 7'):
        module.push(torch.arange(14.).view(7, 2))


def test_gradcam_scores_are_relu_of_minus_grad_times_feature():
    module = FeaturePerturbation(feat_dim=3)
    weight = nn.Parameter(torch.tensor([1., -2., 0.5]))
    z = torch.tensor([[1., 1., 2.], [2., -1., 1.]], requires_grad=True)

    scores = module.gradcam_scores(z, lambda leaf: (leaf * weight).sum())
    # dL/dz = weight; s = ReLU(-weight * z).
    expected = (-weight.detach() * z.detach()).clamp(min=0)
    assert torch.equal(scores, expected)
    assert weight.grad is None and z.grad is None

    plus = FeaturePerturbation(
        feat_dim=3, gradcam_sign=1, gradcam_times_feature=False)
    scores = plus.gradcam_scores(z, lambda leaf: (leaf * weight).sum())
    assert torch.equal(scores, weight.detach().clamp(min=0).expand(2, 3))


@pytest.mark.parametrize('kwargs', [
    dict(noise_mode='gradcm'),
    dict(gradcam_sign=0),
    dict(var_norm='l2'),
    dict(var_minmax='some'),
    dict(bank_size=1),
    dict(sigma_g=-1.),
])
def test_bad_options(kwargs):
    with pytest.raises(UserInputError):
        FeaturePerturbation(feat_dim=4, **kwargs)


def _push_on_rank(rank):
    perturbation = FeaturePerturbation(feat_dim=2, bank_size=6)
    # Uneven batches: rank 0 has three rows, rank 1 one (a last batch).
    for step in range(2):
        rows = 3 if rank == 0 else 1
        perturbation.push(torch.full((rows, 2), float(10 * step + rank)))
    return perturbation


@pytest.mark.slow
def test_push_gathers_uneven_batches_identically_on_every_rank(tmp_path):
    states = state_dicts_on_ranks(_push_on_rank, tmp_path)
    for state in states:
        # 2 steps x (3 + 1) rows, in rank order, into 6 slots: 0, 0, 0, 1
        # fill slots 0-3; then 10, 10 fill slots 4-5 and 10, 11 wrap over
        # slots 0-1.
        assert state['feat_bank'][:, 0].tolist() == [10, 11, 0, 1, 10, 10]
        assert int(state['bank_count']) == 6
        assert int(state['bank_ptr']) == 8 % 6
    for key in states[0]:
        torch.testing.assert_close(states[0][key], states[1][key], msg=key)
