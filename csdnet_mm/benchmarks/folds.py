"""Class-stratified validation folds carved from training images only."""
import os
import os.path as osp
import random
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from ..errors import UserInputError

Sample = Tuple[str, int]  # (image path, 0-based label)


def stratified_folds(samples: Sequence[Sample],
                     folds: int,
                     seed: int = 0) -> List[List[int]]:
    """Indices of ``samples`` in ``folds`` validation folds.

    Each class's images are shuffled (``seed``) and dealt round-robin, the
    class order and the fold a class starts at rotating, so every fold gets
    ``n // folds`` or one more image of each class and the folds are about
    equal in size. A class needs more images than folds, or some fold would
    leave it without a training image.
    """
    if folds < 2:
        raise UserInputError(f'folds={folds}: need at least 2 folds')
    by_class: Dict[int, List[int]] = defaultdict(list)
    for index, (_, label) in enumerate(samples):
        by_class[label].append(index)
    small = {c: len(i) for c, i in by_class.items() if len(i) <= folds}
    if small:
        shown = ', '.join(f'class {c}: {n}' for c, n in sorted(small.items()))
        raise UserInputError(
            f'{folds} validation folds need more than {folds} training '
            f'images in every class; {shown}. Use fewer folds '
            f'(--folds {max(2, min(small.values()) - 1)}) or more images.')
    rng = random.Random(seed)
    result: List[List[int]] = [[] for _ in range(folds)]
    for offset, label in enumerate(sorted(by_class)):
        indices = list(by_class[label])
        rng.shuffle(indices)
        for k, index in enumerate(indices):
            result[(k + offset) % folds].append(index)
    return [sorted(fold) for fold in result]


def write_split(path: str, samples: Sequence[Sample]) -> None:
    """An annotation file MMPretrain's ``CustomDataset`` reads with
    ``data_prefix=''``: one ``<absolute path> <label>`` line per image."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    lines = []
    for image, label in samples:
        image = osp.abspath(image)
        if '\n' in image:
            raise UserInputError(f'image path {image!r} has a line break')
        lines.append(f'{image} {label}\n')
    with open(path, 'w') as f:
        f.writelines(lines)


def write_folds(root: str,
                samples: Sequence[Sample],
                folds: int,
                seed: int = 0) -> List[Dict[str, str]]:
    """Write ``fold<k>/{train,val}.txt`` under ``root``; return their paths
    per fold."""
    written = []
    for k, val in enumerate(stratified_folds(samples, folds, seed)):
        held = set(val)
        paths = {}
        for split, picked in (('train', [
                s for i, s in enumerate(samples) if i not in held
        ]), ('val', [samples[i] for i in val])):
            paths[split] = osp.join(root, f'fold{k}', f'{split}.txt')
            write_split(paths[split], picked)
        written.append(paths)
    return written
