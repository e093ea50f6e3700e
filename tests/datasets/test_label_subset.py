from collections import Counter

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from csdnet_mm.datasets import LabelSubsetDataset, UFGDemoDataset
from csdnet_mm.errors import UserInputError

# The demo_root fixture's set: 4 classes x 4 training images.
DEMO_SPEC = dict(num_classes=4, train_per_class=4, test_per_class=2)


def _demo(demo_root, **kwargs):
    kwargs.setdefault('pipeline', [])
    return UFGDemoDataset(
        data_root=demo_root, split='train', demo_spec=DEMO_SPEC, **kwargs)


def _class_counts(ds):
    return Counter(ds.get_cat_ids(i)[0] for i in range(len(ds)))


class _LabelList(BaseDataset):
    """Samples with the given labels and no files (uneven classes)."""

    def __init__(self, labels, **kwargs):
        self._labels = labels
        super().__init__(
            ann_file='',
            metainfo=dict(classes=[str(c) for c in range(4)]),
            **kwargs)

    def load_data_list(self):
        return [
            dict(img_path=f'{i}.png', gt_label=label)
            for i, label in enumerate(self._labels)
        ]


@pytest.mark.parametrize('fraction,per_class', [(1.0, 4), (0.5, 2), (0.2, 1)])
def test_stratified_counts_on_demo_set(demo_root, fraction, per_class):
    # 0.2 * 4 = 0.8 rounds to 1.
    ds = LabelSubsetDataset(_demo(demo_root), fraction=fraction)
    assert len(ds) == 4 * per_class
    assert _class_counts(ds) == {c: per_class for c in range(4)}
    assert ds.subset_indices == sorted(ds.subset_indices)
    if fraction == 1.0:
        assert ds.subset_indices == list(range(16))


def test_uneven_classes_round_half_up_and_min_per_class():
    labels = [0] * 10 + [1] * 5 + [2] * 1 + [3] * 3
    # 0.5: 10 -> 5, 5 -> 2.5 -> 3, 1 -> 0.5 -> 1, 3 -> 1.5 -> 2
    ds = LabelSubsetDataset(_LabelList(labels), fraction=0.5)
    assert _class_counts(ds) == {0: 5, 1: 3, 2: 1, 3: 2}
    # 0.2: 10 -> 2, 5 -> 1, 1 -> 0.2 -> 0 -> min 1, 3 -> 0.6 -> 1
    ds = LabelSubsetDataset(_LabelList(labels), fraction=0.2)
    assert _class_counts(ds) == {0: 2, 1: 1, 2: 1, 3: 1}
    # min_per_class=3 lifts every class to 3 (or all it has).
    ds = LabelSubsetDataset(_LabelList(labels), fraction=0.2, min_per_class=3)
    assert _class_counts(ds) == {0: 3, 1: 3, 2: 1, 3: 3}


def test_seed_fixes_the_subset(demo_root):
    first = LabelSubsetDataset(_demo(demo_root), fraction=0.5, seed=0)
    # The draw has its own generator: the global RNGs do not matter.
    np.random.seed(123)
    torch.manual_seed(123)
    again = LabelSubsetDataset(_demo(demo_root), fraction=0.5, seed=0)
    other = LabelSubsetDataset(_demo(demo_root), fraction=0.5, seed=1)
    assert first.subset_indices == again.subset_indices
    assert first.subset_indices != other.subset_indices
    assert _class_counts(other) == _class_counts(first)


@pytest.mark.parametrize('fraction', [0, 0.0, 1.5, -0.5, '0.5'])
def test_bad_fraction(demo_root, fraction):
    with pytest.raises(UserInputError, match=f'fraction={fraction!r}'):
        LabelSubsetDataset(_demo(demo_root), fraction=fraction)


def test_dataset_without_cat_ids():
    with pytest.raises(UserInputError, match='get_cat_ids'):
        LabelSubsetDataset([1, 2, 3], fraction=0.5)


def test_plain_indexing_and_lazy_init(demo_root):
    init_default_scope('mmpretrain')
    wrapped = dict(
        type='UFGDemoDataset',
        data_root=demo_root,
        demo_spec=DEMO_SPEC,
        pipeline=[])
    ds = DATASETS.build(
        dict(
            type='LabelSubsetDataset',
            dataset=wrapped,
            fraction=0.5,
            seed=3,
            lazy_init=True))
    assert isinstance(ds, LabelSubsetDataset)
    assert ds.subset_indices == []
    assert len(ds) == 8  # len() runs full_init
    full = _demo(demo_root)
    assert ds.metainfo == full.metainfo
    for i, ori in enumerate(ds.subset_indices):
        item = ds[i]
        assert item['img_path'] == full.get_data_info(ori)['img_path']
        assert item['gt_label'] == full.get_data_info(ori)['gt_label']
        assert ds.get_data_info(i) == full.get_data_info(ori)
        assert ds.get_cat_ids(i) == full.get_cat_ids(ori)


def test_items_go_through_the_wrapped_pipeline(demo_root):
    init_default_scope('mmpretrain')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    ds = LabelSubsetDataset(_demo(demo_root, pipeline=pipeline), fraction=0.2)
    item = ds[len(ds) - 1]
    assert item['inputs'].dim() == 3
    assert item['data_samples'].gt_label.tolist() == ds.get_cat_ids(
        len(ds) - 1)
