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
    loss = QueueContrastiveLoss(margin=0.4, use_batch=False)(
        anchors, labels, queue, queue_labels)
    # anchor 0: pos (1-1)=0, neg max(0,.8-.4)=.4, pos (1-0)=1
    # anchor 1: neg 0, pos (1-.6)=.4, neg max(0,1-.4)=.6
    expected = (0 + 0.4 + 1 + 0 + 0.4 + 0.6) / 6
    assert loss.item() == pytest.approx(expected, rel=1e-5)

    balanced = QueueContrastiveLoss(
        margin=0.4, use_batch=False, reduction='balanced')(
            anchors, labels, queue, queue_labels)
    assert balanced.item() == pytest.approx((0 + 1 + 0.4) / 3 +
                                            (0.4 + 0 + 0.6) / 3, rel=1e-5)


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
    loss = QueueContrastiveLoss(use_batch=False)(
        anchors, torch.tensor([0, 1]), queue, torch.tensor([1, 1]))
    loss.backward()
    assert queue.grad is None
    assert anchors.grad is not None and anchors.grad.abs().sum() > 0


def test_empty_queue_without_batch_is_zero_with_graph():
    anchors = torch.randn(4, 8, requires_grad=True)
    loss = QueueContrastiveLoss(use_batch=False)(
        anchors, torch.zeros(4, dtype=torch.long), torch.zeros(6, 8),
        torch.full((6, ), -1))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert anchors.grad is not None


def test_bf16_anchors_computed_in_fp32():
    anchors = _unit([1.0, 0.0], [0.0, 1.0]).bfloat16()
    loss = QueueContrastiveLoss()(anchors, torch.tensor([0, 1]))
    assert loss.dtype == torch.float32


def test_bad_reduction_is_named():
    with pytest.raises(UserInputError, match='reduction'):
        QueueContrastiveLoss(reduction='mean')
