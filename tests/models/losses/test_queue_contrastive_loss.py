import math

import pytest
import torch

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.losses import QueueContrastiveLoss


def _unit(*rows):
    t = torch.tensor(rows, dtype=torch.float32)
    return t / t.norm(dim=1, keepdim=True)


def test_queue_only_hand_computed():
    anchors = _unit([1.0, 0.0], [0.0, 1.0])
    labels = torch.tensor([0, 1])
    # cos with anchor 0: 1.0, 0.8, 0.0 ; with anchor 1: 0.0, 0.6, 1.0
    queue = _unit([1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [5.0, 5.0])
    queue_labels = torch.tensor([0, 1, 0, -1])  # last slot empty
    loss = QueueContrastiveLoss(
        margin=0.4, use_batch=False)(anchors, labels, queue, queue_labels)
    # anchor 0: pos (1-1)=0, neg max(0,.8-.4)=.4, pos (1-0)=1
    # anchor 1: neg 0, pos (1-.6)=.4, neg max(0,1-.4)=.6
    expected = (0 + 0.4 + 1 + 0 + 0.4 + 0.6) / 6
    assert loss.item() == pytest.approx(expected, rel=1e-5)

    balanced = QueueContrastiveLoss(
        margin=0.4, use_batch=False, reduction='balanced')(anchors, labels,
                                                           queue, queue_labels)
    assert balanced.item() == pytest.approx(
        (0 + 1 + 0.4) / 3 + (0.4 + 0 + 0.6) / 3, rel=1e-5)


def test_batch_candidates_exclude_self_pairs():
    anchors = _unit([1.0, 0.0], [0.6, 0.8], [1.0, 0.0])
    labels = torch.tensor([0, 0, 1])
    loss = QueueContrastiveLoss(margin=0.5)(anchors, labels)
    # off-diagonal cos: (0,1)=.6 pos, (0,2)=1 neg, (1,2)=.6 neg
    pair = {(0, 1): 0.4, (0, 2): 0.5, (1, 2): 0.1}
    expected = 2 * sum(pair.values()) / 6
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_queue_gets_no_gradient_and_anchors_do():
    anchors = _unit([1.0, 0.2], [0.3, 1.0]).requires_grad_()
    queue = _unit([1.0, 1.0], [1.0, -1.0]).requires_grad_()
    loss = QueueContrastiveLoss(use_batch=False)(anchors, torch.tensor([0, 1]),
                                                 queue, torch.tensor([1, 1]))
    loss.backward()
    assert queue.grad is None
    # By hand: every queue row has label 1. Anchor 0 (label 0) meets two
    # negatives above the margin (cosines 0.83 and 0.55 > 0.4), anchor 1
    # two positives, so all 4 pairs are active and the mean is
    # (a0.q0 - m + a0.q1 - m + 1 - a1.q0 + 1 - a1.q1) / 4: the gradient
    # is +(q0 + q1) / 4 = (sqrt(2) / 4, 0) for anchor 0 and its negative
    # for anchor 1.
    expected = torch.tensor([[1.0, 0.0], [-1.0, 0.0]]) * math.sqrt(2) / 4
    torch.testing.assert_close(anchors.grad, expected)


def test_empty_queue_without_batch_is_zero_with_graph():
    anchors = torch.randn(4, 8, requires_grad=True)
    loss = QueueContrastiveLoss(use_batch=False)(anchors,
                                                 torch.zeros(
                                                     4, dtype=torch.long),
                                                 torch.zeros(6, 8),
                                                 torch.full((6, ), -1))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.equal(anchors.grad, torch.zeros_like(anchors))


def test_bf16_anchors_computed_in_fp32():
    anchors = _unit([1.0, 0.0], [0.0, 1.0]).bfloat16()
    loss = QueueContrastiveLoss()(anchors, torch.tensor([0, 1]))
    assert loss.dtype == torch.float32


def test_bad_reduction_is_named():
    with pytest.raises(UserInputError, match='reduction'):
        QueueContrastiveLoss(reduction='mean')
