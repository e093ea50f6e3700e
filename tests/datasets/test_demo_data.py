import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn

from csdnet_mm.datasets.demo_data import (ensure_demo_ufg, generate_demo_ufg,
                                          make_glyphs)
from csdnet_mm.errors import UserInputError


def test_glyphs_distinct_symmetric_equal_ink():
    glyphs = make_glyphs(10, np.random.default_rng(0))
    assert glyphs.shape == (10, 5, 5)
    assert (glyphs == glyphs[:, :, ::-1]).all()  # flip keeps the class
    assert len({int(g.sum()) for g in glyphs}) == 1
    for i in range(10):
        for j in range(i):
            assert (glyphs[i] != glyphs[j]).sum() >= 4


def test_generation_is_deterministic(tmp_path):
    spec = dict(num_classes=3, train_per_class=2, test_per_class=1)
    a = generate_demo_ufg(str(tmp_path / 'a'), **spec)
    b = generate_demo_ufg(str(tmp_path / 'b'), **spec)
    name = 'train_c002_001.png'
    img_a = cv2.imread(osp.join(a, 'images', name))
    img_b = cv2.imread(osp.join(b, 'images', name))
    assert img_a.shape == (72, 72, 3) and (img_a == img_b).all()


def test_ensure_refuses_to_overwrite_foreign_folder(tmp_path):
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine' / 'precious.txt').write_text('x')
    with pytest.raises(UserInputError, match='refusing to overwrite'):
        ensure_demo_ufg(str(tmp_path / 'mine'))


def _load(root, split, blur_factor):
    xs, ys = [], []
    with open(osp.join(root, 'anno', f'{split}.txt')) as f:
        for line in f:
            name, label = line.split()
            img = cv2.imread(osp.join(root, 'images', name)).astype(
                np.float32) / 255
            if blur_factor > 1:
                side = img.shape[0]
                small = cv2.resize(
                    img, (side // blur_factor, ) * 2,
                    interpolation=cv2.INTER_AREA)
                img = cv2.resize(small, (side, side))
            xs.append(img.transpose(2, 0, 1))
            ys.append(int(label) - 1)
    return torch.from_numpy(np.stack(xs)), torch.tensor(ys)


def _train_and_score(root, blur_factor, epochs=8):
    torch.manual_seed(0)
    x_train, y_train = _load(root, 'train', blur_factor)
    x_test, y_test = _load(root, 'test', blur_factor)

    def block(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
            nn.ReLU())

    net = nn.Sequential(
        block(3, 32), block(32, 32), nn.MaxPool2d(2), block(32, 64),
        block(64, 64), nn.MaxPool2d(2), block(64, 128),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(),
        nn.Linear(128,
                  int(y_train.max()) + 1))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(x_train), generator=gen).split(16):
            loss = nn.functional.cross_entropy(net(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        return (net(x_test).argmax(1) == y_test).float().mean().item()


@pytest.mark.slow
@pytest.mark.timeout(1800)  # 10 min beside a training on both cores
def test_classes_live_in_local_detail(tmp_path):
    """A small CNN learns the default demo set well above chance (10 %);
    the same CNN on images whose local detail is averaged away (8x8 blocks)
    does clearly worse."""
    root = ensure_demo_ufg(str(tmp_path / 'demo'))
    sharp = _train_and_score(root, blur_factor=1)
    blurred = _train_and_score(root, blur_factor=8)
    assert sharp >= 0.6, sharp
    assert blurred <= sharp - 0.3, (sharp, blurred)
