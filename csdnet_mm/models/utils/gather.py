from typing import List

import torch
from mmengine.dist import all_gather, get_world_size


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
        padded = tensor.detach().new_full(
            (max_length, *tensor.shape[1:]), pad_value)
        padded[:len(tensor)] = tensor.detach()
        gathered.append(torch.cat(all_gather(padded)))
    return gathered
