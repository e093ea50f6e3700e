import os
import os.path as osp

import pytest

from csdnet_mm.datasets import UFGDataset, UFGDemoDataset
from csdnet_mm.errors import UserInputError


def _write_ufg(root, lines, images=None, split='train'):
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'anno'), exist_ok=True)
    names = images if images is not None else [
        line.rsplit(maxsplit=1)[0] for line in lines
    ]
    for name in names:
        open(osp.join(root, 'images', name), 'wb').close()
    with open(osp.join(root, 'anno', f'{split}.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(root)


def test_reads_one_based_labels_as_zero_based(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 1', 'b.jpg 3', 'c d.jpg 2'])
    ds = UFGDataset(root, split='train', num_classes=3, lazy_init=False)
    assert len(ds) == 3
    assert ds.get_gt_labels().tolist() == [0, 2, 1]
    assert ds.get_data_info(2)['img_path'] == osp.join(root, 'images',
                                                       'c d.jpg')
    assert ds.CLASSES == ('1', '2', '3')


def test_subset_gives_class_count(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 80'])
    ds = UFGDataset(root, subset='Cotton80')
    assert len(ds.CLASSES) == 80 and ds.get_gt_labels().tolist() == [79]


def test_zero_based_file_is_reported_with_the_fix(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 0', 'b.jpg 1'])
    with pytest.raises(UserInputError) as e:
        UFGDataset(root, num_classes=2)
    msg = str(e.value)
    assert 'train.txt, line 1' in msg and 'label_base=0' in msg
    ds = UFGDataset(root, num_classes=2, label_base=0)
    assert ds.get_gt_labels().tolist() == [0, 1]


def test_label_above_class_count(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 1', 'b.jpg 81'])
    with pytest.raises(
            UserInputError, match=r'line 2: label 81 is outside '
            r'1\.\.80'):
        UFGDataset(root, subset='Cotton80')


def test_missing_root_shows_layout_and_source(tmp_path):
    with pytest.raises(UserInputError) as e:
        UFGDataset(str(tmp_path / 'nope'), subset='Cotton80')
    msg = str(e.value)
    assert 'nope' in msg and 'does not exist' in msg
    assert 'anno/' in msg and 'train.txt' in msg and 'Ultra-FGVC' in msg


def test_missing_annotation_file(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 1'], split='train')
    with pytest.raises(
            UserInputError, match=r'anno/test\.txt.*does not '
            'exist'):
        UFGDataset(root, split='test', num_classes=2)


def test_missing_image_is_named(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 1', 'gone.jpg 2'], images=['a.jpg'])
    with pytest.raises(UserInputError, match=r'(?s)1 image\(s\).*gone\.jpg'):
        UFGDataset(root, num_classes=2)


def test_malformed_line_and_bad_options(tmp_path):
    root = _write_ufg(tmp_path, ['a.jpg 1', 'nolabel'], images=['a.jpg'])
    with pytest.raises(UserInputError, match='line 2'):
        UFGDataset(root, num_classes=2)
    with pytest.raises(UserInputError, match='unknown subset'):
        UFGDataset(root, subset='Coton80')
    with pytest.raises(UserInputError, match='split'):
        UFGDataset(root, split='valid', num_classes=2)
    with pytest.raises(UserInputError, match='num_classes'):
        UFGDataset(root)


def test_demo_dataset_reads_through_ufg_loader(demo_root):
    ds = UFGDemoDataset(
        demo_root,
        split='test',
        demo_spec=dict(num_classes=4, train_per_class=4, test_per_class=2))
    assert isinstance(ds, UFGDataset)
    assert len(ds) == 8 and sorted(set(ds.get_gt_labels())) == [0, 1, 2, 3]
    with open(osp.join(demo_root, 'anno', 'train.txt')) as f:
        labels = {int(line.split()[-1]) for line in f}
    assert labels == {1, 2, 3, 4}  # released UFG convention: 1-based
