"""Each stack fix in csdnet_mm.compat: the upstream failure, then the fix.

The "without" halves run in a fresh interpreter that does not import the
plugin, so they show the problem the fix exists for on this stack.
"""
import importlib.util
import textwrap

import numpy as np
import pytest
import torch

from conftest import PYTHON, run_tool


def _python(code: str, cwd):
    return run_tool([PYTHON, '-c', textwrap.dedent(code)], cwd=cwd)


# --- A: mmpretrain:: bases ------------------------------------------------

MMPRETRAIN_BASE_CFG = textwrap.dedent("""
    _base_ = 'mmpretrain::resnet/resnet18_8xb32_in1k.py'
    model = dict(head=dict(num_classes=7))
""")


def test_mmpretrain_base_needs_fix_without_pkg_resources(tmp_path):
    if importlib.util.find_spec('pkg_resources') is not None:
        pytest.skip('pkg_resources is installed: upstream path works here')
    (tmp_path / 'cfg.py').write_text(MMPRETRAIN_BASE_CFG)
    result = _python("""
        from mmengine.config import Config
        Config.fromfile('cfg.py')
    """, tmp_path)
    assert result.returncode != 0
    assert "No module named 'pkg_resources'" in result.stderr


def test_mmpretrain_base_resolves_with_plugin(tmp_path):
    (tmp_path / 'cfg.py').write_text(MMPRETRAIN_BASE_CFG)
    result = _python("""
        import csdnet_mm
        from mmengine.config import Config
        cfg = Config.fromfile('cfg.py')
        print(cfg.model.backbone.depth, cfg.model.head.num_classes)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['18', '7']


def test_installed_path_helpers():
    from csdnet_mm import compat
    assert compat.is_installed('mmpretrain')
    assert not compat.is_installed('surely_not_a_package_xyz')
    path = compat.get_installed_path('mmpretrain')
    assert path.endswith('mmpretrain')
    assert importlib.util.find_spec('mmpretrain').origin.startswith(path)


# --- B: weights-only checkpoint loading ----------------------------------

def _save_full_style_checkpoint(path):
    """What a resume checkpoint holds beyond tensors (message hub, numpy)."""
    from mmengine.logging.history_buffer import HistoryBuffer
    buffer = HistoryBuffer()
    buffer.update(1.5)
    torch.save(
        dict(
            meta=dict(seed=np.int64(3), lr=np.float64(0.1),
                      hist=np.arange(3)),
            message_hub=dict(log_scalars={'train/loss': buffer}),
            state_dict={'w': torch.ones(2)}), path)


def test_full_checkpoint_fails_without_fix(tmp_path):
    _save_full_style_checkpoint(tmp_path / 'ckpt.pth')
    result = _python("""
        import torch
        torch.load('ckpt.pth')
    """, tmp_path)
    assert result.returncode != 0
    assert 'Weights only load failed' in result.stderr


def test_full_checkpoint_loads_with_weights_only_kept_on(tmp_path):
    _save_full_style_checkpoint(tmp_path / 'ckpt.pth')
    result = _python("""
        import csdnet_mm, torch
        from mmengine.runner.checkpoint import _load_checkpoint
        ckpt = torch.load('ckpt.pth')          # weights_only default (True)
        assert ckpt['meta']['seed'] == 3
        _load_checkpoint('ckpt.pth', map_location='cpu')

        class NotAllowed:
            pass
        torch.save({'x': NotAllowed()}, 'evil.pth')
        try:
            torch.load('evil.pth')
        except Exception as e:
            print('still protected:', type(e).__name__)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'still protected: UnpicklingError' in result.stdout


# --- C: torch.cuda.set_device on a machine without CUDA ------------------

@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_set_device_is_noop_without_cuda(tmp_path):
    plain = _python('import torch; torch.cuda.set_device(0)', tmp_path)
    assert plain.returncode != 0
    fixed = _python('import csdnet_mm, torch; torch.cuda.set_device(0)',
                    tmp_path)
    assert fixed.returncode == 0, fixed.stderr


# --- D / H: config adaptation by the tools -------------------------------

@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_adapt_cfg_to_device_cpu_distributed():
    from mmengine.config import Config

    from csdnet_mm.tool_utils import adapt_cfg_to_device
    cfg = Config(
        dict(env_cfg=dict(dist_cfg=dict(backend='nccl')),
             train_dataloader=dict(num_workers=0, persistent_workers=True,
                                   pin_memory=True),
             val_dataloader=dict(num_workers=2, persistent_workers=True)))
    adapt_cfg_to_device(cfg, launcher='pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.device_ids is None
    assert cfg.model_wrapper_cfg.type == 'MMDistributedDataParallel'
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.train_dataloader.pin_memory is False
    assert cfg.val_dataloader.persistent_workers is True


def test_adapt_cfg_keeps_explicit_wrapper_values():
    from mmengine.config import Config

    from csdnet_mm.tool_utils import adapt_cfg_to_device
    cfg = Config(dict(model_wrapper_cfg=dict(
        type='MMDistributedDataParallel', find_unused_parameters=True)))
    adapt_cfg_to_device(cfg, launcher='none')
    assert cfg.model_wrapper_cfg.find_unused_parameters is True


# --- I: --amp on a machine without CUDA ---------------------------------

@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_amp_check_stops_with_a_message_without_cuda():
    from mmengine.optim import AmpOptimWrapper

    from csdnet_mm.tool_utils import check_amp_supported
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(AssertionError, match='only available'):
        AmpOptimWrapper(optimizer=optimizer)
    with pytest.raises(SystemExit, match='--amp needs a CUDA device'):
        check_amp_supported()


# --- G: numpy >= 2.4 and MMPretrain's retrieval metrics ------------------

def test_retrieval_metrics_work_with_in1d_alias():
    import csdnet_mm  # noqa: F401
    from mmpretrain.evaluation.metrics import (RetrievalAveragePrecision,
                                               RetrievalRecall)
    pred = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.3]])
    target = torch.tensor([[1, 0, 0], [0, 0, 1]])  # relevant items
    recall = RetrievalRecall.calculate(pred, target, topk=(1, 2))
    assert [float(r) for r in recall] == [50.0, 100.0]
    ap = RetrievalAveragePrecision.calculate(pred, target, topk=3)
    assert float(ap) == pytest.approx(75.0)


def test_in1d_alias_matches_isin():
    import csdnet_mm  # noqa: F401
    a, b = np.array([[1, 5], [2, 9]]), np.array([5, 2])
    assert np.in1d(a, b).tolist() == [False, True, True, False]
    assert np.in1d(a, b, invert=True).tolist() == [True, False, False, True]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_adjust_hue_negative_factor_wraps_like_numpy1(backend):
    import mmcv

    import csdnet_mm  # noqa: F401
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    # MoCo v2's ColorJitter(hue=0.1) draws factors in [-0.1, 0.1]; numpy 2
    # made the stock function raise OverflowError for the negative half.
    shifted = mmcv.adjust_hue(img, -0.02, backend=backend)
    back = mmcv.adjust_hue(shifted, 0.02, backend=backend)
    assert shifted.shape == img.shape and shifted.dtype == np.uint8
    assert not np.array_equal(shifted, img)
    # -5 then +5 hue steps: back to the start up to HSV rounding.
    assert np.abs(back.astype(int) - img.astype(int)).mean() < 3
    with pytest.raises(ValueError):
        mmcv.adjust_hue(img, -0.6, backend=backend)


# --- K: stock torchrun on a machine without CUDA --------------------------

DDP_ON_CPU = """
    import socket
    import torch, torch.distributed as dist
    {plugin}
    from mmengine.model import MMDistributedDataParallel
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{{port}}',
                            rank=0, world_size=1)
    # what mmengine's Runner.wrap_model passes
    MMDistributedDataParallel(module=torch.nn.Linear(2, 2), device_ids=[0])
    dist.destroy_process_group()
    print('WRAPPED')
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_ddp_device_ids_fail_for_cpu_module_without_fix(tmp_path):
    result = _python(DDP_ON_CPU.format(plugin=''), tmp_path)
    assert result.returncode != 0
    assert 'device_ids' in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_ddp_device_ids_dropped_for_cpu_module_with_plugin(tmp_path):
    result = _python(DDP_ON_CPU.format(plugin='import csdnet_mm'), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'WRAPPED' in result.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_nccl_becomes_gloo_only_without_cuda(monkeypatch):
    import mmengine.dist.utils as dist_utils

    from csdnet_mm import compat
    compat.apply_all()
    assert compat._cpu_backend('nccl') == 'gloo'
    assert compat._cpu_backend('gloo') == 'gloo'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert compat._cpu_backend('nccl') == 'nccl'
    monkeypatch.undo()
    seen = []
    # mmengine's init_dist calls this module attribute; the fix passes the
    # backend on, with nccl replaced, to the original function.
    dist_utils._init_dist_pytorch(
        'nccl', _original=lambda backend, **kwargs: seen.append(backend))
    assert seen == ['gloo']


def test_stock_nccl_init_fails_without_cuda(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('needs a CPU machine')
    result = _python("""
        import os, socket
        import torch.distributed as dist
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        dist.init_process_group('nccl', init_method=f'tcp://127.0.0.1:{port}',
                                rank=0, world_size=1)
    """, tmp_path)
    assert result.returncode != 0


# --- L. MMPretrain's browse_dataset.py on a newer matplotlib (3.11) -------

ADJUST_BBOX = """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib import transforms
    from matplotlib._tight_bbox import adjust_bbox  # as browse_dataset.py
    {plugin}
    figure = plt.figure()
    figure.add_subplot(1, 1, 1).imshow([[0, 1], [1, 0]])
    points = figure.get_tightbbox(
        figure.canvas.get_renderer()).get_points() + [[0, 0], [0, 0.5]]
    adjust_bbox(figure, transforms.Bbox(points))
    print('ADJUSTED')
"""


def _adjust_bbox_needs_renderer():
    from csdnet_mm import compat
    import matplotlib._tight_bbox as tight_bbox
    original = getattr(tight_bbox.adjust_bbox, '__wrapped__',
                       tight_bbox.adjust_bbox)
    import inspect
    parameter = inspect.signature(original).parameters.get('renderer')
    del compat
    return (parameter is not None
            and parameter.default is inspect.Parameter.empty)


def test_adjust_bbox_fails_without_fix(tmp_path):
    if not _adjust_bbox_needs_renderer():
        pytest.skip('this matplotlib still defaults `renderer`')
    result = _python(ADJUST_BBOX.format(plugin=''), tmp_path)
    assert result.returncode != 0
    assert "missing 1 required positional argument: 'renderer'" in \
        result.stderr


def test_adjust_bbox_works_with_plugin_in_the_calling_script(tmp_path):
    result = _python(ADJUST_BBOX.format(plugin='import csdnet_mm'), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'ADJUSTED' in result.stdout


# --- warning filters: the tools set them, the import does not -------------

def test_import_sets_no_warning_filter(tmp_path):
    result = _python("""
        import warnings
        import mmcv.cnn, mmengine.runner, mmpretrain.models  # noqa: F401
        before = list(warnings.filters)
        import csdnet_mm  # noqa: F401
        assert warnings.filters == before, set(warnings.filters) ^ set(before)
        from csdnet_mm.tool_utils import quiet_known_warnings
        quiet_known_warnings()
        print('ADDED', len(warnings.filters) - len(before))
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'ADDED 3' in result.stdout
