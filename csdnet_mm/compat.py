"""Import-time fixes for the OpenMMLab stack, each applied only where its
trigger is present.

MMPretrain 1.2.0 and MMEngine 0.10.7 predate the torch, numpy, setuptools,
mmcv and matplotlib releases a fresh install brings. :func:`apply_all`, run
by ``import csdnet_mm`` (so a config's ``custom_imports`` runs it in every
rank), applies each fix below only when its trigger -- a function that
checks the installed stack or the process, without side effects -- says the
upstream failure can happen here:

========================  =================================================
fix                       trigger
========================  =================================================
``config_resolution``     :func:`pkg_resources_missing`
``checkpoint_globals``    :func:`weights_only_rejects_mmengine_checkpoints`
``cpu_dist_init``         :func:`cpu_distributed_launch`
``cpu_ddp_device_ids``    :func:`cpu_distributed_launch`
``retrieval_in1d``        :func:`numpy_lacks_in1d`
``mmcv_adjust_hue``       :func:`mmcv_adjust_hue_overflows`
``adjust_bbox_renderer``  :func:`matplotlib_adjust_bbox_needs_renderer`
========================  =================================================

``CSDNET_MM_NO_STACK_FIXES=1`` (any value but empty, ``0``, ``false``,
``no``) in the environment turns every one of them off; :func:`applied`
names the fixes this process got. Where each applies, what it changes and
its tests: docs/stack-fixes.md. The config edits and warning filters of the
plugin's tools are not here but in :mod:`csdnet_mm.tool_utils`.
"""
import contextlib
import importlib.metadata
import importlib.util
import inspect
import os
import os.path as osp
import pickle
import sys
import types
from typing import Any, Callable, Dict, List

import numpy as np
import torch

ENV_VAR = 'CSDNET_MM_NO_STACK_FIXES'

_APPLIED: List[str] = []


def stack_fixes_disabled() -> bool:
    """True when ``CSDNET_MM_NO_STACK_FIXES`` turns the fixes off."""
    value = os.environ.get(ENV_VAR, '').strip().lower()
    return value not in ('', '0', 'false', 'no')


def applied() -> List[str]:
    """Names of the fixes applied in this process, in order."""
    return list(_APPLIED)


def _apply(name: str, trigger: Callable[[], bool],
           patch: Callable[[], None]) -> bool:
    """Apply ``patch`` once, if the fixes are on and ``trigger()`` holds;
    return whether the fix is in place."""
    if name in _APPLIED:
        return True
    if stack_fixes_disabled() or not trigger():
        return False
    patch()
    _APPLIED.append(name)
    return True


# --- config_resolution: `mmpretrain::` bases without pkg_resources ---------
# mmengine 0.10.7 resolves `_base_ = 'mmpretrain::...'` through
# `is_installed` / `get_installed_path` (mmengine/utils/package_utils.py),
# which `import pkg_resources`; setuptools >= 82 no longer ships it, so every
# such config fails with `ModuleNotFoundError: No module named
# 'pkg_resources'`.


def pkg_resources_missing() -> bool:
    """Trigger: ``pkg_resources`` cannot be imported (setuptools >= 82)."""
    if sys.modules.get('pkg_resources') is not None:
        return False  # imported already (None there blocks the import)
    try:
        return importlib.util.find_spec('pkg_resources') is None
    except (ImportError, ValueError):
        return True


def is_installed(package: str) -> bool:
    """``importlib``-based twin of ``mmengine.utils.is_installed``."""
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


def get_installed_path(package: str) -> str:
    """``importlib``-based twin of ``mmengine.utils.get_installed_path``."""
    from mmengine.utils.package_utils import package2module
    spec = importlib.util.find_spec(package)
    if spec is None:
        spec = importlib.util.find_spec(package2module(package))
    if spec is None:
        raise importlib.metadata.PackageNotFoundError(package)
    if spec.origin is None:
        raise RuntimeError(f'{package} is a namespace package, which is '
                           'invalid for `get_installed_path`')
    return osp.dirname(spec.origin)


def _patch_config_package_resolution() -> None:
    import mmengine.config.config as mm_config
    import mmengine.utils as mm_utils
    import mmengine.utils.package_utils as mm_package_utils
    for module in (mm_config, mm_utils, mm_package_utils):
        module.is_installed = is_installed
        module.get_installed_path = get_installed_path


def patch_config_package_resolution() -> bool:
    """Make ``Config.fromfile`` resolve ``package::`` bases via importlib
    (in ``mmengine.config.config``, ``mmengine.utils`` and
    ``mmengine.utils.package_utils``), where ``pkg_resources`` is missing.

    Must run before a config with an ``mmpretrain::`` base is parsed
    (``custom_imports`` is read from the config being parsed, too late):
    the plugin's tools import ``csdnet_mm`` before they parse one.
    """
    return _apply('config_resolution', pkg_resources_missing,
                  _patch_config_package_resolution)


# --- checkpoint_globals: full checkpoints under weights-only loading -------
# torch >= 2.6 loads with weights_only=True by default and mmengine 0.10.7's
# `load_from_local` does not pass `weights_only`; a resume checkpoint holds
# mmengine `HistoryBuffer`s and numpy scalars/arrays, so `--resume`,
# `tools/test.py` and `load_checkpoint` fail with `Weights only load failed
# ... Unsupported global`. The protection stays on: only what such
# checkpoints contain is allow-listed.

_TRUE_VALUES = ('1', 'y', 'yes', 'true')  # as torch.load reads its env vars


def _torch_env_flag(name: str) -> bool:
    return os.getenv(name, '0').lower() in _TRUE_VALUES


def weights_only_rejects_mmengine_checkpoints() -> bool:
    """Trigger: ``torch.load`` defaults to ``weights_only=True`` (torch >=
    2.6, not overridden by ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``) and
    MMEngine's ``load_from_local`` does not pass ``weights_only``."""
    from torch.torch_version import TorchVersion
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False
    if TorchVersion(torch.__version__) < (2, 6):
        return False
    if _torch_env_flag('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') and \
            not _torch_env_flag('TORCH_FORCE_WEIGHTS_ONLY_LOAD'):
        return False
    from mmengine.runner import checkpoint
    try:
        source = inspect.getsource(checkpoint.load_from_local)
    except (OSError, TypeError):
        return True
    return 'weights_only' not in source


def history_buffer_attribute(owner: Any, name: str) -> Any:
    """What the allow-list offers for ``builtins.getattr``: only
    ``getattr(HistoryBuffer, name)`` for a public function defined in the
    ``HistoryBuffer`` class.

    ``HistoryBuffer.__getstate__`` saves the class's statistics methods
    (``min``, ``max``, ``current``, ``mean``), and pickle (torch's protocol
    2) writes a function whose qualified name is ``HistoryBuffer.min`` as
    ``getattr(HistoryBuffer, 'min')``. The real ``getattr`` on the
    allow-list would let a checkpoint fetch any attribute of any allowed
    object; this stand-in refuses everything else with an
    ``UnpicklingError``.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is HistoryBuffer and isinstance(name, str) and \
            not name.startswith('_') and \
            inspect.isfunction(vars(HistoryBuffer).get(name)):
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'csdnet_mm allows getattr only for HistoryBuffer methods in '
        f'weights-only loading, not getattr({owner!r}, {name!r})')


def checkpoint_safe_globals() -> list:
    """What an MMEngine checkpoint needs to unpickle: ``HistoryBuffer``,
    ``np.ndarray``, ``np.dtype``, numpy's ``_reconstruct`` and ``scalar``,
    the classes in ``np.dtypes``, and :func:`history_buffer_attribute` under
    the name ``builtins.getattr``."""
    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    safe = [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
            (history_buffer_attribute, 'builtins.getattr')]
    safe += [getattr(np.dtypes, name) for name in np.dtypes.__all__]
    return safe


def allow_checkpoint_globals() -> bool:
    """Add :func:`checkpoint_safe_globals` to torch's weights-only
    allow-list where torch would otherwise refuse MMEngine checkpoints."""
    return _apply(
        'checkpoint_globals', weights_only_rejects_mmengine_checkpoints,
        lambda: torch.serialization.add_safe_globals(
            checkpoint_safe_globals()))


# --- cpu_dist_init / cpu_ddp_device_ids: a distributed launch without CUDA --
# The configs ask for `dist_cfg=dict(backend='nccl')` (MMPretrain's default);
# mmengine's `_init_dist_pytorch` / `_mpi` / `_slurm` always call
# `torch.cuda.set_device(local_rank)` (`RuntimeError: Found no NVIDIA driver
# on your system` with the CUDA build of torch and no GPU) and then
# `init_process_group('nccl')` (`ProcessGroupNCCL is only supported with
# GPUs, no GPUs found!`); `Runner.wrap_model` then passes
# `device_ids=[LOCAL_RANK]`, which DDP rejects for a CPU module. So a stock
# `torchrun ... tools/train.py CFG --launcher pytorch` fails three times on a
# CPU machine.

# Variables a launcher sets for each process: torchrun and
# torch.distributed.launch (MMEngine's `pytorch` launcher), mpirun (`mpi`),
# srun (`slurm`).
LAUNCH_ENV = ('LOCAL_RANK', 'RANK', 'WORLD_SIZE',
              'OMPI_COMM_WORLD_LOCAL_RANK', 'SLURM_PROCID')


def cpu_distributed_launch() -> bool:
    """Trigger: a launcher started this process (:data:`LAUNCH_ENV`) and
    CUDA is unavailable. The environment is checked first, so outside a
    launch nothing asks the CUDA driver anything."""
    launched = any(name in os.environ for name in LAUNCH_ENV)
    return launched and not torch.cuda.is_available()


def _cpu_backend(backend: str) -> str:
    if backend == 'nccl' and not torch.cuda.is_available():
        return 'gloo'
    return backend


@contextlib.contextmanager
def _cuda_set_device_skipped():
    """``torch.cuda.set_device`` is a no-op inside (there is no GPU to
    select); the original is back afterwards."""
    original = torch.cuda.set_device

    def set_device(device: Any) -> None:
        pass

    set_device.__wrapped__ = original
    torch.cuda.set_device = set_device
    try:
        yield
    finally:
        torch.cuda.set_device = original


def _cpu_dist_init(original: Callable) -> Callable:
    """Wrap one of mmengine's ``_init_dist_*``: where CUDA is unavailable
    when it is called, skip ``torch.cuda.set_device`` during the call and
    init gloo for nccl; otherwise call it unchanged."""

    def init(backend, *args, **kwargs):
        if torch.cuda.is_available():
            return original(backend, *args, **kwargs)
        with _cuda_set_device_skipped():
            return original(_cpu_backend(backend), *args, **kwargs)

    init.__wrapped__ = original
    return init


def _patch_cpu_dist_init() -> None:
    import mmengine.dist.utils as dist_utils
    for name in ('_init_dist_pytorch', '_init_dist_mpi', '_init_dist_slurm'):
        original = getattr(dist_utils, name, None)
        if original is not None:
            setattr(dist_utils, name, _cpu_dist_init(original))


def fix_cpu_distributed_init() -> bool:
    """mmengine's distributed init on a CPU-only launch: no
    ``torch.cuda.set_device`` during the init, gloo instead of nccl."""
    return _apply('cpu_dist_init', cpu_distributed_launch,
                  _patch_cpu_dist_init)


def _patch_ddp_device_ids() -> None:
    from mmengine.model import MMDistributedDataParallel
    original_init = MMDistributedDataParallel.__init__

    def __init__(self, module, *args, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu and kwargs.get('device_ids') is not None:
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        original_init(self, module, *args, **kwargs)

    __init__.__wrapped__ = original_init
    MMDistributedDataParallel.__init__ = __init__


def fix_ddp_device_ids_for_cpu_modules() -> bool:
    """``MMDistributedDataParallel`` drops ``device_ids`` for a module whose
    parameters are all on the CPU (only there), on a CPU-only launch."""
    return _apply('cpu_ddp_device_ids', cpu_distributed_launch,
                  _patch_ddp_device_ids)


# --- retrieval_in1d: numpy >= 2.4 removed `np.in1d` -------------------------
# mmpretrain/evaluation/metrics/retrieval.py (RetrievalRecall,
# RetrievalAveragePrecision) calls `np.in1d` and fails with
# `AttributeError: module 'numpy' has no attribute 'in1d'`. `np.isin` on the
# flattened first argument is numpy's documented replacement. numpy itself
# is left alone: only that module's `np` gains `in1d`.


def numpy_lacks_in1d() -> bool:
    """Trigger: the installed numpy has no ``in1d`` (numpy >= 2.4)."""
    return not hasattr(np, 'in1d')


def in1d(ar1, ar2, assume_unique=False, invert=False, **kwargs):
    """numpy's ``in1d`` as numpy documents its replacement."""
    return np.isin(np.asarray(ar1).ravel(), ar2, assume_unique=assume_unique,
                   invert=invert, **kwargs)


class NumpyWithIn1d(types.ModuleType):
    """numpy as one module sees it: every name of numpy, plus ``in1d``."""

    def __init__(self):
        super().__init__('numpy', np.__doc__)
        self.in1d = in1d
        self.__wrapped__ = np

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    def __repr__(self) -> str:
        return f'<numpy {np.__version__} with in1d (csdnet_mm.compat)>'


def _patch_retrieval_in1d() -> None:
    import mmpretrain.evaluation.metrics.retrieval as retrieval
    retrieval.np = NumpyWithIn1d()


def alias_in1d_for_mmpretrain_retrieval() -> bool:
    """Give ``mmpretrain.evaluation.metrics.retrieval`` (its global ``np``)
    an ``in1d`` where numpy lacks one."""
    return _apply('retrieval_in1d', numpy_lacks_in1d, _patch_retrieval_in1d)


# --- mmcv_adjust_hue: mmcv's adjust_hue with a negative hue on numpy >= 2 ---
# `mmcv.adjust_hue` (used by MMPretrain's ColorJitter, e.g. MoCo v2's
# `hue=0.1`) shifts the hue channel with `np.uint8(hue_factor * 255)`, which
# numpy >= 2 rejects for a negative factor:
# `OverflowError: Python integer -5 out of bounds for uint8` -- about half of
# all jittered images. numpy 1 wrapped the value modulo 256; the replacement
# below does that explicitly and is otherwise mmcv's function.


def mmcv_adjust_hue_overflows() -> bool:
    """Trigger: the installed ``mmcv.adjust_hue`` raises ``OverflowError``
    for a negative hue factor (probed on a 1x1 image)."""
    try:
        import mmcv
    except ImportError:
        return False
    adjust_hue = getattr(mmcv, 'adjust_hue', None)
    if adjust_hue is None:
        return False
    try:
        adjust_hue(np.zeros((1, 1, 3), np.uint8), -0.1, backend='cv2')
    except OverflowError:
        return True
    except Exception:  # noqa: BLE001 (another failure is not this bug)
        return False
    return False


def _adjust_hue(img: np.ndarray, hue_factor: float, backend=None):
    import cv2
    import mmcv.image.photometric as photometric
    from PIL import Image
    backend = backend or photometric.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f'backend: {backend} is not supported.')
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8) + shift
        pil_image = Image.merge(
            'HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
        return np.array(pil_image, dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv)
    hsv = cv2.merge([h.astype(np.uint8) + shift, s, v])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def _patch_mmcv_adjust_hue() -> None:
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = _adjust_hue


def fix_mmcv_adjust_hue() -> bool:
    """Install :func:`_adjust_hue` as ``mmcv.adjust_hue`` (and in
    ``mmcv.image``, ``mmcv.image.photometric``) where the installed one
    overflows."""
    return _apply('mmcv_adjust_hue', mmcv_adjust_hue_overflows,
                  _patch_mmcv_adjust_hue)


# --- adjust_bbox_renderer: MMPretrain's browse_dataset.py on matplotlib 3.11
# tools/visualization/browse_dataset.py (`-m transformed` / `pipeline`)
# calls `matplotlib._tight_bbox.adjust_bbox(figure, bbox)`; matplotlib made
# `renderer` a required argument (3.11 here), so it fails with `TypeError:
# adjust_bbox() missing 1 required positional argument: 'renderer'`. The
# function gets the figure's own renderer as the default -- in matplotlib
# and in the stock script, which bound the name at its top before the config
# imported the plugin.


def _tight_bbox_module():
    if importlib.util.find_spec('matplotlib') is None:
        return None
    try:
        from matplotlib import _tight_bbox
    except ImportError:
        return None
    return _tight_bbox


def matplotlib_adjust_bbox_needs_renderer() -> bool:
    """Trigger: the installed ``matplotlib._tight_bbox.adjust_bbox`` has a
    ``renderer`` parameter without a default (matplotlib 3.11)."""
    tight_bbox = _tight_bbox_module()
    if tight_bbox is None:
        return False
    parameter = inspect.signature(
        tight_bbox.adjust_bbox).parameters.get('renderer')
    return parameter is not None and \
        parameter.default is inspect.Parameter.empty


def _patch_adjust_bbox_renderer() -> None:
    tight_bbox = _tight_bbox_module()
    original = tight_bbox.adjust_bbox

    def adjust_bbox(fig, bbox_inches, renderer=None, fixed_dpi=None):
        if renderer is None:
            renderer = fig.canvas.get_renderer()
        return original(fig, bbox_inches, renderer, fixed_dpi)

    adjust_bbox.__wrapped__ = original
    tight_bbox.adjust_bbox = adjust_bbox
    main = sys.modules.get('__main__')
    if getattr(main, 'adjust_bbox', None) is original:
        main.adjust_bbox = adjust_bbox


def default_adjust_bbox_renderer() -> bool:
    """``renderer`` of ``adjust_bbox`` defaults to the figure's own where
    the installed matplotlib requires it."""
    return _apply('adjust_bbox_renderer',
                  matplotlib_adjust_bbox_needs_renderer,
                  _patch_adjust_bbox_renderer)


# --- all of them -------------------------------------------------------------

FIXES: Dict[str, Callable[[], bool]] = {
    'config_resolution': pkg_resources_missing,
    'checkpoint_globals': weights_only_rejects_mmengine_checkpoints,
    'cpu_dist_init': cpu_distributed_launch,
    'cpu_ddp_device_ids': cpu_distributed_launch,
    'retrieval_in1d': numpy_lacks_in1d,
    'mmcv_adjust_hue': mmcv_adjust_hue_overflows,
    'adjust_bbox_renderer': matplotlib_adjust_bbox_needs_renderer,
}
"""Each import-time fix's name and trigger."""


def apply_all() -> List[str]:
    """Apply every import-time fix whose trigger holds (idempotent; none
    with ``CSDNET_MM_NO_STACK_FIXES`` set); return :func:`applied`."""
    patch_config_package_resolution()
    allow_checkpoint_globals()
    fix_cpu_distributed_init()
    fix_ddp_device_ids_for_cpu_modules()
    alias_in1d_for_mmpretrain_retrieval()
    fix_mmcv_adjust_hue()
    default_adjust_bbox_renderer()
    return applied()
