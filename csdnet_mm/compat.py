"""Every fix this plugin applies to the OpenMMLab stack, in one place.

The stack (torch 2.14, numpy 2.4, setuptools >= 82, mmengine 0.10.7,
mmpretrain 1.2.0) breaks in ways documented in ``docs/stack-fixes.md`` (one
section per fix, with its trigger and test); each function below names
the upstream problem it works around. They are applied by
:func:`apply_all` when ``csdnet_mm`` is imported (so a config's
``custom_imports`` activates them in every rank). The config edits and
warning filters of the plugin's tools are in :mod:`csdnet_mm.tool_utils`.
"""
import importlib.metadata
import importlib.util
import os.path as osp
from typing import Any

import numpy as np
import torch

_APPLIED = set()


def _once(name: str) -> bool:
    if name in _APPLIED:
        return False
    _APPLIED.add(name)
    return True


# --- A. `mmpretrain::` config inheritance without pkg_resources -------------
# mmengine 0.10.7 resolves `_base_ = 'mmpretrain::...'` through
# `is_installed` / `get_installed_path` (mmengine/utils/package_utils.py),
# which `import pkg_resources`; setuptools >= 82 no longer ships it, so every
# such config fails with `ModuleNotFoundError: No module named 'pkg_resources'`.


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


def patch_config_package_resolution() -> None:
    """Make ``Config.fromfile`` resolve ``package::`` bases via importlib.

    Must run before a config with an ``mmpretrain::`` base is parsed, i.e.
    before ``Config.fromfile`` (``custom_imports`` would be too late).
    """
    if not _once('config_resolution'):
        return
    import mmengine.config.config as mm_config
    import mmengine.utils as mm_utils
    import mmengine.utils.package_utils as mm_package_utils
    for module in (mm_config, mm_utils, mm_package_utils):
        module.is_installed = is_installed
        module.get_installed_path = get_installed_path


# --- B. full checkpoints under torch's weights-only loading ---------------
# torch >= 2.6 loads with weights_only=True by default and mmengine 0.10.7's
# `load_from_local` does not pass `weights_only`; a resume checkpoint holds
# mmengine `HistoryBuffer`s and numpy scalars/arrays, so `--resume`,
# `tools/test.py` and `load_checkpoint` fail with `Weights only load failed
# ... Unsupported global`. The protection stays on: only the exact classes
# such checkpoints contain are allow-listed.


def checkpoint_safe_globals() -> list:
    """The classes and functions an MMEngine checkpoint needs to unpickle."""
    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    # HistoryBuffer pickles its statistics methods through builtins.getattr.
    safe = [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar, getattr]
    safe += [getattr(np.dtypes, name) for name in np.dtypes.__all__]
    return safe


def allow_checkpoint_globals() -> None:
    if _once('safe_globals'):
        torch.serialization.add_safe_globals(checkpoint_safe_globals())


# --- C. `torch.cuda.set_device` in a CPU-only distributed launch -----------
# mmengine's `init_dist` always calls `torch.cuda.set_device(local_rank)`; with
# the CUDA build of torch on a machine without a driver this raises
# `RuntimeError: Found no NVIDIA driver on your system`.


def make_cuda_set_device_safe() -> None:
    if not _once('cuda_set_device'):
        return
    original_set_device = torch.cuda.set_device

    def set_device(device: Any) -> None:
        if not torch.cuda.is_available():
            return
        original_set_device(device)

    set_device.__wrapped__ = original_set_device
    torch.cuda.set_device = set_device


# --- G. numpy >= 2.4 removed `np.in1d` ------------------------------------
# mmpretrain/evaluation/metrics/retrieval.py (RetrievalRecall,
# RetrievalAveragePrecision) calls `np.in1d` and fails with
# `AttributeError: module 'numpy' has no attribute 'in1d'`. `np.isin` is the
# documented replacement with the same semantics for 1-d inputs.


def restore_numpy_in1d() -> None:
    if _once('np_in1d') and not hasattr(np, 'in1d'):

        def in1d(ar1, ar2, assume_unique=False, invert=False, **kwargs):
            return np.isin(
                np.asarray(ar1).ravel(), ar2, assume_unique=assume_unique,
                invert=invert, **kwargs)

        np.in1d = in1d


# --- J. mmcv's adjust_hue with a negative hue on numpy >= 2 (new) ---------
# `mmcv.adjust_hue` (used by MMPretrain's ColorJitter, e.g. MoCo v2's
# `hue=0.1`) shifts the hue channel with `np.uint8(hue_factor * 255)`, which
# numpy >= 2 rejects for a negative factor:
# `OverflowError: Python integer -5 out of bounds for uint8` -- about half of
# all jittered images. numpy 1 wrapped the value
# modulo 256; the replacement below does that explicitly and is otherwise
# mmcv's function.


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


def fix_mmcv_adjust_hue() -> None:
    if not _once('adjust_hue'):
        return
    try:
        import mmcv
        import mmcv.image
        import mmcv.image.photometric
    except ImportError:
        return
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = _adjust_hue


# --- K. stock `torchrun ... --launcher pytorch` on a machine without CUDA ---
# The configs ask for `dist_cfg=dict(backend='nccl')` (MMPretrain's default)
# and mmengine's Runner wraps the model with `device_ids=[LOCAL_RANK]`, so a
# CPU-only launch of the stock tools/train.py fails twice: `init_process_group`
# raises `ProcessGroupNCCL is only supported with GPUs, no GPUs found!` (a
# combined 'cpu:gloo,cuda:nccl' backend fails the same way: torch creates
# the NCCL group eagerly), then DDP rejects `device_ids` for a CPU module.
# Both apply only to those failing cases: NCCL is kept wherever CUDA is
# available, and `device_ids` wherever the module has a parameter on a GPU.


def _cpu_backend(backend):
    if backend == 'nccl' and not torch.cuda.is_available():
        return 'gloo'
    return backend


def use_gloo_without_cuda() -> None:
    if not _once('dist_backend'):
        return
    import mmengine.dist.utils as dist_utils
    for name in ('_init_dist_pytorch', '_init_dist_mpi', '_init_dist_slurm'):
        original = getattr(dist_utils, name, None)
        if original is None:
            continue

        def init(backend, *args, _original=original, **kwargs):
            return _original(_cpu_backend(backend), *args, **kwargs)

        init.__wrapped__ = original
        setattr(dist_utils, name, init)


def ddp_device_ids_for_cpu_modules() -> None:
    if not _once('ddp_device_ids'):
        return
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


# --- L. MMPretrain's browse_dataset.py on a newer matplotlib (3.11) -------
# tools/visualization/browse_dataset.py (`-m transformed` / `pipeline`)
# calls `matplotlib._tight_bbox.adjust_bbox(figure, bbox)`; matplotlib made
# `renderer` a required argument (3.11 here), so it fails with `TypeError: adjust_bbox()
# missing 1 required positional argument: 'renderer'`. Where (and only
# where) the installed signature requires it, the function gets the
# figure's own renderer as the default -- in matplotlib and in the stock
# script, which bound the name at its top before the config imported the
# plugin.


def _adjust_bbox_needs_renderer():
    import inspect
    try:
        from matplotlib import _tight_bbox
    except ImportError:
        return None
    parameter = inspect.signature(
        _tight_bbox.adjust_bbox).parameters.get('renderer')
    if parameter is None or parameter.default is not inspect.Parameter.empty:
        return None
    return _tight_bbox


def default_adjust_bbox_renderer() -> None:
    if not _once('adjust_bbox'):
        return
    if importlib.util.find_spec('matplotlib') is None:
        return
    tight_bbox = _adjust_bbox_needs_renderer()
    if tight_bbox is None:
        return
    import sys
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


def apply_all() -> None:
    """Apply every import-time fix (idempotent)."""
    patch_config_package_resolution()
    allow_checkpoint_globals()
    make_cuda_set_device_safe()
    restore_numpy_in1d()
    fix_mmcv_adjust_hue()
    use_gloo_without_cuda()
    ddp_device_ids_for_cpu_modules()
    default_adjust_bbox_renderer()
