"""OpenMMLab's own entry points on the plugin: MMPretrain's stock
tools/train.py (`mmpretrain::` bases, torchrun on CPU), browse_dataset.py,
openmim (`mim train/test/search`) and the model hub. Each is run as a user
runs it, in a subprocess, on a tiny config."""
import glob
import importlib.util
import os.path as osp
import shutil
import textwrap

import pytest

from conftest import PYTHON, REPO_ROOT, run_tool

pytestmark = pytest.mark.slow

TINY = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')
TINY_MMPRETRAIN_BASE = osp.join(REPO_ROOT, 'tests', 'data',
                                'tiny_mmpretrain_base.py')
HAS_PKG_RESOURCES = importlib.util.find_spec('pkg_resources') is not None
# The CSDNet demo model: its name in model-index.yml, its config.
CSDNET_DEMO = 'csdnet_resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo'
CSDNET_DEMO_CONFIG = f'configs/demo/{CSDNET_DEMO}.py'
needs_pkg_resources = pytest.mark.skipif(
    not HAS_PKG_RESOURCES,
    reason='pkg_resources missing: this environment ignored setup.py\'s '
    'setuptools<82 (install with `pip install -e .`)')


def _stock_tool(*parts):
    import mmpretrain
    return osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools', *parts)


def _data_opts(demo_root):
    return ['--cfg-options'] + [
        f'{loader}.dataset.data_root={demo_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def _ok(result):
    assert result.returncode == 0, (
        result.stdout[-2000:] + result.stderr[-4000:])
    return result


@needs_pkg_resources
def test_stock_train_with_mmpretrain_base(tmp_path, demo_root):
    result = _ok(
        run_tool([
            PYTHON,
            _stock_tool('train.py'), TINY_MMPRETRAIN_BASE, '--work-dir',
            str(tmp_path), *_data_opts(demo_root)
        ]))
    assert 'accuracy/top1' in result.stdout + result.stderr
    assert glob.glob(str(tmp_path / 'iter_2.pth'))


def test_stock_torchrun_on_cpu_without_overrides(tmp_path, demo_root):
    if not hasattr(shutil, 'which') or shutil.which('torchrun') is None:
        pytest.skip('torchrun is not on PATH')
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    result = _ok(
        run_tool([
            PYTHON, '-m', 'torch.distributed.run', '--nproc_per_node=2',
            f'--master_port={port}',
            _stock_tool('train.py'), TINY, '--launcher', 'pytorch',
            '--work-dir',
            str(tmp_path), *_data_opts(demo_root)
        ],
                 env=dict(CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')))
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert 'accuracy/top1' in log
    assert (tmp_path / 'iter_4.pth').exists()


@pytest.mark.parametrize('mode', ['transformed', 'pipeline'])
def test_stock_browse_dataset(tmp_path, demo_root, mode):
    _ok(
        run_tool([
            PYTHON,
            _stock_tool('visualization', 'browse_dataset.py'), TINY, '-m',
            mode, '-n', '1', '-o',
            str(tmp_path), '--cfg-options',
            f'train_dataloader.dataset.data_root={demo_root}'
        ],
                 env=dict(MPLBACKEND='Agg')))
    assert glob.glob(str(tmp_path / '*.png'))


def test_model_hub_lists_builds_and_infers(tmp_path):
    result = _ok(
        run_tool([
            PYTHON, '-c',
            textwrap.dedent(f"""
        import numpy as np, torch
        import mmpretrain
        from mmpretrain.apis import ModelHub
        assert not mmpretrain.list_models('*csdnet*')
        import csdnet_mm
        names = mmpretrain.list_models('*csdnet*')
        assert {CSDNET_DEMO!r} in names, names
        assert 'resnet18_8xb32_in1k' in mmpretrain.list_models('resnet18')
        model = mmpretrain.get_model({CSDNET_DEMO!r})
        ckpt = {str(tmp_path / 'ckpt.pth')!r}
        torch.save(dict(state_dict=model.state_dict()), ckpt)
        img = np.random.RandomState(0).randint(0, 255, (72, 72, 3),
                                               dtype=np.uint8)
        out = mmpretrain.inference_model({CSDNET_DEMO!r}, img,
                                         pretrained=ckpt)
        print('PRED', len(out['pred_scores']))
    """)
        ],
                 cwd=str(tmp_path)))
    assert 'PRED 10' in result.stdout


# --- openmim -------------------------------------------------------------


@pytest.fixture
def mim():
    pytest.importorskip('mim')
    if not HAS_PKG_RESOURCES:
        pytest.skip('pkg_resources missing (openmim imports it): install '
                    'with `pip install -e .` (setuptools<82)')
    return [PYTHON, '-m', 'mim']


def test_mim_train_and_test_with_mmpretrain(mim, tmp_path, demo_root):
    work_dir = tmp_path / 'work'
    _ok(
        run_tool(mim + [
            'train', 'mmpretrain', TINY, '--work-dir',
            str(work_dir), *_data_opts(demo_root)
        ]))
    ckpt = work_dir / 'iter_4.pth'
    assert ckpt.exists()
    result = _ok(
        run_tool(mim + [
            'test', 'mmpretrain', TINY, '--checkpoint',
            str(ckpt), '--work-dir',
            str(work_dir), *_data_opts(demo_root)
        ]))
    assert 'accuracy/top1' in result.stdout + result.stderr


def test_mim_search_editable_install_from_repo_root(mim):
    if not osp.exists(
            osp.join(REPO_ROOT, 'csdnet_mm', '.mim', 'model-index.yml')):
        pytest.skip('csdnet_mm/.mim is made by `pip install -e .`')
    # mim cuts values to its display width (30 characters by default).
    result = _ok(
        run_tool(mim + [
            'search', 'csdnet_mm', '--config', CSDNET_DEMO, '--display-width',
            '120'
        ]))
    assert CSDNET_DEMO_CONFIG in result.stdout


def test_mim_search_regular_install(mim, tmp_path):
    """A wheel carries copies of configs, tools and model-index.yml in
    csdnet_mm/.mim (built from a copy so the checkout's links stay)."""
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml'):
        shutil.copy(osp.join(REPO_ROOT, name), src)
    ignore = shutil.ignore_patterns('__pycache__', '.mim', '*.egg-info')
    for name in ('csdnet_mm', 'configs', 'tools'):
        shutil.copytree(osp.join(REPO_ROOT, name), src / name, ignore=ignore)
    target = tmp_path / 'site'
    _ok(
        run_tool([
            PYTHON, '-m', 'pip', 'install', '-q', '--no-deps',
            '--no-build-isolation', '--no-index', '--target',
            str(target),
            str(src)
        ],
                 cwd=str(tmp_path)))
    assert (target / 'csdnet_mm' / '.mim' / CSDNET_DEMO_CONFIG).is_file()
    assert (target / 'csdnet_mm' / '.mim' / 'tools' / 'train.py').is_file()
    result = _ok(
        run_tool(
            mim + [
                'search', 'csdnet_mm', '--config', CSDNET_DEMO,
                '--display-width', '120'
            ],
            cwd=str(tmp_path),
            env=dict(PYTHONPATH=str(target))))
    assert CSDNET_DEMO_CONFIG in result.stdout
