import gzip
import os
import os.path as osp
import shutil
import struct
import subprocess
import sys
import tempfile

import pytest

CHECKOUT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Sources outside the repository that tools read by default, and allocator
# settings that change how child processes run. A test that needs one must
# make its own, so the suite behaves here as on a machine where nobody
# installed anything by hand.
FASHION_MNIST_ENV = 'CSDNET_MM_FASHION_MNIST_DIR'
ALLOCATOR_VARIABLES = ('LD_PRELOAD', 'GLIBC_TUNABLES', 'CSDNET_MM_ALLOCATOR',
                       'CSDNET_MM_ALLOCATOR_ACTIVE')
# The tools re-execute under a caching allocator where one is installed;
# in the tests they find none, as on a fresh machine.
ALLOCATOR_LIBRARIES_ENV = 'CSDNET_MM_ALLOCATOR_LIBS'


def _fresh_checkout_view() -> str:
    """A temporary folder that links each top-level entry git tracks in the
    repository, and the install's ``*.egg-info``: what a clean clone has
    after the README's commands. ``data/``, ``work_dirs/`` and
    ``checkpoints/`` left in the working tree by earlier runs are absent
    there, so tests that run tools from it (``run_tool``'s default ``cwd``)
    or resolve relative paths in it cannot lean on them."""
    view = tempfile.mkdtemp(prefix='csdnet_mm-checkout-')
    listed = subprocess.run(['git', 'ls-files'],
                            cwd=CHECKOUT,
                            capture_output=True,
                            text=True)
    names = {line.split('/')[0] for line in listed.stdout.splitlines()}
    if listed.returncode != 0 or not names:  # not a git checkout
        names = {
            n
            for n in os.listdir(CHECKOUT)
            if n not in ('data', 'work_dirs', 'checkpoints')
        }
    # What the README's `pip install -e .` writes into a fresh clone (mim
    # finds the editable install through it from the repository root).
    names |= {n for n in os.listdir(CHECKOUT) if n.endswith('.egg-info')}
    for name in sorted(names):
        os.symlink(osp.join(CHECKOUT, name), osp.join(view, name))
    return view


def _isolate_environment() -> dict:
    empty = tempfile.mkdtemp(prefix='csdnet_mm-empty-')
    os.environ[FASHION_MNIST_ENV] = empty
    os.environ[ALLOCATOR_LIBRARIES_ENV] = ''
    for key in list(os.environ):
        if key in ALLOCATOR_VARIABLES or key.startswith('MALLOC_'):
            del os.environ[key]
    return dict(empty=empty)


REPO_ROOT = _fresh_checkout_view()
_ISOLATION = _isolate_environment()
os.chdir(REPO_ROOT)


def pytest_sessionfinish(session, exitstatus):
    os.chdir(CHECKOUT)
    for name in os.listdir(REPO_ROOT):  # links into the checkout: unlink
        path = osp.join(REPO_ROOT, name)
        if osp.islink(path):
            os.unlink(path)
    for path in (REPO_ROOT, _ISOLATION['empty']):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


def run_tool(args, cwd=REPO_ROOT, timeout=600, env=None):
    """Run a command as a user would; return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop('CUDA_VISIBLE_DEVICES', None)
    full_env.update(env or {})
    return subprocess.run(
        args,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    """A small demo data set (generated once per session)."""
    from csdnet_mm.datasets import ensure_demo_ufg
    root = str(tmp_path_factory.mktemp('demo') / 'ufg_demo')
    return ensure_demo_ufg(
        root, num_classes=4, train_per_class=4, test_per_class=2)


PYTHON = sys.executable


def _state_dict_on_rank(rank, world_size, port, out_dir, step):
    import torch
    import torch.distributed as dist
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    try:
        torch.save(step(rank).state_dict(), f'{out_dir}/rank{rank}.pth')
        dist.barrier()
    finally:
        dist.destroy_process_group()


def state_dicts_on_ranks(step, out_dir, world_size=2):
    """Run ``step(rank) -> module`` in ``world_size`` gloo CPU processes
    (``step`` must be a module-level function) and return each rank's
    ``state_dict`` afterwards."""
    import socket

    import torch
    import torch.multiprocessing as mp
    with socket.socket() as sock:  # a free port, not a guessed one
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    mp.spawn(
        _state_dict_on_rank,
        args=(world_size, port, str(out_dir), step),
        nprocs=world_size)
    return [
        torch.load(f'{out_dir}/rank{rank}.pth') for rank in range(world_size)
    ]


def write_config(directory, name: str, base: str, body: str = '') -> str:
    """Write ``<directory>/<name>.py``, a child config of ``base`` (a path)
    with the config text ``body``; return its path."""
    path = osp.join(str(directory), f'{name}.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{base!r}]\n{body}\n')
    return path


def write_idx(path, array, magic: int) -> None:
    """Write ``array`` as a gzipped idx file (Fashion-MNIST's format)."""
    import numpy as np
    header = struct.pack(f'>{1 + array.ndim}I', magic, *array.shape)
    with gzip.GzipFile(path, 'wb', mtime=0) as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_fashion_split(rng, per_class: int):
    """Random 28 x 28 images and shuffled labels, ``per_class`` of each of
    Fashion-MNIST's 10 classes."""
    import numpy as np
    labels = rng.permutation(np.repeat(np.arange(10), per_class))
    images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
    return images, labels


def write_fashion_source(root, seed: int, train_per_class: int,
                         test_per_class: int) -> dict:
    """Fashion-MNIST's four idx files of random images under ``root`` (the
    layout the preparation script reads); returns {split: (images,
    labels)}."""
    import numpy as np
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, per_class in (('train', train_per_class), ('t10k',
                                                          test_per_class)):
        images, labels = make_fashion_split(rng, per_class)
        write_idx(root / f'{split}-images-idx3-ubyte.gz', images, 2051)
        write_idx(root / f'{split}-labels-idx1-ubyte.gz', labels, 2049)
        arrays[split] = (images, labels)
    return arrays
