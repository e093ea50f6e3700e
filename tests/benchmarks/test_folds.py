import os.path as osp
from collections import Counter

import pytest

from csdnet_mm.benchmarks.folds import stratified_folds, write_folds
from csdnet_mm.errors import UserInputError

# 3 classes with 7, 5 and 4 images.
SAMPLES = [(f'img/{c}_{i}.png', c) for c, n in ((0, 7), (1, 5), (2, 4))
           for i in range(n)]


def test_folds_partition_the_images_and_spread_every_class():
    folds = stratified_folds(SAMPLES, 3, seed=1)
    flat = sorted(i for fold in folds for i in fold)
    assert flat == list(range(len(SAMPLES)))
    for fold in folds:
        per_class = Counter(SAMPLES[i][1] for i in fold)
        assert per_class[0] in (2, 3) and per_class[1] in (1, 2)
        assert per_class[2] in (1, 2)
    assert sorted(len(f) for f in folds) == [5, 5, 6]
    assert stratified_folds(SAMPLES, 3, seed=1) == folds
    assert stratified_folds(SAMPLES, 3, seed=2) != folds


def test_too_few_images_in_a_class_is_named():
    with pytest.raises(UserInputError, match=r'class 2: 4.*--folds 3'):
        stratified_folds(SAMPLES, 4)


def test_written_folds_hold_disjoint_absolute_lists(tmp_path):
    paths = write_folds(str(tmp_path), SAMPLES, 2)
    for split_files in paths:
        lines = {
            s: open(p).read().splitlines()
            for s, p in split_files.items()
        }
        train = {line.rsplit(' ', 1)[0] for line in lines['train']}
        val = {line.rsplit(' ', 1)[0] for line in lines['val']}
        assert not train & val
        assert len(train | val) == len(SAMPLES)
        assert all(osp.isabs(p) for p in train | val)
