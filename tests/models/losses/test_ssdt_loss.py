import math

import pytest
import torch

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.losses import SSDTLoss


def _kl_by_hand(student, teacher, tau):
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        s_exp = [math.exp(v / tau) for v in s_row]
        t_exp = [math.exp(v / tau) for v in t_row]
        p_s = [v / sum(s_exp) for v in s_exp]
        p_t = [v / sum(t_exp) for v in t_exp]
        total += sum(pt * (math.log(pt) - math.log(ps))
                     for pt, ps in zip(p_t, p_s))
    return tau**2 * total / len(student)


def test_value_matches_hand_computation():
    raw = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    aug = torch.tensor([[2.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    for tau in (1.0, 4.0):
        loss = SSDTLoss(
            temperature=tau, loss_weight=0.5, direction='aug_to_raw')(raw, aug)
        assert loss.item() == pytest.approx(
            0.5 * _kl_by_hand(raw, aug, tau), rel=1e-5)
    # The default: the raw view teaches the augmented one.
    reverse = SSDTLoss()(raw, aug)
    assert reverse.item() == pytest.approx(
        _kl_by_hand(aug, raw, 4.0), rel=1e-5)
    symmetric = SSDTLoss(direction='symmetric')(raw, aug)
    assert symmetric.item() == pytest.approx(
        0.5 * (_kl_by_hand(raw, aug, 4.0) + _kl_by_hand(aug, raw, 4.0)),
        rel=1e-5)


def test_identical_logits_give_zero():
    z = torch.randn(4, 7)
    assert SSDTLoss()(z, z.clone()).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize('direction,student', [('aug_to_raw', 'raw'),
                                               ('raw_to_aug', 'aug')])
def test_teacher_gets_no_gradient(direction, student):
    raw = torch.randn(3, 5, requires_grad=True)
    aug = torch.randn(3, 5, requires_grad=True)
    SSDTLoss(direction=direction)(raw, aug).backward()
    grads = dict(raw=raw.grad, aug=aug.grad)
    teacher = 'aug' if student == 'raw' else 'raw'
    assert grads[teacher] is None
    assert grads[student] is not None and grads[student].abs().sum() > 0


def test_bf16_inputs_are_computed_in_fp32():
    raw = torch.randn(2, 4).bfloat16()
    aug = torch.randn(2, 4).bfloat16()
    loss = SSDTLoss()(raw, aug)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        _kl_by_hand(aug.float(), raw.float(), 4.0), rel=1e-4)


def test_bad_options_are_named():
    with pytest.raises(UserInputError, match='direction'):
        SSDTLoss(direction='aug2raw')
    with pytest.raises(UserInputError, match='temperature'):
        SSDTLoss(temperature=0)


def test_registered_in_mmpretrain():
    from mmpretrain.registry import MODELS
    loss = MODELS.build(dict(type='SSDTLoss', temperature=2.0))
    assert isinstance(loss, SSDTLoss) and loss.temperature == 2.0
