"""csdnet_mm.datasets.fashion_mnist_fewshot on tiny synthetic idx files (the
Debian package is not needed); its command line is tested in
tests/tools/test_prepare_fashion_mnist.py."""
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest

from csdnet_mm.datasets import UFGDataset
from csdnet_mm.datasets.fashion_mnist_fewshot import (
    format_summary, parse_classes, prepare_fashion_mnist_fewshot)
from csdnet_mm.errors import UserInputError
from conftest import write_fashion_source

FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
         't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')
CLASSES = [0, 2, 3, 4, 6, 5, 7, 9]  # the tool's default
COUNTS = dict(shots=3, unlabeled_per_class=20, test_per_class=15)


@pytest.fixture(scope='module')
def src(tmp_path_factory):
    """10 classes x 30 train and x 25 t10k images of 28 x 28, shuffled."""
    root = tmp_path_factory.mktemp('fashion_src')
    return root, write_fashion_source(root, 123, 30, 25)


def _prepare(src_dir, out, **kwargs):
    args = {**COUNTS, 'seed': 0, **kwargs}
    return prepare_fashion_mnist_fewshot(
        str(src_dir), str(out), CLASSES, **args)


def _read_list(path):
    rows = [line.split() for line in open(path).read().splitlines()]
    return [(name, int(label)) for name, label in rows]


def _index(name):
    return int(name.rsplit('_', 1)[1].split('.')[0])


@pytest.fixture(scope='module')
def seed0(src, tmp_path_factory):
    out = tmp_path_factory.mktemp('fewshot') / 'seed0'
    return out, _prepare(src[0], out)


def test_lists_counts_and_labels_in_class_order(src, seed0):
    _, arrays = src
    out, result = seed0
    summary = format_summary(result, str(out), 0.1)
    assert len(summary.splitlines()) == 1 and 'train 24 (3/class)' in summary
    assert result['stale'] == []
    expected = {
        'train': ('train', 3),
        'test': ('t10k', 15),
        'unlabeled': ('train', 20)
    }
    for name, (split, per_class) in expected.items():
        items = _read_list(out / 'anno' / f'{name}.txt')
        labels = [label for _, label in items]
        # 1-based, sorted by label, per_class of each.
        assert labels == sorted(labels)
        assert labels == [c for c in range(1, 9) for _ in range(per_class)]
        prefix = 'test_' if split == 't10k' else 'train_'
        source_labels = arrays[split][1]
        for file_name, label in items:
            assert file_name.startswith(prefix) and file_name.endswith('.png')
            # Label i+1 is the i-th class of `classes`.
            assert source_labels[_index(file_name)] == CLASSES[label - 1]
            assert (out / 'images' / file_name).is_file()
        assert len({n for n, _ in items}) == len(items)
    listed = {
        n
        for name in expected
        for n, _ in _read_list(out / 'anno' / f'{name}.txt')
    }
    assert set(os.listdir(out / 'images')) == listed
    assert not (out / 'anno' / 'val.txt').exists()

    meta = json.loads((out / 'meta.json').read_text())
    assert meta == result['meta']
    assert [c['source_label'] for c in meta['classes']] == CLASSES
    assert meta['classes'][0] == dict(
        label=1, source_label=0, name='T-shirt/top')
    assert meta['seed'] == 0
    assert meta['counts']['train'] == 24 and meta['counts']['test'] == 120
    assert meta['counts']['images'] == len(listed)
    for file_name in FILES:
        digest = hashlib.sha256((src[0] / file_name).read_bytes()).hexdigest()
        assert meta['source']['files'][file_name]['sha256'] == digest


def test_png_pixels_equal_the_source(src, seed0):
    from PIL import Image
    _, arrays = src
    out, _ = seed0
    for list_name, split in (('train', 'train'), ('test', 't10k')):
        file_name, _ = _read_list(out / 'anno' / f'{list_name}.txt')[-1]
        with Image.open(out / 'images' / file_name) as img:
            assert img.mode == 'L'
            pixels = np.asarray(img)
        np.testing.assert_array_equal(pixels,
                                      arrays[split][0][_index(file_name)])


def test_deterministic_and_only_the_shots_depend_on_the_seed(
        src, seed0, tmp_path):
    out0, _ = seed0
    again = tmp_path / 'again'
    other = tmp_path / 'seed1'
    _prepare(src[0], again)
    _prepare(src[0], other, seed=1)

    def read(root, name):
        return (root / name).read_bytes()

    for name in ('anno/train.txt', 'anno/test.txt', 'anno/unlabeled.txt',
                 'meta.json'):
        assert read(again, name) == read(out0, name), name
    assert read(other, 'anno/train.txt') != read(out0, 'anno/train.txt')
    assert read(other, 'anno/test.txt') == read(out0, 'anno/test.txt')
    assert (read(other, 'anno/unlabeled.txt') == read(out0,
                                                      'anno/unlabeled.txt'))
    # Fewer shots are a subset of more (same seed).
    fewer = tmp_path / 'fewer'
    _prepare(src[0], fewer, shots=2)
    assert (set(_read_list(fewer / 'anno' / 'train.txt'))
            < set(_read_list(out0 / 'anno' / 'train.txt')))


def test_a_second_run_into_the_folder_reports_stale_images(src, tmp_path):
    out = tmp_path / 'out'

    def listed():
        return {
            name
            for list_file in (out / 'anno').iterdir()
            for name, _ in _read_list(list_file)
        }

    _prepare(src[0], out, val_per_class=2)
    first = listed()
    result = _prepare(src[0], out, shots=1)
    # val.txt of the first run is removed; the images only the first run
    # listed (its validation images, two of its shots) stay, reported.
    assert not (out / 'anno' / 'val.txt').exists()
    assert result['stale'] == sorted(first - listed())
    assert len(result['stale']) >= 2 * len(CLASSES)
    assert 'from an earlier run are in no list' in format_summary(
        result, str(out), 0.1)


def test_ufg_dataset_reads_the_lists(seed0):
    out, _ = seed0
    for kwargs, per_class in ((dict(split='train'), 3), (dict(split='test'),
                                                         15),
                              (dict(ann_file='anno/unlabeled.txt'), 20)):
        dataset = UFGDataset(data_root=str(out), num_classes=8, **kwargs)
        labels = [
            dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))
        ]
        assert labels == [c for c in range(8) for _ in range(per_class)]
        assert osp.isfile(dataset.get_data_info(0)['img_path'])


def test_missing_source_names_the_file_and_the_fix(src, tmp_path):
    partial = tmp_path / 'partial'
    partial.mkdir()
    for name in FILES[:3]:
        (partial / name).write_bytes((src[0] / name).read_bytes())
    with pytest.raises(UserInputError) as error:
        _prepare(partial, tmp_path / 'out')
    message = str(error.value)
    assert 't10k-labels-idx1-ubyte.gz' in message
    assert 'train-images-idx3-ubyte.gz' not in message
    assert 'apt-get install dataset-fashion-mnist' in message
    assert '--src' in message
    assert not (tmp_path / 'out').exists()

    with pytest.raises(
            UserInputError,
            match='train-images-idx3-ubyte.gz.*does not exist'):
        _prepare(tmp_path / 'nowhere', tmp_path / 'out')


def test_bad_magic_number_and_too_few_images(src, tmp_path):
    bad = tmp_path / 'bad'
    bad.mkdir()
    for name in FILES:
        (bad / name).write_bytes((src[0] / name).read_bytes())
    # Labels where the images should be.
    (bad / FILES[0]).write_bytes((src[0] / FILES[1]).read_bytes())
    with pytest.raises(UserInputError) as error:
        _prepare(bad, tmp_path / 'out')
    message = str(error.value)
    assert 'magic number 2049' in message and 'expected 2051' in message
    assert FILES[0] in message

    # The tool's defaults ask for 50 unlabeled / 200 test images per class.
    with pytest.raises(
            UserInputError,
            match='--unlabeled-per-class 50: .* only 30 images '
            'of class 0 .* at most 30'):
        _prepare(src[0], tmp_path / 'out', unlabeled_per_class=50)
    assert not (tmp_path / 'out').exists()


def test_validation_images_are_neither_shots_nor_in_the_pool(src, tmp_path):
    out = tmp_path / 'with_val'
    result = _prepare(src[0], out, seed=1, val_per_class=5)
    assert result['meta']['files']['val'] == 'anno/val.txt'
    anno = out / 'anno'
    val = {name for name, _ in _read_list(anno / 'val.txt')}
    assert len(val) == 5 * len(CLASSES)
    for other in ('train.txt', 'unlabeled.txt'):
        assert not val & {name for name, _ in _read_list(anno / other)}


@pytest.mark.parametrize(
    'text, message',
    [('0,a', 'expected comma-separated class ids'),
     (',', 'give at least one class id'),
     ('0,12', r'\[12\] outside 0..9 \(0 T-shirt/top, .* 9 Ankle boot\)'),
     ('3,3', 'a class is listed twice')])
def test_parse_classes_says_what_is_wrong(text, message):
    with pytest.raises(UserInputError, match=message):
        parse_classes(text)


def test_parse_classes():
    assert parse_classes('0,2, 3,') == [0, 2, 3]
