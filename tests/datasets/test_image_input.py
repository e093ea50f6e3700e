"""Unreadable, truncated, odd-mode and too-small images in UFG data."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from csdnet_mm.datasets import UFGDataset
from csdnet_mm.errors import UserInputError

DEMO_DATA_CFG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets',
    'ufg_demo_bs16_64.py')


def _photo(size=(80, 96)):
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (*size, 3), dtype=np.uint8)


def _write(root, images):
    """images: {file name: writer(path)}; labels cycle over 2 classes."""
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'anno'), exist_ok=True)
    for name, write in images.items():
        write(osp.join(root, 'images', name))
    with open(osp.join(root, 'anno', 'train.txt'), 'w') as f:
        f.writelines(f'{name} {i % 2 + 1}\n' for i, name in enumerate(images))
    return str(root)


def _good(path):
    Image.fromarray(_photo()).save(path)


def _not_an_image(path):
    with open(path, 'wb') as f:
        f.write(b'this is not a JPEG')


def _truncated_jpeg(path):
    Image.fromarray(_photo()).save(path, quality=95)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


def _pipeline(name):
    return Config.fromfile(DEMO_DATA_CFG)[name]


def test_unreadable_image_is_named_with_the_skip_option(tmp_path):
    root = _write(tmp_path, {'a.jpg': _good, 'bad.jpg': _not_an_image})
    ds = UFGDataset(root, num_classes=2, pipeline=_pipeline('train_pipeline'))
    assert ds[0]['inputs'].shape == (3, 64, 64)
    with pytest.raises(UserInputError) as e:
        ds[1]
    msg = str(e.value)
    assert 'cannot read image' in msg and 'bad.jpg' in msg
    assert 'corrupt_images="skip"' in msg


def test_check_lists_every_corrupt_file_before_training(tmp_path):
    root = _write(tmp_path, {
        'a.jpg': _good,
        'bad.jpg': _not_an_image,
        'cut.jpg': _truncated_jpeg
    })
    with pytest.raises(
            UserInputError,
            match=r'(?s)2 image\(s\) cannot be decoded.*bad\.jpg'
            r'.*cut\.jpg.*truncated.*corrupt_images="skip"'):
        UFGDataset(root, num_classes=2, corrupt_images='check')


def test_skip_leaves_corrupt_files_out_and_counts_them(tmp_path):
    root = _write(
        tmp_path, {
            'a.jpg': _good,
            'bad.jpg': _not_an_image,
            'b.jpg': _good,
            'cut.jpg': _truncated_jpeg
        })
    ds = UFGDataset(
        root,
        num_classes=2,
        corrupt_images='skip',
        pipeline=_pipeline('train_pipeline'))
    assert len(ds) == 2
    assert [osp.basename(ds.get_data_info(i)['img_path'])
            for i in range(2)] == ['a.jpg', 'b.jpg']
    assert len(ds.corrupt_files) == 2
    assert ds[1]['inputs'].shape == (3, 64, 64)
    # Labels of the kept images are unchanged (a.jpg 1 -> 0, b.jpg 1 -> 0).
    assert ds.get_gt_labels().tolist() == [0, 0]


def test_only_corrupt_images_is_an_error_and_bad_mode_is_named(tmp_path):
    root = _write(tmp_path, {'bad.jpg': _not_an_image})
    with pytest.raises(UserInputError, match='every listed image is corrupt'):
        UFGDataset(root, num_classes=2, corrupt_images='skip')
    with pytest.raises(UserInputError, match=r"corrupt_images='skp'"):
        UFGDataset(root, num_classes=2, corrupt_images='skp')


def _grey(path):
    Image.fromarray(_photo()[..., 0]).save(path)


def _grey_16bit(path):
    Image.fromarray(_photo()[..., 0].astype(np.uint16) * 256).save(path)


def _rgba(path):
    alpha = np.full(_photo().shape[:2] + (1, ), 128, np.uint8)
    Image.fromarray(np.concatenate([_photo(), alpha], axis=2)).save(path)


def _palette(path):
    Image.fromarray(_photo()).convert('P').save(path)


def _tiny(path):
    Image.fromarray(_photo((9, 13))).save(path)


@pytest.mark.parametrize('pipeline', ['train_pipeline', 'test_pipeline'])
def test_grey_rgba_palette_and_tiny_images_become_the_crop(tmp_path, pipeline):
    images = {
        'grey.png': _grey,
        'grey16.png': _grey_16bit,
        'rgba.png': _rgba,
        'palette.png': _palette,
        'tiny.png': _tiny
    }
    root = _write(tmp_path, images)
    ds = UFGDataset(
        root,
        num_classes=2,
        corrupt_images='check',
        pipeline=_pipeline(pipeline))
    for i, name in enumerate(images):
        assert ds[i]['inputs'].shape == (3, 64, 64), name
    grey = ds[0]['inputs']
    assert (grey[0] == grey[1]).all() and (grey[1] == grey[2]).all()


@pytest.mark.parametrize('crop', [
    dict(type='RandomCrop', crop_size=64),
    dict(type='CenterCrop', crop_size=64),
])
def test_image_smaller_than_a_crop_without_resize_is_named(tmp_path, crop):
    root = _write(tmp_path, {'big.png': _good, 'tiny.png': _tiny})
    pipeline = [dict(type='LoadImageFromFile'), crop, dict(type='PackInputs')]
    ds = UFGDataset(root, num_classes=2, pipeline=pipeline)
    assert ds[0]['inputs'].shape == (3, 64, 64)
    pad = 'pad_if_needed' if crop['type'] == 'RandomCrop' else 'auto_pad'
    with pytest.raises(
            UserInputError,
            match=rf'(?s)tiny\.png is 9x13 px.*smaller than the '
            rf'crop of 64x64.*Resize.*{pad}=True'):
        ds[1]
    # The fix the message names works.
    fixed = dict(crop, **{pad: True})
    ds = UFGDataset(
        root,
        num_classes=2,
        pipeline=[
            dict(type='LoadImageFromFile'), fixed,
            dict(type='PackInputs')
        ])
    assert ds[1]['inputs'].shape == (3, 64, 64)
