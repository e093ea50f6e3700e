"""A small, generated, ultra-fine-grained-like image set in the UFG layout.

Every image shows one leaf on soil. All classes share the same leaf, colour
and texture distribution; a class is defined only by a small "lesion"
glyph (a 5x5 pattern drawn at 3 px per cell, i.e. 15x15 px of a 72x72
image) placed at a random spot on the leaf, among random round spots of the
same colour. Every glyph has the same amount of ink, so the class cannot be
read from global colour statistics: a model has to resolve local detail.
Glyphs are left-right symmetric so that horizontal flips keep the class.

The set is deterministic for a given seed and written exactly like a UFG
subset (``images/``, ``anno/train.txt``, ``anno/test.txt``, 1-based
labels), so :class:`~csdnet_mm.datasets.UFGDataset` reads it.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Optional

import cv2
import numpy as np

DEMO_VERSION = 1
DEFAULT_DEMO_ROOT = 'data/ufg_demo'
DEFAULT_DEMO_SPEC = dict(
    num_classes=10,
    train_per_class=32,
    test_per_class=10,
    image_size=72,
    cell_px=3,
    seed=0)

_GLYPH_SIDE = 5


def make_glyphs(num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct, left-right symmetric 5x5 glyphs with equal ink (11 cells).

    Any two glyphs differ in at least 4 cells.
    """
    glyphs = []
    half_cells = [(r, c) for r in range(_GLYPH_SIDE) for c in range(2)]
    for _ in range(10000):
        glyph = np.zeros((_GLYPH_SIDE, _GLYPH_SIDE), dtype=bool)
        for idx in rng.choice(len(half_cells), size=4, replace=False):
            r, c = half_cells[idx]
            glyph[r, c] = glyph[r, _GLYPH_SIDE - 1 - c] = True
        glyph[rng.choice(_GLYPH_SIDE, size=3, replace=False), 2] = True
        if all((glyph != g).sum() >= 4 for g in glyphs):
            glyphs.append(glyph)
            if len(glyphs) == num_classes:
                return np.stack(glyphs)
    raise RuntimeError(f'could not draw {num_classes} distinct glyphs')


def _render(glyph: np.ndarray, size: int, cell_px: int,
            rng: np.random.Generator) -> np.ndarray:
    """One BGR image of a leaf carrying ``glyph`` at a random spot."""
    soil = np.array([60, 85, 110], np.float32) + rng.normal(0, 8, 3)
    img = soil + rng.normal(0, 10, (size, size, 3)).astype(np.float32)

    center = np.array([size / 2, size / 2]) + rng.uniform(-3, 3, 2)
    axes = (rng.uniform(0.40, 0.46) * size, rng.uniform(0.26, 0.32) * size)
    angle = rng.uniform(0, 180)
    leaf = np.zeros((size, size), np.uint8)
    cv2.ellipse(leaf, (int(center[0]), int(center[1])),
                (int(axes[0]), int(axes[1])), angle, 0, 360, 255, -1)
    green = np.array([50, 140, 70], np.float32) + rng.normal(0, 10, 3)
    texture = cv2.GaussianBlur(
        rng.normal(0, 14, (size, size)).astype(np.float32), (0, 0), 1.5)
    leaf_img = green + texture[..., None]
    # Veins: a midrib along the major axis and a few laterals.
    veins = np.zeros((size, size), np.uint8)
    theta = np.deg2rad(angle)
    direction = np.array([np.cos(theta), np.sin(theta)])
    normal = np.array([-direction[1], direction[0]])
    tip_a, tip_b = center + direction * axes[0], center - direction * axes[0]
    cv2.line(veins, tuple(int(v) for v in tip_a), tuple(int(v) for v in tip_b),
             255, 1)
    for t in np.linspace(-0.6, 0.6, 5):
        start = center + direction * axes[0] * t
        for side in (-1, 1):
            end = start + (
                normal * side * axes[1] * 0.8 + direction * axes[0] * 0.2)
            cv2.line(veins, tuple(int(v) for v in start),
                     tuple(int(v) for v in end), 255, 1)
    leaf_img[veins > 0] += 25
    mask = leaf > 0
    img[mask] = leaf_img[mask]

    def spot_center(max_radius: float) -> np.ndarray:
        r = max_radius * np.sqrt(rng.uniform())
        phi = rng.uniform(0, 2 * np.pi)
        local = np.array([np.cos(phi) * axes[0], np.sin(phi) * axes[1]]) * r
        return center + local[0] * direction + local[1] * normal

    ink = np.array([30, 45, 60], np.float32) + rng.normal(0, 5, 3)
    for _ in range(rng.integers(1, 4)):
        c = spot_center(0.6)
        cv2.circle(img, (int(c[0]), int(c[1])), int(rng.integers(2, 4)),
                   ink.tolist(), -1)
    side = _GLYPH_SIDE * cell_px
    c = spot_center(0.45)
    top, left = int(c[1]) - side // 2, int(c[0]) - side // 2
    top, left = np.clip([top, left], 1, size - side - 1)
    cells = np.kron(glyph, np.ones((cell_px, cell_px), bool))
    patch = img[top:top + side, left:left + side]
    patch[cells] = ink

    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def generate_demo_ufg(
        root: str,
        num_classes: int = DEFAULT_DEMO_SPEC['num_classes'],
        train_per_class: int = DEFAULT_DEMO_SPEC['train_per_class'],
        test_per_class: int = DEFAULT_DEMO_SPEC['test_per_class'],
        image_size: int = DEFAULT_DEMO_SPEC['image_size'],
        cell_px: int = DEFAULT_DEMO_SPEC['cell_px'],
        seed: int = DEFAULT_DEMO_SPEC['seed']) -> str:
    """Write the demo set to ``root`` (atomically) and return ``root``."""
    spec = dict(
        num_classes=num_classes,
        train_per_class=train_per_class,
        test_per_class=test_per_class,
        image_size=image_size,
        cell_px=cell_px,
        seed=seed,
        version=DEMO_VERSION)
    rng = np.random.default_rng(seed)
    glyphs = make_glyphs(num_classes, rng)
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.ufg_demo_', dir=parent)
    try:
        os.makedirs(osp.join(tmp, 'images'))
        os.makedirs(osp.join(tmp, 'anno'))
        for split, per_class in (('train', train_per_class), ('test',
                                                              test_per_class)):
            lines = []
            for label in range(num_classes):
                for i in range(per_class):
                    name = f'{split}_c{label + 1:03d}_{i:03d}.png'
                    cv2.imwrite(
                        osp.join(tmp, 'images', name),
                        _render(glyphs[label], image_size, cell_px, rng))
                    lines.append(f'{name} {label + 1}')
            with open(osp.join(tmp, 'anno', f'{split}.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')
        with open(osp.join(tmp, 'demo_spec.json'), 'w') as f:
            json.dump(spec, f, indent=2)
        try:
            os.rename(tmp, root)
        except OSError:
            # Another process (e.g. a second rank) finished first.
            if not is_demo_ready(root, spec):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def is_demo_ready(root: str, spec: Optional[dict] = None) -> bool:
    """Whether ``root`` holds a complete demo set (of ``spec``, if given)."""
    spec_file = osp.join(root, 'demo_spec.json')
    if not osp.isfile(spec_file):
        return False
    if spec is None:
        return True
    with open(spec_file) as f:
        return json.load(f) == spec


def ensure_demo_ufg(root: str = DEFAULT_DEMO_ROOT, **spec) -> str:
    """Generate the demo set at ``root`` unless an identical one is there."""
    full_spec = dict(DEFAULT_DEMO_SPEC, **spec)
    wanted = dict(full_spec, version=DEMO_VERSION)
    if is_demo_ready(root, wanted):
        return root
    if osp.exists(root):
        if not is_demo_ready(root):
            from ..errors import UserInputError
            raise UserInputError(
                f'{root!r} exists but is not a generated demo data set (no '
                'demo_spec.json); refusing to overwrite it. Point the config '
                'at another folder or remove this one.')
        shutil.rmtree(root)
    return generate_demo_ufg(root, **full_spec)


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Generate the demo ultra-fine-grained data set.')
    parser.add_argument('--out', default=DEFAULT_DEMO_ROOT)
    for key, value in DEFAULT_DEMO_SPEC.items():
        parser.add_argument(
            f'--{key.replace("_", "-")}', type=int, default=value)
    args = vars(parser.parse_args())
    root = ensure_demo_ufg(args.pop('out'), **args)
    print(f'demo data set ready at {root}')


if __name__ == '__main__':
    main()
