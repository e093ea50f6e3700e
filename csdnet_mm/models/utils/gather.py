from typing import Any, List, Tuple

import torch
from mmengine.dist import all_gather, get_rank, get_world_size


def gather_padded(tensors: List[torch.Tensor],
                  pad_values: List[float]) -> List[torch.Tensor]:
    """All-gather tensors whose first dimension may differ between ranks.

    Each tensor is padded to the largest per-rank length with its pad value
    before the gather (``all_gather`` needs equal shapes, and an uneven last
    batch must not hang), and the gathered rows are concatenated in rank
    order. Callers drop padded rows by their pad value. No gradient.
    """
    if get_world_size() == 1:
        return [t.detach() for t in tensors]
    length = torch.tensor([len(tensors[0])], device=tensors[0].device)
    max_length = int(torch.cat(all_gather(length)).max())
    gathered = []
    for tensor, pad_value in zip(tensors, pad_values):
        padded = tensor.detach().new_full((max_length, *tensor.shape[1:]),
                                          pad_value)
        padded[:len(tensor)] = tensor.detach()
        gathered.append(torch.cat(all_gather(padded)))
    return gathered


class _GatherWithLocalGrad(torch.autograd.Function):
    """All-gather whose backward returns this rank's slice of the incoming
    gradient (no sum over ranks)."""

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        ctx.save_for_backward(input)
        return tuple(all_gather(input))

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> torch.Tensor:
        input, = ctx.saved_tensors
        grad_out = torch.zeros_like(input)
        grad_out[:] = grads[get_rank()]
        return grad_out


def all_gather_with_grad(tensor: torch.Tensor) -> List[torch.Tensor]:
    """All-gather ``tensor`` (equal shapes on every rank) keeping the
    gradient of this rank's part: the gathered rows of other ranks are
    constants here, and each rank's own rows receive the gradient of its
    own loss only (DDP then averages over ranks). ``[tensor]`` when not
    distributed.

    This is MMPretrain 1.2.0's SimCLR ``GatherLayer``
    (``mmpretrain/models/selfsup/simclr.py``), which ``mmpretrain.models``
    does not export, written against public ``mmengine.dist`` functions so
    the plugin does not import a private name. The public
    ``torch.distributed.nn.functional.all_gather`` is not used: its
    backward sums the gradients of every rank's loss (reduce-scatter),
    which would change the numbers of multi-rank runs.
    """
    return list(_GatherWithLocalGrad.apply(tensor))
