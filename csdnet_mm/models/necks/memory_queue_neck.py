from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...errors import UserInputError, check_choice, check_holds_global_batch
from ..utils import gather_padded


@MODELS.register_module()
class MemoryQueueNeck(BaseModule):
    """CSDNet's DDL memory queue: pool, project, L2-normalise, remember.

    ``forward`` maps a feature map (B, C, h, w) or vector (B, C) to
    L2-normalised embeddings (B, d). ``enqueue`` stores detached embeddings
    with their labels in an iota-long FIFO kept as buffers (so checkpoints
    and resume carry it), after gathering them from all ranks; every rank
    writes the same rows, so the queues stay identical without broadcasting
    buffers (docs/methods/csdnet.md, "DDL").

    Args:
        in_channels (int): C.
        queue_len (int): iota, the number of stored rows. Defaults to 1024.
        feat_dim (int): d for ``'linear'`` / ``'mlp'`` projections.
            Defaults to 128.
        proj_type (str): ``'linear'`` (C -> d), ``'mlp'`` (C -> hidden ->
            d) or ``'identity'`` (d = C). Defaults to ``'linear'``.
        hidden_channels (int): Width of the ``'mlp'`` hidden layer.
            Defaults to 512.
        init_cfg (dict, optional): Initialisation config.
    """

    PROJ_TYPES = ('linear', 'mlp', 'identity')

    def __init__(self,
                 in_channels: int,
                 queue_len: int = 1024,
                 feat_dim: int = 128,
                 proj_type: str = 'linear',
                 hidden_channels: int = 512,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_choice('MemoryQueueNeck', 'proj_type', proj_type,
                     self.PROJ_TYPES)
        if queue_len < 1:
            raise UserInputError(
                f'MemoryQueueNeck: queue_len={queue_len} must be >= 1.')
        if proj_type == 'linear':
            self.projection = nn.Linear(in_channels, feat_dim)
        elif proj_type == 'mlp':
            self.projection = nn.Sequential(
                nn.Linear(in_channels, hidden_channels), nn.ReLU(inplace=True),
                nn.Linear(hidden_channels, feat_dim))
        else:
            self.projection = nn.Identity()
            feat_dim = in_channels
        self.queue_len = queue_len
        self.feat_dim = feat_dim
        self.register_buffer('queue', torch.zeros(queue_len, feat_dim))
        self.register_buffer('queue_labels',
                             torch.full((queue_len, ), -1, dtype=torch.long))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def forward(
            self, inputs: Union[torch.Tensor,
                                Tuple[torch.Tensor]]) -> torch.Tensor:
        x = inputs[-1] if isinstance(inputs, (tuple, list)) else inputs
        if x.dim() == 4:
            x = x.mean(dim=(2, 3))
        return F.normalize(self.projection(x).float(), dim=1)

    @property
    def fill_ratio(self) -> float:
        """Share of the queue that holds stored rows (0..1)."""
        return float((self.queue_labels >= 0).float().mean())

    @torch.no_grad()
    def enqueue(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        """Gather (B, d) features and (B, ) labels from all ranks, store."""
        features, labels = gather_padded([features.float(), labels], [0., -1])
        keep = labels >= 0
        self._write(features[keep], labels[keep])

    @torch.no_grad()
    def _write(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        check_holds_global_batch('MemoryQueueNeck', 'queue_len',
                                 self.queue_len, len(features))
        num = len(features)
        if num == 0:
            return
        ptr = int(self.queue_ptr)
        slots = (ptr + torch.arange(num, device=self.queue.device)) % \
            self.queue_len
        self.queue[slots] = features.to(self.queue.dtype)
        self.queue_labels[slots] = labels.to(self.queue_labels.dtype)
        self.queue_ptr[0] = (ptr + num) % self.queue_len
