"""Two training checkpoints compared tensor by tensor: is a resumed run the
uninterrupted one, bit for bit?"""
import math
from dataclasses import dataclass
from typing import Iterator, List, Tuple, Union

import torch

# What a resumed run must reproduce: weights and buffers (queues, banks and
# their pointers) and the optimizer state with AMP's loss scaler.
COMPARED_PARTS = ('state_dict', 'optimizer')

Leaf = Union[torch.Tensor, int, float]


def load_checkpoint(path: str) -> dict:
    """A checkpoint on the CPU. Importing ``csdnet_mm`` (done by this
    package) allow-lists what weights-only loading of its checkpoints
    needs.

    Args:
        path (str): The ``.pth`` file.
    """
    return torch.load(path, map_location='cpu')


def leaves(node, prefix: str = '') -> Iterator[Tuple[str, Leaf]]:
    """(dotted key, value) of every tensor or number in nested dicts and
    lists (strings and ``None`` are skipped).

    Args:
        node: A checkpoint or a part of one.
        prefix (str): Prepended to the keys.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f'{prefix}{key}.')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from leaves(value, f'{prefix}{i}.')
    elif torch.is_tensor(node) or isinstance(node, (int, float)):
        yield prefix.rstrip('.'), node


@dataclass
class CheckpointDiff:
    """How two checkpoints differ.

    Args:
        mismatched (list[str]): Keys in one checkpoint only, or whose
            tensors differ in dtype or shape.
        different (list[str]): Keys whose values differ.
        max_abs_diff (float): The largest absolute difference over
            ``different`` (``inf`` where one is not finite).
        leaves (int): Tensors and numbers of the first checkpoint compared.
    """
    mismatched: List[str]
    different: List[str]
    max_abs_diff: float
    leaves: int

    @property
    def exact(self) -> bool:
        return not self.mismatched and not self.different

    def __str__(self) -> str:
        if self.exact:
            return f'all {self.leaves} tensors and numbers equal'
        return (f'{len(self.different)} of {self.leaves} differ (largest '
                f'absolute difference {self.max_abs_diff:.3g}): '
                f'{self.different[:5]}; mismatched: {self.mismatched[:5]}')


def compare_checkpoints(a: dict, b: dict) -> CheckpointDiff:
    """Compare the state dicts and optimizer states (loss scaler included)
    of two checkpoints with ``torch.equal``.

    Args:
        a (dict): One checkpoint, e.g. of the uninterrupted run.
        b (dict): The other, e.g. of the resumed run.
    """
    leaves_a = dict(leaves({part: a.get(part) for part in COMPARED_PARTS}))
    leaves_b = dict(leaves({part: b.get(part) for part in COMPARED_PARTS}))
    mismatched = [
        f'{key} only in one checkpoint'
        for key in sorted(set(leaves_a) ^ set(leaves_b))
    ]
    different, largest = [], 0.0
    for key in sorted(set(leaves_a) & set(leaves_b)):
        va, vb = leaves_a[key], leaves_b[key]
        if torch.is_tensor(va) or torch.is_tensor(vb):
            # A number may be saved as a tensor on one side only.
            va, vb = torch.as_tensor(va), torch.as_tensor(vb)
            if va.shape != vb.shape or va.dtype != vb.dtype:
                mismatched.append(f'{key}: {va.dtype}{tuple(va.shape)} vs '
                                  f'{vb.dtype}{tuple(vb.shape)}')
                continue
            if torch.equal(va, vb):
                continue
            diff = (va.double() - vb.double()).abs().max().item()
        elif va == vb:
            continue
        else:
            diff = abs(float(va) - float(vb))
        different.append(key)
        largest = max(largest, diff if math.isfinite(diff) else math.inf)
    return CheckpointDiff(mismatched, different, largest, len(leaves_a))
