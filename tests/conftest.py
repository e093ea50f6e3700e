import gzip
import os
import os.path as osp
import struct
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


def run_tool(args, cwd=REPO_ROOT, timeout=600, env=None):
    """Run a command as a user would; return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop('CUDA_VISIBLE_DEVICES', None)
    full_env.update(env or {})
    return subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout)


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    """A small demo data set (generated once per session)."""
    from csdnet_mm.datasets import ensure_demo_ufg
    root = str(tmp_path_factory.mktemp('demo') / 'ufg_demo')
    return ensure_demo_ufg(root, num_classes=4, train_per_class=4,
                           test_per_class=2)


PYTHON = sys.executable


def _state_dict_on_rank(rank, world_size, port, out_dir, step):
    import torch
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=world_size)
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
    mp.spawn(_state_dict_on_rank,
             args=(world_size, port, str(out_dir), step), nprocs=world_size)
    return [torch.load(f'{out_dir}/rank{rank}.pth')
            for rank in range(world_size)]


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
    for split, per_class in (('train', train_per_class),
                             ('t10k', test_per_class)):
        images, labels = make_fashion_split(rng, per_class)
        write_idx(root / f'{split}-images-idx3-ubyte.gz', images, 2051)
        write_idx(root / f'{split}-labels-idx1-ubyte.gz', labels, 2049)
        arrays[split] = (images, labels)
    return arrays