import copy
import logging
import math
from collections import defaultdict
from typing import List, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS

from ..errors import UserInputError


@DATASETS.register_module()
class LabelSubsetDataset:
    """A class-stratified fraction of a dataset's labelled samples.

    For linear evaluation with 100 / 50 / 20 % of the training labels
    (docs/methods/synthpairs.md, "Evaluation protocols"). Each class c
    with n_c samples keeps
    ``max(min_per_class, round(fraction * n_c))`` of them (rounded half up,
    at most n_c), drawn with ``numpy.random.default_rng(seed)`` so the
    subset depends only on the seed and the dataset, not on the global RNG.
    Kept samples stay in their original order (see ``subset_indices``).

    Like mmengine's ``RepeatDataset`` it is a wrapper, not a
    ``BaseDataset``; wrap a dataset that provides ``get_cat_ids`` with one
    label per sample (every MMPretrain classification dataset does).

    Args:
        dataset (dict | BaseDataset): The dataset to subsample.
        fraction (float): Share of each class to keep, in (0, 1].
        seed (int): Seed of the subset draw. Defaults to 0.
        min_per_class (int): Fewest samples kept per class (unless the
            class has fewer). Defaults to 1.
        lazy_init (bool): Whether to defer loading the annotations and
            drawing the subset until first use. Defaults to False.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 fraction: float,
                 seed: int = 0,
                 min_per_class: int = 1,
                 lazy_init: bool = False):
        if isinstance(fraction, bool) or \
                not isinstance(fraction, (int, float)) or \
                not 0 < fraction <= 1:
            raise UserInputError(
                f'LabelSubsetDataset: fraction={fraction!r} must be a '
                'number in (0, 1], e.g. 0.5 for 50 % of the labels.')
        if isinstance(min_per_class, bool) or \
                not isinstance(min_per_class, int) or min_per_class < 0:
            raise UserInputError(
                f'LabelSubsetDataset: min_per_class={min_per_class!r} '
                'must be an int >= 0.')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not hasattr(dataset, 'get_cat_ids'):
            raise UserInputError(
                'LabelSubsetDataset: the wrapped dataset '
                f'{type(dataset).__name__} has no `get_cat_ids`, so its '
                'samples cannot be grouped by class; wrap a classification '
                'dataset (e.g. an MMPretrain BaseDataset).')
        self.dataset = dataset
        self.fraction = float(fraction)
        self.seed = seed
        self.min_per_class = min_per_class
        self._metainfo = dataset.metainfo
        self.subset_indices: List[int] = []

        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load the wrapped dataset and draw the subset."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self.subset_indices = self._draw_subset()
        self._fully_initialized = True

    def _draw_subset(self) -> List[int]:
        by_class = defaultdict(list)
        for idx in range(len(self.dataset)):
            cat_ids = list(self.dataset.get_cat_ids(idx))
            if len(cat_ids) != 1:
                raise UserInputError(
                    'LabelSubsetDataset: needs one class label per sample, '
                    f'but sample {idx} has {cat_ids}.')
            by_class[int(cat_ids[0])].append(idx)

        rng = np.random.default_rng(self.seed)
        kept = []
        for cat in sorted(by_class):
            indices = by_class[cat]
            # Half up, not Python's round-half-even: 50 % of 5 keeps 3.
            num_keep = math.floor(self.fraction * len(indices) + 0.5)
            num_keep = min(len(indices), max(self.min_per_class, num_keep))
            if num_keep == len(indices):
                kept.extend(indices)
            else:
                kept.extend(
                    rng.choice(indices, size=num_keep, replace=False).tolist())
        kept.sort()
        print_log(
            f'LabelSubsetDataset: kept {len(kept)} of {len(self.dataset)} '
            f'samples ({len(by_class)} classes, fraction={self.fraction}, '
            f'seed={self.seed}).',
            logger='current')
        return kept

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The annotation of the ``idx``-th kept sample."""
        return self.dataset.get_data_info(self.subset_indices[idx])

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """The class ids of the ``idx``-th kept sample."""
        return self.dataset.get_cat_ids(self.subset_indices[idx])

    def __getitem__(self, idx: int):
        if not self._fully_initialized:
            print_log(
                'Please call `full_init` method manually to accelerate the '
                'speed.',
                logger='current',
                level=logging.WARNING)
            self.full_init()
        return self.dataset[self.subset_indices[idx]]

    @force_full_init
    def __len__(self) -> int:
        return len(self.subset_indices)
