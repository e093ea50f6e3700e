import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ..utils.gather import all_gather_with_grad


@MODELS.register_module()
class NTXentLoss(nn.Module):
    """NT-Xent (SimCLR) loss over N positive pairs (SynthPairs Eq. 7).

    Every one of the 2N embeddings takes its partner as the positive and the
    other 2N - 2 embeddings as negatives. Computed in fp32.

    Args:
        temperature (float): tau. Defaults to 0.2.
        gather (bool): Take negatives from all ranks (gathered with
            gradient, as MMPretrain's SimCLR does) instead of this rank's
            batch only. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 temperature: float = 0.2,
                 gather: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        self.temperature = temperature
        self.gather = gather
        self.loss_weight = loss_weight

    def forward(self, emb_a: torch.Tensor,
                emb_b: torch.Tensor) -> torch.Tensor:
        """
        Args:
            emb_a (Tensor): (N, d) embeddings; row n pairs with ``emb_b[n]``.
            emb_b (Tensor): (N, d) embeddings.
        """
        emb_a = F.normalize(emb_a.float(), dim=1)
        emb_b = F.normalize(emb_b.float(), dim=1)
        if self.gather:
            emb_a = torch.cat(all_gather_with_grad(emb_a))
            emb_b = torch.cat(all_gather_with_grad(emb_b))
        num = len(emb_a)
        emb = torch.cat([emb_a, emb_b])
        logits = emb @ emb.t() / self.temperature
        self_match = torch.eye(2 * num, dtype=torch.bool, device=emb.device)
        logits = logits.masked_fill(self_match, float('-inf'))
        index = torch.arange(num, device=emb.device)
        partner = torch.cat([index + num, index])
        return self.loss_weight * F.cross_entropy(logits, partner)
