"""Each stack fix: the upstream failure, then the fix, then its trigger.

The "without" halves run in a fresh interpreter that does not import the
plugin, so they show the problem the fix exists for on this stack. The
import-time fixes (csdnet_mm.compat.FIXES) are applied only where their
version gate and trigger hold, not at all with CSDNET_MM_NO_STACK_FIXES=1
and not the ones CSDNET_MM_DISABLE_FIXES names; the tests at the end check
that with a snapshot of everything a fix can change, for every fix of the
registry.
"""
import importlib.metadata
import importlib.util
import json
import re
import socket
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from packaging.specifiers import SpecifierSet

from csdnet_mm import compat
from conftest import PYTHON, run_tool

FIX_NAMES = [fix.name for fix in compat.FIXES]


def _python(code: str, cwd, env=None):
    return run_tool([PYTHON, '-c', textwrap.dedent(code)], cwd=cwd, env=env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _launch_env(**extra):
    """What torchrun sets in a one-process launch."""
    return dict(
        RANK='0',
        LOCAL_RANK='0',
        WORLD_SIZE='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(_free_port()),
        **extra)


# Blocks `import pkg_resources` as setuptools >= 82 does (no such module).
NO_PKG_RESOURCES = "import sys; sys.modules['pkg_resources'] = None"

# --- A: mmpretrain:: bases ------------------------------------------------

MMPRETRAIN_BASE_CFG = textwrap.dedent("""
    _base_ = 'mmpretrain::resnet/resnet18_8xb32_in1k.py'
    model = dict(head=dict(num_classes=7))
""")


def test_mmpretrain_base_needs_fix_without_pkg_resources(tmp_path):
    if importlib.util.find_spec('pkg_resources') is not None:
        pytest.skip('pkg_resources is installed: upstream path works here')
    (tmp_path / 'cfg.py').write_text(MMPRETRAIN_BASE_CFG)
    result = _python(
        """
        from mmengine.config import Config
        Config.fromfile('cfg.py')
    """, tmp_path)
    assert result.returncode != 0
    assert "No module named 'pkg_resources'" in result.stderr


def test_mmpretrain_base_resolves_with_plugin(tmp_path):
    (tmp_path / 'cfg.py').write_text(MMPRETRAIN_BASE_CFG)
    result = _python(
        """
        import csdnet_mm
        from mmengine.config import Config
        cfg = Config.fromfile('cfg.py')
        print(cfg.model.backbone.depth, cfg.model.head.num_classes)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['18', '7']


def test_mmpretrain_base_fails_when_pkg_resources_is_blocked(tmp_path):
    (tmp_path / 'cfg.py').write_text(MMPRETRAIN_BASE_CFG)
    result = _python(
        f"""
        {NO_PKG_RESOURCES}
        from mmengine.config import Config
        Config.fromfile('cfg.py')
    """, tmp_path)
    assert result.returncode != 0
    assert 'pkg_resources' in result.stderr


def test_config_resolution_patched_only_without_pkg_resources(tmp_path):
    (tmp_path / 'cfg.py').write_text(MMPRETRAIN_BASE_CFG)
    code = """
        {block}
        import mmengine.config.config as config_module
        import csdnet_mm
        from csdnet_mm import compat
        from mmengine.config import Config
        print('APPLIED', 'config_resolution' in compat.applied(),
              config_module.is_installed is compat.is_installed)
        print('DEPTH', Config.fromfile('cfg.py').model.backbone.depth)
    """
    blocked = _python(code.format(block=NO_PKG_RESOURCES), tmp_path)
    assert blocked.returncode == 0, blocked.stderr[-2000:]
    assert 'APPLIED True True' in blocked.stdout
    assert 'DEPTH 18' in blocked.stdout
    if importlib.util.find_spec('pkg_resources') is None:
        return  # nothing to compare with: pkg_resources is missing here
    present = _python(code.format(block=''), tmp_path)
    assert present.returncode == 0, present.stderr[-2000:]
    assert 'APPLIED False False' in present.stdout


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
            meta=dict(seed=np.int64(3), lr=np.float64(0.1), hist=np.arange(3)),
            message_hub=dict(log_scalars={'train/loss': buffer}),
            state_dict={'w': torch.ones(2)}), path)


def test_full_checkpoint_fails_without_fix(tmp_path):
    _save_full_style_checkpoint(tmp_path / 'ckpt.pth')
    result = _python(
        """
        import torch
        torch.load('ckpt.pth')
    """, tmp_path)
    assert result.returncode != 0
    assert 'Weights only load failed' in result.stderr


def test_full_checkpoint_loads_with_weights_only_kept_on(tmp_path):
    _save_full_style_checkpoint(tmp_path / 'ckpt.pth')
    result = _python(
        """
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

        # builtins.getattr on the allow-list resolves HistoryBuffer's
        # statistics methods only.
        from mmengine.logging.history_buffer import HistoryBuffer

        class Reach:
            def __reduce__(self):
                return (getattr, (HistoryBuffer, '__init__'))
        torch.save({'x': Reach()}, 'reach.pth')
        try:
            torch.load('reach.pth')
        except Exception as e:
            print('getattr refused:', type(e).__name__)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'still protected: UnpicklingError' in result.stdout
    assert 'getattr refused: UnpicklingError' in result.stdout


def test_allow_listed_getattr_is_restricted_to_history_buffer_methods():
    from mmengine.logging.history_buffer import HistoryBuffer

    from csdnet_mm.compat import history_buffer_attribute
    for name in ('min', 'max', 'current', 'mean', 'statistics'):
        assert history_buffer_attribute(HistoryBuffer, name) is \
            getattr(HistoryBuffer, name)
    import pickle
    for owner, name in ((HistoryBuffer, '__init__'), (HistoryBuffer,
                                                      '_statistics_methods'),
                        (HistoryBuffer, '__class__'), (np, 'load'),
                        (np.ndarray, 'tofile'), (HistoryBuffer(), 'min')):
        with pytest.raises(pickle.UnpicklingError):
            history_buffer_attribute(owner, name)


def _fix(name):
    fix, = [fix for fix in compat.FIXES if fix.name == name]
    return fix


def _fake_versions(monkeypatch, **versions):
    """Make the version gates see ``versions`` (distribution: version, None
    for not installed) instead of the installed ones."""
    real = importlib.metadata.version

    def version(distribution):
        if distribution not in versions:
            return real(distribution)
        if versions[distribution] is None:
            raise importlib.metadata.PackageNotFoundError(distribution)
        return versions[distribution]

    monkeypatch.setattr(importlib.metadata, 'version', version)


def test_checkpoint_trigger_follows_torch_and_mmengine(monkeypatch):
    fix = _fix('checkpoint_globals')
    assert fix.triggered()  # torch 2.14, mmengine 0.10.7
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    assert not compat.torch_loads_weights_only()
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    monkeypatch.setattr(torch, '__version__', '2.5.1')
    assert not fix.triggered()
    monkeypatch.undo()
    # mmengine 0.11.0rc2 and later pass weights_only=False themselves.
    _fake_versions(monkeypatch, mmengine='0.11.0rc2')
    assert compat.torch_loads_weights_only() and not fix.triggered()
    _fake_versions(monkeypatch, mmengine='0.11.0rc0')
    assert fix.triggered()


# --- C/K: a distributed launch on a machine without CUDA ----------------

INIT_DIST = """
    import torch
    {plugin}
    set_device = torch.cuda.set_device
    from mmengine.dist import init_dist
    import torch.distributed as dist
    init_dist('pytorch', backend='nccl')  # MMPretrain's default env_cfg
    print('BACKEND', dist.get_backend())
    print('SET_DEVICE_RESTORED', torch.cuda.set_device is set_device)
    dist.destroy_process_group()
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_init_dist_fails_without_cuda_without_fix(tmp_path):
    result = _python(INIT_DIST.format(plugin=''), tmp_path, _launch_env())
    assert result.returncode != 0
    assert 'set_device' in result.stderr  # the first of the failures


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_init_dist_on_cpu_with_plugin_uses_gloo(tmp_path):
    result = _python(
        INIT_DIST.format(plugin='import csdnet_mm'), tmp_path, _launch_env())
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'BACKEND gloo' in result.stdout
    # set_device was skipped during the init only; torch's is back.
    assert 'SET_DEVICE_RESTORED True' in result.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_cpu_dist_fixes_need_a_launch(tmp_path):
    code = """
        import torch
        import mmengine.dist.utils as dist_utils
        original = dist_utils._init_dist_pytorch
        import csdnet_mm
        from csdnet_mm import compat
        print('APPLIED', sorted(set(compat.applied()) &
                                {'cpu_dist_init', 'cpu_ddp_device_ids'}))
        print('WRAPPED', dist_utils._init_dist_pytorch is not original)
    """
    alone = _python(code, tmp_path)
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert 'APPLIED []' in alone.stdout and 'WRAPPED False' in alone.stdout
    launched = _python(code, tmp_path, _launch_env())
    assert launched.returncode == 0, launched.stderr[-2000:]
    assert "APPLIED ['cpu_ddp_device_ids', 'cpu_dist_init']" in \
        launched.stdout
    assert 'WRAPPED True' in launched.stdout


def test_cpu_dist_init_wrapper_changes_nothing_with_cuda(monkeypatch):
    from csdnet_mm import compat
    set_device = torch.cuda.set_device
    seen = []

    def original(backend, **kwargs):
        seen.append((backend, torch.cuda.set_device is set_device))

    init = compat._cpu_dist_init(original)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    init('nccl', init_backend='torch')
    init('gloo')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    init('nccl')
    assert seen == [('gloo', False), ('gloo', False), ('nccl', True)]
    assert torch.cuda.set_device is set_device


# --- D / H: config adaptation by the tools -------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_adapt_cfg_to_device_cpu_distributed():
    from mmengine.config import Config

    from csdnet_mm.tool_utils import adapt_cfg_to_device
    cfg = Config(
        dict(
            env_cfg=dict(dist_cfg=dict(backend='nccl')),
            train_dataloader=dict(
                num_workers=0, persistent_workers=True, pin_memory=True),
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
    cfg = Config(
        dict(
            model_wrapper_cfg=dict(
                type='MMDistributedDataParallel',
                find_unused_parameters=True)))
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
    from mmpretrain.evaluation.metrics import (RetrievalAveragePrecision,
                                               RetrievalRecall)

    import csdnet_mm  # noqa: F401
    pred = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.3]])
    target = torch.tensor([[1, 0, 0], [0, 0, 1]])  # relevant items
    recall = RetrievalRecall.calculate(pred, target, topk=(1, 2))
    assert [float(r) for r in recall] == [50.0, 100.0]
    ap = RetrievalAveragePrecision.calculate(pred, target, topk=3)
    assert float(ap) == pytest.approx(75.0)


def test_in1d_alias_matches_isin_and_leaves_numpy_alone():
    import mmpretrain.evaluation.metrics.retrieval as retrieval

    import csdnet_mm  # noqa: F401
    from csdnet_mm import compat
    a, b = np.array([[1, 5], [2, 9]]), np.array([5, 2])
    assert compat.in1d(a, b).tolist() == [False, True, True, False]
    assert compat.in1d(
        a, b, invert=True).tolist() == [True, False, False, True]
    if compat.numpy_lacks_in1d():
        # Only the module that needs it sees an in1d; numpy is unchanged.
        assert retrieval.np.in1d is compat.in1d
        assert not hasattr(np, 'in1d')
        assert retrieval.np.ndarray is np.ndarray
        assert retrieval.np.isin is np.isin
    else:
        assert retrieval.np is np


def test_retrieval_metrics_fail_without_fix(tmp_path):
    if hasattr(np, 'in1d'):
        pytest.skip('this numpy still has in1d')
    result = _python(
        """
        import torch
        from mmpretrain.evaluation.metrics import RetrievalRecall
        RetrievalRecall.calculate(torch.tensor([[0.9, 0.1]]),
                                  torch.tensor([[1, 0]]), topk=(1, ))
    """, tmp_path)
    assert result.returncode != 0
    assert "has no attribute 'in1d'" in result.stderr


# --- J: mmcv.adjust_hue with a negative hue on numpy >= 2 ----------------


def test_adjust_hue_fails_without_fix(tmp_path):
    result = _python(
        """
        import numpy as np, mmcv
        try:
            mmcv.adjust_hue(np.zeros((2, 2, 3), np.uint8), -0.02,
                            backend='cv2')
            print('NO ERROR')
        except OverflowError as e:
            print('OverflowError', e)
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    if 'NO ERROR' in result.stdout:
        pytest.skip('this mmcv / numpy does not overflow')
    assert 'out of bounds for uint8' in result.stdout


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
    import torch, torch.distributed as dist
    {plugin}
    from mmengine.model import MMDistributedDataParallel
    port = {port}
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{{port}}',
                            rank=0, world_size=1)
    # what mmengine's Runner.wrap_model passes
    MMDistributedDataParallel(module=torch.nn.Linear(2, 2), device_ids=[0])
    dist.destroy_process_group()
    print('WRAPPED')
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_ddp_device_ids_fail_for_cpu_module_without_fix(tmp_path):
    result = _python(DDP_ON_CPU.format(plugin='', port=_free_port()), tmp_path)
    assert result.returncode != 0
    assert 'device_ids' in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_ddp_device_ids_dropped_for_cpu_module_with_plugin(tmp_path):
    result = _python(
        DDP_ON_CPU.format(plugin='import csdnet_mm', port=_free_port()),
        tmp_path, _launch_env())
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'WRAPPED' in result.stdout


def test_stock_nccl_init_fails_without_cuda(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('needs a CPU machine')
    result = _python(
        """
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
    import matplotlib._tight_bbox as tight_bbox

    from csdnet_mm import compat
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
    result = _python(
        """
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


# --- every fix: only where its trigger holds, none with the env var --------

# Imports what the fixes touch, then prints a snapshot of everything an
# import-time fix can change in the process.
SNAPSHOT = """
import importlib.util, json, sys, types, warnings
import numpy, torch
import matplotlib._tight_bbox as tight_bbox
import mmcv, mmcv.image, mmcv.image.photometric
import mmengine.config.config, mmengine.utils, mmengine.utils.package_utils
import mmengine.dist.utils as dist_utils
import mmengine.runner.checkpoint
import mmpretrain.evaluation.metrics.retrieval as retrieval
from mmengine.model import MMDistributedDataParallel

def snapshot():
    return dict(
        set_device=torch.cuda.set_device,
        numpy_in1d=getattr(numpy, 'in1d', None),
        retrieval_np=retrieval.np,
        warning_filters=list(warnings.filters),
        safe_globals=set(torch.serialization.get_safe_globals()),
        config_resolution=[(m.is_installed, m.get_installed_path) for m in (
            mmengine.config.config, mmengine.utils,
            mmengine.utils.package_utils)],
        adjust_hue=[m.adjust_hue for m in (mmcv, mmcv.image,
                                           mmcv.image.photometric)],
        init_dist=[getattr(dist_utils, name) for name in (
            '_init_dist_pytorch', '_init_dist_mpi', '_init_dist_slurm')],
        ddp_init=MMDistributedDataParallel.__init__,
        adjust_bbox=tight_bbox.adjust_bbox)
"""

COMPARE = """
before = snapshot()
import csdnet_mm
from csdnet_mm import compat
after = snapshot()
print('CHANGED', json.dumps(sorted(k for k in before
                                   if before[k] != after[k])))
print('APPLIED', json.dumps(compat.applied()))
"""

# A host where no upstream failure can happen: CUDA, a numpy 1 (it has
# in1d, and np.uint8 wraps the negative hue shift of mmcv's adjust_hue),
# pkg_resources, a matplotlib whose adjust_bbox defaults `renderer`,
# launched by torchrun.
NO_TRIGGER_HOST = """
torch.cuda.is_available = lambda: True
numpy.__version__ = '1.26.4'
numpy.in1d = lambda ar1, ar2, **kwargs: numpy.isin(
    numpy.asarray(ar1).ravel(), ar2, **kwargs)
if importlib.util.find_spec('pkg_resources') is None:
    sys.modules['pkg_resources'] = types.ModuleType('pkg_resources')

def adjust_bbox(fig, bbox_inches, renderer=None, fixed_dpi=None):
    pass

tight_bbox.adjust_bbox = adjust_bbox
"""


def _compare(tmp_path, setup='', env=None):
    result = _python(SNAPSHOT + setup + COMPARE, tmp_path, env)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(
        line.split(' ', 1) for line in result.stdout.splitlines()
        if line.startswith(('CHANGED ', 'APPLIED ')))
    return json.loads(lines['CHANGED']), json.loads(lines['APPLIED'])


def test_import_changes_nothing_where_no_trigger_holds(tmp_path):
    # ... and torch.load not weights-only by default (torch < 2.6).
    changed, applied = _compare(
        tmp_path, NO_TRIGGER_HOST + 'torch.__version__ = "2.5.1"\n',
        _launch_env())
    assert applied == [] and changed == []


def test_cuda_host_with_current_torch_gets_only_the_allow_list(tmp_path):
    """With current torch (weights-only loading by default, MMEngine
    0.10.7 not passing weights_only) the checkpoint allow-list is the one
    change a CUDA host with a fixed numpy/mmcv/matplotlib gets."""
    changed, applied = _compare(tmp_path, NO_TRIGGER_HOST, _launch_env())
    assert applied == ['checkpoint_globals']
    assert changed == ['safe_globals']


# pkg_resources blocked, launched by torchrun: on this CPU machine with
# numpy 2.4, mmcv 2.x and matplotlib 3.11 every trigger holds.
EVERY_TRIGGER = NO_PKG_RESOURCES + '\n'

# The key of SNAPSHOT that each fix changes.
WHAT_CHANGES = dict(
    config_resolution='config_resolution',
    checkpoint_globals='safe_globals',
    cpu_dist_init='init_dist',
    cpu_ddp_device_ids='ddp_init',
    retrieval_in1d='retrieval_np',
    mmcv_adjust_hue='adjust_hue',
    adjust_bbox_renderer='adjust_bbox')


@pytest.fixture(scope='module')
def triggers_here(tmp_path_factory):
    """The fixes triggered on this machine under EVERY_TRIGGER, read with
    the fixes off."""
    result = _python(
        EVERY_TRIGGER + """
import json
from csdnet_mm import compat
print('TRIGGERS', json.dumps([fix.name for fix in compat.FIXES
                              if fix.triggered()]))
""", tmp_path_factory.mktemp('triggers'),
        _launch_env(CSDNET_MM_NO_STACK_FIXES='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    line, = [
        x for x in result.stdout.splitlines() if x.startswith('TRIGGERS ')
    ]
    return json.loads(line.split(' ', 1)[1])


def test_fixes_applied_exactly_where_their_trigger_holds(
        tmp_path, triggers_here):
    assert {'config_resolution', 'checkpoint_globals'} <= set(triggers_here)
    changed, applied = _compare(tmp_path, EVERY_TRIGGER, _launch_env())
    assert applied == triggers_here
    assert changed == sorted(WHAT_CHANGES[name] for name in applied)


def test_env_var_turns_every_fix_off(tmp_path, triggers_here):
    assert triggers_here  # there is work to skip
    env = _launch_env(CSDNET_MM_NO_STACK_FIXES='1')
    changed, applied = _compare(tmp_path, EVERY_TRIGGER, env)
    assert applied == [] and changed == []


@pytest.mark.parametrize('name', FIX_NAMES)
def test_env_var_turns_one_fix_off(tmp_path, triggers_here, name):
    env = _launch_env(CSDNET_MM_DISABLE_FIXES=name)
    changed, applied = _compare(tmp_path, EVERY_TRIGGER, env)
    assert applied == [other for other in triggers_here if other != name]
    assert changed == sorted(WHAT_CHANGES[other] for other in applied)


def test_disabled_fixes_warns_about_unknown_names(monkeypatch):
    monkeypatch.setenv(compat.DISABLE_ENV_VAR,
                       ' retrieval_in1d, mmcv_adjust_hue no_such_fix')
    known = ', '.join(FIX_NAMES)
    with pytest.warns(
            UserWarning,
            match=re.escape(
                f'no fix is called no_such_fix; the fixes are {known}')):
        assert compat.disabled_fixes() == {'retrieval_in1d', 'mmcv_adjust_hue'}
    monkeypatch.setenv(compat.DISABLE_ENV_VAR, 'retrieval_in1d,')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert compat.disabled_fixes() == {'retrieval_in1d'}
    monkeypatch.delenv(compat.DISABLE_ENV_VAR)
    assert compat.disabled_fixes() == set()


# --- the registry: version gates, pure triggers, the docs table -----------


def test_registry_entries_are_complete():
    assert len(set(FIX_NAMES)) == len(FIX_NAMES)
    assert set(FIX_NAMES) == set(WHAT_CHANGES)
    with open(compat.DOCS_PAGE, encoding='utf-8') as f:
        headings = re.findall(r'^#+ (.+)$', f.read(), re.MULTILINE)
    # GitHub's anchors: lower case, punctuation dropped, spaces to '-'.
    anchors = {
        re.sub(r'[^\w\- ]', '', h.lower()).replace(' ', '-')
        for h in headings
    }
    for fix in compat.FIXES:
        SpecifierSet(fix.affected)  # raises where it is no PEP 440 range
        assert compat.installed_version(fix.package) is not None, fix.name
        assert fix.section in anchors, fix.name
        assert fix.upstream and fix.changes, fix.name
        assert fix.trigger.__doc__.startswith('Trigger: '), fix.name


def test_version_gates_read_the_installed_release(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pkg_resources', None)  # setuptools 82
    resolution, hue = _fix('config_resolution'), _fix('mmcv_adjust_hue')
    assert resolution.triggered() and hue.triggered()  # numpy 2, mmcv 2.x
    _fake_versions(
        monkeypatch, mmengine='0.11.0', mmcv='2.4.0', **{'mmcv-lite': None})
    assert resolution.trigger() and not resolution.triggered()
    assert hue.trigger() and not hue.triggered()
    _fake_versions(monkeypatch, mmcv=None, **{'mmcv-lite': None})
    assert compat.installed_version('mmcv') is None
    assert not hue.triggered()
    monkeypatch.setattr(np, '__version__', '1.26.4')
    assert not compat.numpy_rejects_negative_uint8()
    assert not compat.installed_in('numpy', '>=2.4')


# Loads compat.py alone (not the csdnet_mm package, which imports
# MMPretrain), then calls each fix's gate and trigger twice and lists what
# each call imported.
TRIGGERS_ALONE = """
import importlib.util, json, os.path as osp, sys
origin = importlib.util.find_spec('csdnet_mm').origin
spec = importlib.util.spec_from_file_location(
    'compat_alone', osp.join(osp.dirname(origin), 'compat.py'))
compat = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = compat
spec.loader.exec_module(compat)
report = dict(_load=dict(imported=sorted(sys.modules)))
for fix in compat.FIXES:
    before = set(sys.modules)
    answers = [fix.triggered(), fix.trigger(), fix.triggered(), fix.trigger()]
    report[fix.name] = dict(answers=answers,
                            imported=sorted(set(sys.modules) - before))
print('REPORT', json.dumps(report))
"""

# What a trigger must not import: the stack it checks, and cv2.
NOT_IN_A_TRIGGER = ('cv2', 'mmcv', 'mmengine', 'mmpretrain')


@pytest.fixture(scope='module')
def triggers_alone(tmp_path_factory):
    result = _python(TRIGGERS_ALONE, tmp_path_factory.mktemp('alone'),
                     _launch_env())
    assert result.returncode == 0, result.stderr[-3000:]
    line, = [x for x in result.stdout.splitlines() if x.startswith('REPORT ')]
    return json.loads(line.split(' ', 1)[1])


def _stack_modules(modules):
    return [m for m in modules if m.split('.')[0] in NOT_IN_A_TRIGGER]


def test_loading_compat_imports_none_of_the_stack(triggers_alone):
    assert _stack_modules(triggers_alone['_load']['imported']) == []


@pytest.mark.parametrize('name', FIX_NAMES)
def test_trigger_is_a_pure_check(triggers_alone, name):
    answers = triggers_alone[name]['answers']
    assert answers[:2] == answers[2:], answers
    assert _stack_modules(triggers_alone[name]['imported']) == []


def test_docs_table_is_rendered_from_the_registry():
    with open(compat.DOCS_PAGE, encoding='utf-8') as f:
        text = f.read()
    assert text.count(compat.TABLE_START) == 1
    assert text.count(compat.TABLE_END) == 1
    table = compat.fixes_table()
    for fix in compat.FIXES:
        assert f'| `{fix.name}` ' in table and fix.upstream in table
    assert compat.replace_fixes_table(text) == text, (
        'docs/stack-fixes.md: the fixes table differs from compat.FIXES; '
        'run python -c "from csdnet_mm import compat; '
        'compat.write_fixes_table()"')
    # ... and a table that drifted from the registry is told apart.
    drifted = text.replace('| `retrieval_in1d` ', '| `in1d` ')
    assert drifted != text
    assert compat.replace_fixes_table(drifted) != drifted
