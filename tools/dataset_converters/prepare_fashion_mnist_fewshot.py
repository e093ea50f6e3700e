"""Build a reproducible low-data Fashion-MNIST benchmark in the Ultra-FGVC
layout that ``UFGDataset`` reads.

    apt-get install dataset-fashion-mnist      # Debian/Ubuntu, once
    python tools/dataset_converters/prepare_fashion_mnist_fewshot.py \\
        --out data/fashion_mnist_fewshot/seed0 --seed 0

Reads the four idx files (``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``)
from ``--src`` and writes::

    <out>/
    |-- images/          train_<i>.png / test_<i>.png: 8-bit grey PNGs, <i>
    |                    the image's index in the source split (train / t10k)
    |-- anno/
    |   |-- train.txt     --shots labelled images per class (depends on --seed)
    |   |-- test.txt      --test-per-class images per class from t10k
    |   |-- val.txt       --val-per-class train-split images per class that
    |   |                 are neither shots nor in the unlabelled pool (only
    |   |                 with --val-per-class > 0): a
    |   |                 validation split for choosing options, so that the
    |   |                 test images are used once, for the reported figure
    |   `-- unlabeled.txt --unlabeled-per-class train-split images per class,
    |                     a pool for self-supervised pre-training (true labels
    |                     listed; SSL ignores them; may overlap train.txt)
    `-- meta.json        source, classes, counts, seed, sha256 of the sources

Lines are ``<file name> <label>``, labels 1-based in the order of
``--classes`` (label i+1 is the i-th listed Fashion-MNIST class), sorted by
label, then by source index. Load them with ``UFGDataset(data_root=<out>,
split='train', num_classes=<number of classes>)`` (``split='test'``, or
``ann_file='anno/unlabeled.txt'`` for the pool).

Selection: within each class the candidates are ordered by
``sha256("<purpose>:<seed>:<class>:<index>")`` and the first N are taken, so
the choice is independent of NumPy's random streams and of the other
classes, and smaller counts are subsets of larger ones (5 shots are the first
5 of the 10). Only the shots use ``--seed``; the unlabeled pool and the test
images use a fixed seed, so every seed has the same pool and test set and a
different ``--seed`` changes only ``anno/train.txt`` (and the seed in
meta.json). The same arguments give byte-identical lists.

The script needs only NumPy and Pillow (it does not import torch or the
plugin). Bad input (missing or malformed source files, too few images of a
class) is reported as ``error: ...`` without a traceback, exit status 2.
"""
import argparse
import gzip
import hashlib
import json
import os
import os.path as osp
import re
import struct
import sys
import time
import zlib
from typing import Dict, List, Sequence, Tuple

import numpy as np

# Where Debian's dataset-fashion-mnist puts the files; the environment
# variable moves the default (the test suite points it at an empty folder).
DEBIAN_SRC = '/usr/share/datasets/fashion-mnist'
SRC_ENV = 'CSDNET_MM_FASHION_MNIST_DIR'
DEFAULT_SRC = os.environ.get(SRC_ENV) or DEBIAN_SRC
DEFAULT_CLASSES = '0,2,3,4,6,5,7,9'
CLASS_NAMES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
# Source split -> (images file, labels file, prefix of the written files).
SPLITS = {
    'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
              'train'),
    't10k': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
             'test'),
}
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
# The pool and the test images never depend on --seed.
FIXED_SEED = 0
FIX_HINT = ('Install the Debian package (`apt-get install '
            'dataset-fashion-mnist`, which puts the files in '
            f'{DEBIAN_SRC}) or pass --src DIR (or set {SRC_ENV}) with the '
            'four *-ubyte.gz files of Fashion-MNIST.')
WRITTEN_NAME = re.compile(r'^(train|test)_\d+\.png$')


class PrepareError(Exception):
    """Bad input the user can fix; printed without a traceback, exit 2."""


# --------------------------------------------------------------------------
# Reading the idx files


def read_idx(path: str, magic: int) -> Tuple[np.ndarray, str]:
    """The array stored in a gzipped idx file, and the sha256 of the file.

    Checks the magic number, that the data length matches the header and
    that nothing follows it.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise PrepareError(f'{path}: not a readable gzip file ({e}). '
                           f'Re-download it. {FIX_HINT}') from None
    ndim = 3 if magic == IMAGES_MAGIC else 1
    kind = 'images' if magic == IMAGES_MAGIC else 'labels'
    header_len = 4 * (1 + ndim)
    if len(data) < header_len:
        raise PrepareError(f'{path}: only {len(data)} bytes after '
                           f'decompression; an idx {kind} file has a '
                           f'{header_len}-byte header.')
    found, *dims = struct.unpack(f'>{1 + ndim}I', data[:header_len])
    if found != magic:
        raise PrepareError(
            f'{path}: magic number {found} (0x{found:08x}), expected {magic} '
            f'(0x{magic:08x}) for an idx {kind} file. Is it the right file '
            f'(images: *-images-idx3-ubyte.gz, magic {IMAGES_MAGIC}; labels: '
            f'*-labels-idx1-ubyte.gz, magic {LABELS_MAGIC})?')
    expected = int(np.prod(dims, dtype=np.int64))
    body = len(data) - header_len
    if body != expected:
        raise PrepareError(
            f'{path}: header says shape {tuple(dims)} ({expected} bytes of '
            f'data) but the file holds {body} bytes; it is truncated or '
            'corrupt. Re-download it.')
    array = np.frombuffer(data, dtype=np.uint8, offset=header_len)
    return array.reshape(dims), digest


def load_split(src: str,
               split: str) -> Tuple[np.ndarray, np.ndarray, Dict[str, str]]:
    images_file, labels_file, _ = SPLITS[split]
    images_path = osp.join(src, images_file)
    labels_path = osp.join(src, labels_file)
    images, images_sha = read_idx(images_path, IMAGES_MAGIC)
    labels, labels_sha = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise PrepareError(
            f'{split} split: {images_path} holds {len(images)} images but '
            f'{labels_path} holds {len(labels)} labels; the files do not '
            'belong together.')
    if len(labels) and labels.max() >= len(CLASS_NAMES):
        raise PrepareError(
            f'{labels_path}: label {int(labels.max())} is outside 0..'
            f'{len(CLASS_NAMES) - 1}; not a Fashion-MNIST labels file.')
    return images, labels, {images_file: images_sha, labels_file: labels_sha}


def check_sources(src: str) -> None:
    missing = [osp.join(src, name) for split in SPLITS
               for name in SPLITS[split][:2]
               if not osp.isfile(osp.join(src, name))]
    if missing:
        where = ('' if osp.isdir(src) else
                 f' (the directory {src} does not exist)')
        raise PrepareError('missing Fashion-MNIST source file(s): ' +
                           ', '.join(missing) + f'{where}. {FIX_HINT}')


# --------------------------------------------------------------------------
# Choosing the images


def pick(indices: np.ndarray, count: int, purpose: str, seed: int,
         cls: int) -> List[int]:
    """The first ``count`` of ``indices`` in a seeded hash order, sorted.

    A larger ``count`` gives a superset; the order of one class does not
    depend on the other classes or on the NumPy version.
    """
    def key(index):
        text = f'{purpose}:{seed}:{cls}:{int(index)}'.encode()
        return hashlib.sha256(text).digest()

    return sorted(int(i) for i in sorted(indices, key=key)[:count])


def select(labels: np.ndarray, classes: Sequence[int], count: int,
           purpose: str, seed: int, split_desc: str,
           option: str) -> List[Tuple[int, int]]:
    """``(source index, 1-based label)`` of ``count`` images per class."""
    chosen = []
    for label, cls in enumerate(classes, start=1):
        candidates = np.flatnonzero(labels == cls)
        if len(candidates) < count:
            raise PrepareError(
                f'{option} {count}: the {split_desc} has only '
                f'{len(candidates)} images of class {cls} '
                f'({CLASS_NAMES[cls]}); lower {option} to at most '
                f'{len(candidates)} or use other --classes.')
        chosen += [(i, label)
                   for i in pick(candidates, count, purpose, seed, cls)]
    return chosen


# --------------------------------------------------------------------------
# Writing


def write_text(path: str, text: str) -> None:
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w', newline='\n') as f:
        f.write(text)
    os.replace(tmp, path)


def list_text(prefix: str, items: List[Tuple[int, int]]) -> str:
    return ''.join(f'{prefix}_{index}.png {label}\n'
                   for index, label in items)


def write_png(path: str, image: np.ndarray) -> None:
    from PIL import Image
    tmp = f'{path}.tmp{os.getpid()}'
    Image.fromarray(np.ascontiguousarray(image)).save(tmp, format='PNG')
    os.replace(tmp, path)


def parse_classes(text: str) -> List[int]:
    try:
        classes = [int(part) for part in text.split(',') if part.strip()]
    except ValueError:
        raise PrepareError(f'--classes {text!r}: expected comma-separated '
                           'class ids, e.g. 0,2,3,4,6,5,7,9.') from None
    if not classes:
        raise PrepareError('--classes: give at least one class id.')
    bad = [c for c in classes if not 0 <= c < len(CLASS_NAMES)]
    if bad:
        raise PrepareError(f'--classes: {bad} outside 0..'
                           f'{len(CLASS_NAMES) - 1} ('
                           + ', '.join(f'{i} {n}' for i, n in enumerate(
                               CLASS_NAMES)) + ').')
    if len(set(classes)) != len(classes):
        raise PrepareError(f'--classes {text!r}: a class is listed twice.')
    return classes


def prepare(src: str, out: str, classes: Sequence[int], shots: int,
            seed: int, unlabeled_per_class: int,
            test_per_class: int, val_per_class: int = 0) -> dict:
    if shots < 1 or test_per_class < 1 or unlabeled_per_class < 0 or \
            val_per_class < 0:
        raise PrepareError('--shots and --test-per-class must be at least 1, '
                           '--unlabeled-per-class and --val-per-class at '
                           'least 0.')
    if osp.exists(out) and not osp.isdir(out):
        raise PrepareError(f'--out {out} exists and is not a directory.')
    check_sources(src)
    train_images, train_labels, train_sha = load_split(src, 'train')
    test_images, test_labels, test_sha = load_split(src, 't10k')
    if train_images.shape[1:] != test_images.shape[1:]:
        raise PrepareError(
            f'{src}: train images are {train_images.shape[1:]} but t10k '
            f'images are {test_images.shape[1:]}; mixed data sets?')

    train = select(train_labels, classes, shots, 'shots', seed,
                   'training split', '--shots')
    unlabeled = select(train_labels, classes, unlabeled_per_class,
                       'unlabeled', FIXED_SEED, 'training split',
                       '--unlabeled-per-class')
    test = select(test_labels, classes, test_per_class, 'test', FIXED_SEED,
                  't10k (test) split', '--test-per-class')
    # Validation images come from the training split (never t10k) and are
    # neither shots of this seed nor in the unlabelled pool (an encoder
    # pre-trained on the pool must not have seen them).
    taken = {index for index, _ in train + unlabeled}
    available = train_labels.astype(np.int64)
    available[sorted(taken)] = -1
    val = select(available, classes, val_per_class, 'val', FIXED_SEED,
                 'training split (without the shots and the pool)',
                 '--val-per-class')

    train_prefix, test_prefix = SPLITS['train'][2], SPLITS['t10k'][2]
    wanted = {}  # file name -> image; each file written once
    for prefix, items, images in ((train_prefix, train, train_images),
                                  (train_prefix, unlabeled, train_images),
                                  (train_prefix, val, train_images),
                                  (test_prefix, test, test_images)):
        for index, _ in items:
            wanted[f'{prefix}_{index}.png'] = images[index]

    image_dir = osp.join(out, 'images')
    anno_dir = osp.join(out, 'anno')
    os.makedirs(image_dir, exist_ok=True)
    os.makedirs(anno_dir, exist_ok=True)
    for name in sorted(wanted):
        write_png(osp.join(image_dir, name), wanted[name])
    write_text(osp.join(anno_dir, 'train.txt'), list_text(train_prefix,
                                                          train))
    write_text(osp.join(anno_dir, 'test.txt'), list_text(test_prefix, test))
    write_text(osp.join(anno_dir, 'unlabeled.txt'),
               list_text(train_prefix, unlabeled))
    val_file = osp.join(anno_dir, 'val.txt')
    if val:
        write_text(val_file, list_text(train_prefix, val))
    elif osp.exists(val_file):
        os.remove(val_file)
    stale = sorted(name for name in os.listdir(image_dir)
                   if WRITTEN_NAME.match(name) and name not in wanted)

    sha256 = {**train_sha, **test_sha}
    meta = dict(
        source=dict(
            path=osp.abspath(src),
            files={name: dict(sha256=sha256[name])
                   for name in sorted(sha256)},
            train_images=int(len(train_labels)),
            test_images=int(len(test_labels)),
            image_size=[int(s) for s in train_images.shape[1:]]),
        classes=[dict(label=label, source_label=cls, name=CLASS_NAMES[cls])
                 for label, cls in enumerate(classes, start=1)],
        seed=seed,
        fixed_seed=FIXED_SEED,
        per_class=dict(train=shots, unlabeled=unlabeled_per_class,
                       test=test_per_class, val=val_per_class),
        counts=dict(train=len(train), unlabeled=len(unlabeled),
                    test=len(test), val=len(val), images=len(wanted),
                    unlabeled_also_in_train=len(set(train) & set(unlabeled))),
        files=dict(train='anno/train.txt', test='anno/test.txt',
                   unlabeled='anno/unlabeled.txt', images='images',
                   **(dict(val='anno/val.txt') if val else {})),
        labels='1-based, in the order of `classes`',
        selection=('per class, candidates ordered by sha256("<purpose>:'
                   '<seed>:<source label>:<source index>"), first N taken; '
                   'purpose "shots" uses `seed`, "unlabeled", "test" and '
                   '"val" (which skips the shots and the pool) use '
                   '`fixed_seed`'),
        tool='tools/dataset_converters/prepare_fashion_mnist_fewshot.py',
    )
    write_text(osp.join(out, 'meta.json'),
               json.dumps(meta, indent=2) + '\n')
    return dict(meta=meta, stale=stale)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0] + ' ' + __doc__.split('\n')[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--src', default=DEFAULT_SRC,
                        help='folder with the four *-ubyte.gz files')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--classes', default=DEFAULT_CLASSES,
                        help='comma-separated Fashion-MNIST class ids; '
                        'dataset label i+1 is the i-th one (default: the '
                        'upper-body and footwear classes)')
    parser.add_argument('--shots', type=int, default=10,
                        help='labelled training images per class')
    parser.add_argument('--seed', type=int, default=0,
                        help='chooses the shots (only them)')
    parser.add_argument('--unlabeled-per-class', type=int, default=50,
                        help='training-split images per class in the '
                        'unlabeled pool (fixed seed)')
    parser.add_argument('--test-per-class', type=int, default=200,
                        help='t10k images per class in the test list '
                        '(fixed seed)')
    parser.add_argument('--val-per-class', type=int, default=0,
                        help='training-split images per class (not shots) '
                        'in anno/val.txt, a validation split (never in the '
                        'pool); 0 writes none')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        classes = parse_classes(args.classes)
        result = prepare(args.src, args.out, classes, args.shots, args.seed,
                         args.unlabeled_per_class, args.test_per_class,
                         args.val_per_class)
    except PrepareError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
    counts = result['meta']['counts']
    stale = result['stale']
    note = (f'; note: {len(stale)} image(s) in images/ from an earlier run '
            'are in no list' if stale else '')
    print(f'Fashion-MNIST few-shot: {len(classes)} classes '
          f'({",".join(map(str, classes))}), seed {args.seed}: '
          f'train {counts["train"]} ({args.shots}/class), test '
          f'{counts["test"]} ({args.test_per_class}/class), unlabeled '
          f'{counts["unlabeled"]} ({args.unlabeled_per_class}/class), val '
          f'{counts["val"]} ({args.val_per_class}/class); '
          f'{counts["images"]} images -> {args.out} in '
          f'{time.perf_counter() - start:.1f} s{note}')


if __name__ == '__main__':
    main()
