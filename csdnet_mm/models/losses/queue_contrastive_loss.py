from typing import Optional

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from ...errors import check_choice


@MODELS.register_module()
class QueueContrastiveLoss(nn.Module):
    """Margin contrastive loss of features against a memory queue (DDL).

    For an anchor ``a`` and candidate ``c`` (unit vectors, ``s = a . c``):
    same label -> ``1 - s``; different label -> ``max(0, s - margin)``.
    Candidates are the valid queue rows (label >= 0, detached) and, with
    ``use_batch``, the anchors themselves; self-pairs are excluded
    (docs/methods/csdnet.md, "DDL"; L_qc, margin xi, weight alpha).
    Computed in fp32.

    Args:
        margin (float): xi. Defaults to 0.4.
        use_batch (bool): Also contrast against the current batch.
            Defaults to True.
        reduction (str): ``'pairs'`` (mean over all valid pairs) or
            ``'balanced'`` (mean over positive pairs + mean over negative
            pairs). Defaults to ``'pairs'``.
        loss_weight (float): alpha. Defaults to 1.0.
    """

    REDUCTIONS = ('pairs', 'balanced')

    def __init__(self,
                 margin: float = 0.4,
                 use_batch: bool = True,
                 reduction: str = 'pairs',
                 loss_weight: float = 1.0):
        super().__init__()
        check_choice('QueueContrastiveLoss', 'reduction', reduction,
                     self.REDUCTIONS)
        self.margin = margin
        self.use_batch = use_batch
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                features: torch.Tensor,
                labels: torch.Tensor,
                queue: Optional[torch.Tensor] = None,
                queue_labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            features (Tensor): (N, d) L2-normalised anchors, with gradient.
            labels (Tensor): (N, ) labels of the anchors.
            queue (Tensor, optional): (M, d) stored features.
            queue_labels (Tensor, optional): (M, ) their labels, -1 = empty.
        """
        anchors = features.float()
        candidates, candidate_labels = [], []
        if queue is not None and queue_labels is not None:
            filled = queue_labels >= 0
            candidates.append(queue[filled].detach().float())
            candidate_labels.append(queue_labels[filled])
        num_queue = sum(len(c) for c in candidates)
        if self.use_batch:
            candidates.append(anchors)
            candidate_labels.append(labels)
        # Zero that keeps the graph, so DDP sees every parameter used.
        zero = anchors.sum() * 0.
        if not candidates:
            return zero
        candidates = torch.cat(candidates)
        candidate_labels = torch.cat(candidate_labels)

        sim = anchors @ candidates.t()
        positive = labels[:, None] == candidate_labels[None, :]
        valid = torch.ones_like(positive)
        if self.use_batch:
            self_pair = torch.arange(len(anchors), device=anchors.device)
            valid[self_pair, num_queue + self_pair] = False
        pair_loss = torch.where(positive, 1 - sim,
                                (sim - self.margin).clamp(min=0))

        if self.reduction == 'pairs':
            if not valid.any():
                return zero
            loss = pair_loss[valid].mean()
        else:
            loss = zero
            for group in (valid & positive, valid & ~positive):
                if group.any():
                    loss = loss + pair_loss[group].mean()
        return self.loss_weight * loss
