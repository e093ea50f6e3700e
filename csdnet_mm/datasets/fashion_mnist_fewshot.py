"""A reproducible low-data Fashion-MNIST benchmark in the Ultra-FGVC layout
that :class:`~csdnet_mm.datasets.UFGDataset` reads
(``tools/dataset_converters/prepare_fashion_mnist_fewshot.py`` is its
command line).

:func:`prepare_fashion_mnist_fewshot` reads the four idx files
(``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``) from ``src`` and
writes::

    <out>/
    |-- images/          train_<i>.png / test_<i>.png: 8-bit grey PNGs, <i>
    |                    the image's index in the source split (train / t10k)
    |-- anno/
    |   |-- train.txt     ``shots`` labelled images per class (depends on
    |   |                 ``seed``)
    |   |-- test.txt      ``test_per_class`` images per class from t10k
    |   |-- val.txt       ``val_per_class`` train-split images per class that
    |   |                 are neither shots nor in the unlabelled pool (only
    |   |                 with ``val_per_class`` > 0): a validation split for
    |   |                 choosing options, so that the test images are used
    |   |                 once, for the reported figure
    |   `-- unlabeled.txt ``unlabeled_per_class`` train-split images per
    |                     class, a pool for self-supervised pre-training
    |                     (true labels listed; SSL ignores them; may overlap
    |                     train.txt)
    `-- meta.json        source, classes, counts, seed, sha256 of the sources

Lines are ``<file name> <label>``, labels 1-based in the order of
``classes`` (label i+1 is the i-th listed Fashion-MNIST class), sorted by
label, then by source index. Load them with ``UFGDataset(data_root=<out>,
split='train', num_classes=<number of classes>)`` (``split='test'``, or
``ann_file='anno/unlabeled.txt'`` for the pool).

Selection: within each class the candidates are ordered by
``sha256("<purpose>:<seed>:<class>:<index>")`` and the first N are taken, so
the choice is independent of NumPy's random streams and of the other
classes, and smaller counts are subsets of larger ones (5 shots are the first
5 of the 10). Only the shots use ``seed``; the unlabeled pool and the test
images use a fixed seed, so every seed has the same pool and test set and a
different ``seed`` changes only ``anno/train.txt``, ``anno/val.txt``
(whose fixed-seed draw skips the shots) and the seed in meta.json. The same
arguments give byte-identical lists.

Needs only NumPy and Pillow. Bad input (missing or malformed source files,
too few images of a class) raises :class:`~csdnet_mm.errors.UserInputError`
with a message that says what to fix (the tool prints it, exit status 2).
"""
import gzip
import hashlib
import json
import os
import os.path as osp
import re
import struct
import zlib
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..errors import UserInputError

# Where Debian's dataset-fashion-mnist puts the files; the environment
# variable moves the default (the test suite points it at an empty folder).
DEBIAN_SRC = '/usr/share/datasets/fashion-mnist'
SRC_ENV = 'CSDNET_MM_FASHION_MNIST_DIR'
DEFAULT_CLASSES = '0,2,3,4,6,5,7,9'
CLASS_NAMES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
               'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
# Source split -> (images file, labels file, prefix of the written files).
SPLITS = {
    'train':
    ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 'train'),
    't10k': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'test'),
}
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
# The pool and the test images never depend on the seed.
FIXED_SEED = 0
FIX_HINT = ('Install the Debian package (`apt-get install '
            'dataset-fashion-mnist`, which puts the files in '
            f'{DEBIAN_SRC}) or pass --src DIR (or set {SRC_ENV}) with the '
            'four *-ubyte.gz files of Fashion-MNIST.')
# The command that writes the data set (named in meta.json).
TOOL = 'tools/dataset_converters/prepare_fashion_mnist_fewshot.py'
_WRITTEN_NAME = re.compile(r'^(train|test)_\d+\.png$')


def default_source_dir() -> str:
    """The folder of the idx files when none is given: ``$SRC_ENV`` if set,
    else where Debian's ``dataset-fashion-mnist`` installs them."""
    return os.environ.get(SRC_ENV) or DEBIAN_SRC


# --------------------------------------------------------------------------
# Reading the idx files


def read_idx(path: str, magic: int) -> Tuple[np.ndarray, str]:
    """The array stored in a gzipped idx file, and the sha256 of the file.

    Checks the magic number, that the data length matches the header and
    that nothing follows it.

    Args:
        path (str): The ``*-ubyte.gz`` file.
        magic (int): :data:`IMAGES_MAGIC` or :data:`LABELS_MAGIC`.

    Returns:
        tuple[np.ndarray, str]: The uint8 array in the header's shape and
        the hex sha256 of the (compressed) file.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise UserInputError(f'{path}: not a readable gzip file ({e}). '
                             f'Re-download it. {FIX_HINT}') from None
    ndim = 3 if magic == IMAGES_MAGIC else 1
    kind = 'images' if magic == IMAGES_MAGIC else 'labels'
    header_len = 4 * (1 + ndim)
    if len(data) < header_len:
        raise UserInputError(f'{path}: only {len(data)} bytes after '
                             f'decompression; an idx {kind} file has a '
                             f'{header_len}-byte header.')
    found, *dims = struct.unpack(f'>{1 + ndim}I', data[:header_len])
    if found != magic:
        raise UserInputError(
            f'{path}: magic number {found} (0x{found:08x}), expected {magic} '
            f'(0x{magic:08x}) for an idx {kind} file. Is it the right file '
            f'(images: *-images-idx3-ubyte.gz, magic {IMAGES_MAGIC}; labels: '
            f'*-labels-idx1-ubyte.gz, magic {LABELS_MAGIC})?')
    expected = int(np.prod(dims, dtype=np.int64))
    body = len(data) - header_len
    if body != expected:
        raise UserInputError(
            f'{path}: header says shape {tuple(dims)} ({expected} bytes of '
            f'data) but the file holds {body} bytes; it is truncated or '
            'corrupt. Re-download it.')
    array = np.frombuffer(data, dtype=np.uint8, offset=header_len)
    return array.reshape(dims), digest


def load_split(src: str,
               split: str) -> Tuple[np.ndarray, np.ndarray, Dict[str, str]]:
    """Images, labels and ``{file name: sha256}`` of one source split.

    Args:
        src (str): The folder of the idx files.
        split (str): ``'train'`` or ``'t10k'``.
    """
    images_file, labels_file, _ = SPLITS[split]
    images_path = osp.join(src, images_file)
    labels_path = osp.join(src, labels_file)
    images, images_sha = read_idx(images_path, IMAGES_MAGIC)
    labels, labels_sha = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise UserInputError(
            f'{split} split: {images_path} holds {len(images)} images but '
            f'{labels_path} holds {len(labels)} labels; the files do not '
            'belong together.')
    if len(labels) and labels.max() >= len(CLASS_NAMES):
        raise UserInputError(
            f'{labels_path}: label {int(labels.max())} is outside 0..'
            f'{len(CLASS_NAMES) - 1}; not a Fashion-MNIST labels file.')
    return images, labels, {images_file: images_sha, labels_file: labels_sha}


def check_sources(src: str) -> None:
    """Raise a :class:`UserInputError` naming every idx file missing from
    ``src`` and how to get them."""
    missing = [
        osp.join(src, name) for split in SPLITS for name in SPLITS[split][:2]
        if not osp.isfile(osp.join(src, name))
    ]
    if missing:
        where = ('' if osp.isdir(src) else
                 f' (the directory {src} does not exist)')
        raise UserInputError('missing Fashion-MNIST source file(s): ' +
                             ', '.join(missing) + f'{where}. {FIX_HINT}')


# --------------------------------------------------------------------------
# Choosing the images


def pick(indices: np.ndarray, count: int, purpose: str, seed: int,
         cls: int) -> List[int]:
    """The first ``count`` of ``indices`` in a seeded hash order, sorted.

    A larger ``count`` gives a superset; the order of one class does not
    depend on the other classes or on the NumPy version.

    Args:
        indices (np.ndarray): Source indices of the candidates.
        count (int): How many to take.
        purpose (str): ``'shots'``, ``'unlabeled'``, ``'val'`` or
            ``'test'``; part of the hashed key.
        seed (int): Part of the hashed key.
        cls (int): The source class; part of the hashed key.
    """

    def key(index):
        text = f'{purpose}:{seed}:{cls}:{int(index)}'.encode()
        return hashlib.sha256(text).digest()

    return sorted(int(i) for i in sorted(indices, key=key)[:count])


def select(labels: np.ndarray, classes: Sequence[int], count: int,
           purpose: str, seed: int, split_desc: str,
           option: str) -> List[Tuple[int, int]]:
    """``(source index, 1-based label)`` of ``count`` images per class.

    Args:
        labels (np.ndarray): Source label of every image of the split (-1
            for an image that may not be chosen).
        classes (Sequence[int]): Source classes; label i+1 is the i-th.
        count (int): Images per class.
        purpose (str): See :func:`pick`.
        seed (int): See :func:`pick`.
        split_desc (str): The split, as the error message names it.
        option (str): The option that set ``count``, as the error message
            names it.
    """
    chosen = []
    for label, cls in enumerate(classes, start=1):
        candidates = np.flatnonzero(labels == cls)
        if len(candidates) < count:
            raise UserInputError(
                f'{option} {count}: the {split_desc} has only '
                f'{len(candidates)} images of class {cls} '
                f'({CLASS_NAMES[cls]}); lower {option} to at most '
                f'{len(candidates)} or use other --classes.')
        chosen += [(i, label)
                   for i in pick(candidates, count, purpose, seed, cls)]
    return chosen


def parse_classes(text: str) -> List[int]:
    """Fashion-MNIST class ids from ``'0,2,3'``, checked (in range, none
    twice).

    Args:
        text (str): Comma-separated class ids (the tool's ``--classes``).
    """
    try:
        classes = [int(part) for part in text.split(',') if part.strip()]
    except ValueError:
        raise UserInputError(f'--classes {text!r}: expected comma-separated '
                             'class ids, e.g. 0,2,3,4,6,5,7,9.') from None
    if not classes:
        raise UserInputError('--classes: give at least one class id.')
    bad = [c for c in classes if not 0 <= c < len(CLASS_NAMES)]
    if bad:
        raise UserInputError(f'--classes: {bad} outside 0..'
                             f'{len(CLASS_NAMES) - 1} (' +
                             ', '.join(f'{i} {n}'
                                       for i, n in enumerate(CLASS_NAMES)) +
                             ').')
    if len(set(classes)) != len(classes):
        raise UserInputError(f'--classes {text!r}: a class is listed twice.')
    return classes


# --------------------------------------------------------------------------
# Writing


def _write_text(path: str, text: str) -> None:
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w', newline='\n') as f:
        f.write(text)
    os.replace(tmp, path)


def _list_text(prefix: str, items: List[Tuple[int, int]]) -> str:
    return ''.join(f'{prefix}_{index}.png {label}\n' for index, label in items)


def _write_png(path: str, image: np.ndarray) -> None:
    from PIL import Image
    tmp = f'{path}.tmp{os.getpid()}'
    Image.fromarray(np.ascontiguousarray(image)).save(tmp, format='PNG')
    os.replace(tmp, path)


def prepare_fashion_mnist_fewshot(src: str,
                                  out: str,
                                  classes: Sequence[int],
                                  shots: int,
                                  seed: int,
                                  unlabeled_per_class: int,
                                  test_per_class: int,
                                  val_per_class: int = 0) -> dict:
    """Write the benchmark (layout and selection: the module docstring).

    Files already in ``out`` are overwritten; ``anno/val.txt`` is removed
    when ``val_per_class`` is 0; images of an earlier run that no list
    names are left and reported as ``stale``.

    Args:
        src (str): The folder of the four ``*-ubyte.gz`` files.
        out (str): The output folder (created if missing).
        classes (Sequence[int]): Fashion-MNIST class ids; label i+1 is the
            i-th (see :func:`parse_classes`).
        shots (int): Labelled training images per class (at least 1).
        seed (int): Chooses the shots (only them).
        unlabeled_per_class (int): Training-split images per class in the
            unlabelled pool.
        test_per_class (int): t10k images per class in the test list (at
            least 1).
        val_per_class (int): Training-split images per class, neither
            shots nor in the pool, in ``anno/val.txt``; 0 writes none.
            Defaults to 0.

    Returns:
        dict: ``meta``, the content of ``meta.json``, and ``stale``, the
        sorted names of images in ``images/`` that no list names.
    """
    if shots < 1 or test_per_class < 1 or unlabeled_per_class < 0 or \
            val_per_class < 0:
        raise UserInputError('--shots and --test-per-class must be at least '
                             '1, --unlabeled-per-class and --val-per-class '
                             'at least 0.')
    if osp.exists(out) and not osp.isdir(out):
        raise UserInputError(f'--out {out} exists and is not a directory.')
    check_sources(src)
    train_images, train_labels, train_sha = load_split(src, 'train')
    test_images, test_labels, test_sha = load_split(src, 't10k')
    if train_images.shape[1:] != test_images.shape[1:]:
        raise UserInputError(
            f'{src}: train images are {train_images.shape[1:]} but t10k '
            f'images are {test_images.shape[1:]}; mixed data sets?')

    train = select(train_labels, classes, shots, 'shots', seed,
                   'training split', '--shots')
    unlabeled = select(train_labels, classes, unlabeled_per_class, 'unlabeled',
                       FIXED_SEED, 'training split', '--unlabeled-per-class')
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
        _write_png(osp.join(image_dir, name), wanted[name])
    _write_text(
        osp.join(anno_dir, 'train.txt'), _list_text(train_prefix, train))
    _write_text(osp.join(anno_dir, 'test.txt'), _list_text(test_prefix, test))
    _write_text(
        osp.join(anno_dir, 'unlabeled.txt'),
        _list_text(train_prefix, unlabeled))
    val_file = osp.join(anno_dir, 'val.txt')
    if val:
        _write_text(val_file, _list_text(train_prefix, val))
    elif osp.exists(val_file):
        os.remove(val_file)
    stale = sorted(
        name for name in os.listdir(image_dir)
        if _WRITTEN_NAME.match(name) and name not in wanted)

    sha256 = {**train_sha, **test_sha}
    meta = dict(
        source=dict(
            path=osp.abspath(src),
            files={name: dict(sha256=sha256[name])
                   for name in sorted(sha256)},
            train_images=int(len(train_labels)),
            test_images=int(len(test_labels)),
            image_size=[int(s) for s in train_images.shape[1:]]),
        classes=[
            dict(label=label, source_label=cls, name=CLASS_NAMES[cls])
            for label, cls in enumerate(classes, start=1)
        ],
        seed=seed,
        fixed_seed=FIXED_SEED,
        per_class=dict(
            train=shots,
            unlabeled=unlabeled_per_class,
            test=test_per_class,
            val=val_per_class),
        counts=dict(
            train=len(train),
            unlabeled=len(unlabeled),
            test=len(test),
            val=len(val),
            images=len(wanted),
            unlabeled_also_in_train=len(set(train) & set(unlabeled))),
        files=dict(
            train='anno/train.txt',
            test='anno/test.txt',
            unlabeled='anno/unlabeled.txt',
            images='images',
            **(dict(val='anno/val.txt') if val else {})),
        labels='1-based, in the order of `classes`',
        selection=('per class, candidates ordered by sha256("<purpose>:'
                   '<seed>:<source label>:<source index>"), first N taken; '
                   'purpose "shots" uses `seed`, "unlabeled", "test" and '
                   '"val" (which skips the shots and the pool) use '
                   '`fixed_seed`'),
        tool=TOOL,
    )
    _write_text(osp.join(out, 'meta.json'), json.dumps(meta, indent=2) + '\n')
    return dict(meta=meta, stale=stale)


def format_summary(result: dict, out: str, seconds: float) -> str:
    """One line saying what :func:`prepare_fashion_mnist_fewshot` wrote.

    Args:
        result (dict): What it returned.
        out (str): The output folder, as the user gave it.
        seconds (float): The time it took.
    """
    meta = result['meta']
    classes = [c['source_label'] for c in meta['classes']]
    counts, per_class = meta['counts'], meta['per_class']
    stale = result['stale']
    note = (f'; note: {len(stale)} image(s) in images/ from an earlier run '
            'are in no list' if stale else '')
    return (f'Fashion-MNIST few-shot: {len(classes)} classes '
            f'({",".join(map(str, classes))}), seed {meta["seed"]}: '
            f'train {counts["train"]} ({per_class["train"]}/class), test '
            f'{counts["test"]} ({per_class["test"]}/class), unlabeled '
            f'{counts["unlabeled"]} ({per_class["unlabeled"]}/class), val '
            f'{counts["val"]} ({per_class["val"]}/class); '
            f'{counts["images"]} images -> {out} in {seconds:.1f} s{note}')
