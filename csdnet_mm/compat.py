"""Import-time fixes for the OpenMMLab stack, each applied only where its
trigger holds.

MMPretrain 1.2.0 and MMEngine 0.10.7 predate the torch, numpy, setuptools,
mmcv and matplotlib releases a fresh install brings. :data:`FIXES` is the
one list of the fixes: for each, its name, the upstream package and the
versions of it that fail, the upstream error, a trigger and a patch.
:func:`apply_all`, run by ``import csdnet_mm`` (so a config's
``custom_imports`` runs it in every rank), applies a fix where its package
is installed in an affected version and its trigger -- a check of the
installed stack or of the process that changes nothing and imports none of
the OpenMMLab packages -- holds. :func:`applied` names the fixes this
process got.

``CSDNET_MM_NO_STACK_FIXES=1`` (any value but empty, ``0``, ``false``,
``no``) turns every fix off, ``CSDNET_MM_DISABLE_FIXES=name,name`` the named
ones. The table in docs/stack-fixes.md is rendered from :data:`FIXES`
(:func:`fixes_table`, :func:`write_fixes_table`); each fix's section there
names its tests. The config edits and warning filters of the plugin's tools
are not here but in :mod:`csdnet_mm.tool_utils`.
"""
import contextlib
import importlib.metadata
import importlib.util
import inspect
import os
import os.path as osp
import pickle
import re
import sys
import types
import warnings
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Set

import numpy as np
import torch
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

ENV_VAR = 'CSDNET_MM_NO_STACK_FIXES'
DISABLE_ENV_VAR = 'CSDNET_MM_DISABLE_FIXES'

_APPLIED: List[str] = []


@dataclass(frozen=True)
class Fix:
    """One import-time fix of an upstream failure.

    Args:
        name (str): Its name in :func:`applied` and in
            ``CSDNET_MM_DISABLE_FIXES``.
        package (str): The upstream package whose installed version gates
            the fix.
        affected (str): PEP 440 specifier of the versions of ``package``
            that fail; empty where every release so far does.
        upstream (str): The upstream failure and its error, in a sentence
            (markdown, for the docs).
        trigger (Callable[[], bool]): Past the version gate, whether the
            failure can happen in this process. A pure check: no import of
            the OpenMMLab packages or cv2, nothing changed.
        patch (Callable[[], None]): Makes the fix.
        changes (str): What the patch changes (markdown, for the docs).
        section (str): Anchor of the fix's section in docs/stack-fixes.md.
    """
    name: str
    package: str
    affected: str
    upstream: str
    trigger: Callable[[], bool]
    patch: Callable[[], None]
    changes: str = ''
    section: str = ''

    def triggered(self) -> bool:
        """The version gate, then the trigger (only past the gate, so that
        on an unaffected stack it asks nothing)."""
        return installed_in(self.package, self.affected) and self.trigger()


def stack_fixes_disabled() -> bool:
    """True when ``CSDNET_MM_NO_STACK_FIXES`` turns the fixes off."""
    value = os.environ.get(ENV_VAR, '').strip().lower()
    return value not in ('', '0', 'false', 'no')


def disabled_fixes() -> Set[str]:
    """The fixes ``CSDNET_MM_DISABLE_FIXES`` turns off (names separated by
    commas or spaces); warns about names that no fix has, so that a typo
    does not pass for an opt-out."""
    value = os.environ.get(DISABLE_ENV_VAR, '')
    names = set(re.split(r'[\s,]+', value.strip())) - {''}
    known = [fix.name for fix in FIXES]
    unknown = sorted(names.difference(known))
    if unknown:
        warnings.warn(
            f'{DISABLE_ENV_VAR}: no fix is called {", ".join(unknown)}; '
            f'the fixes are {", ".join(known)}',
            UserWarning,
            stacklevel=2)
    return names.intersection(known)


def applied() -> List[str]:
    """Names of the fixes applied in this process, in order."""
    return list(_APPLIED)


def apply_all() -> List[str]:
    """Apply each fix of :data:`FIXES` that is not turned off and is
    triggered here (once per process); return :func:`applied`."""
    if stack_fixes_disabled():
        return applied()
    disabled = disabled_fixes()
    for fix in FIXES:
        if fix.name in _APPLIED or fix.name in disabled:
            continue
        if fix.triggered():
            fix.patch()
            _APPLIED.append(fix.name)
    return applied()


# --- version gates ---------------------------------------------------------

# Distributions that install the module of a package name used in FIXES.
_DISTRIBUTIONS = {'mmcv': ('mmcv', 'mmcv-lite')}


def installed_version(package: str) -> Optional[str]:
    """The installed version of ``package``, or None where it is missing.

    numpy and torch, imported here anyway, give the running module's
    ``__version__``; any other package its distribution's metadata, so that
    a version gate imports nothing.
    """
    if package in ('numpy', 'torch'):
        return str({'numpy': np, 'torch': torch}[package].__version__)
    for distribution in _DISTRIBUTIONS.get(package, (package, )):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def installed_in(package: str, specifier: str) -> bool:
    """Whether ``package`` is installed in a version ``specifier`` (PEP 440,
    pre-releases included; empty: any version) admits."""
    version = installed_version(package)
    if version is None:
        return False
    try:
        version = Version(version)
    except InvalidVersion:  # not PEP 440: no range can be said to hold it
        return False
    return SpecifierSet(specifier).contains(version, prereleases=True)


# --- config_resolution: `mmpretrain::` bases without pkg_resources ---------
# mmengine < 0.11.0rc2 resolves `_base_ = 'mmpretrain::...'` through
# `is_installed` / `get_installed_path` (mmengine/utils/package_utils.py),
# which `import pkg_resources`; setuptools >= 82 no longer ships it, so every
# such config fails with `ModuleNotFoundError: No module named
# 'pkg_resources'`. The plugin's tools import csdnet_mm before they parse a
# config (`custom_imports` is read from the config being parsed, too late).


def pkg_resources_missing() -> bool:
    """Trigger: ``pkg_resources`` cannot be imported (setuptools >= 82 ships
    none)."""
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


# --- checkpoint_globals: full checkpoints under weights-only loading -------
# torch >= 2.6 loads with weights_only=True by default and the `load_from_
# local` of mmengine < 0.11.0rc2 does not pass `weights_only`; a resume
# checkpoint holds mmengine `HistoryBuffer`s and numpy scalars/arrays, so
# `--resume`, `tools/test.py` and `load_checkpoint` fail with `Weights only
# load failed ... Unsupported global`. The protection stays on: only what
# such checkpoints contain is allow-listed.

_TRUE_VALUES = ('1', 'y', 'yes', 'true')  # as torch.load reads its env vars


def _torch_env_flag(name: str) -> bool:
    return os.getenv(name, '0').lower() in _TRUE_VALUES


def torch_loads_weights_only() -> bool:
    """Trigger: ``torch.load`` defaults to ``weights_only=True`` (torch >=
    2.6) and ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` does not turn that off."""
    if not hasattr(torch.serialization, 'add_safe_globals') or \
            not installed_in('torch', '>=2.6'):
        return False
    return not _torch_env_flag('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') or \
        _torch_env_flag('TORCH_FORCE_WEIGHTS_ONLY_LOAD')


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
    safe = [
        HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
        (history_buffer_attribute, 'builtins.getattr')
    ]
    safe += [getattr(np.dtypes, name) for name in np.dtypes.__all__]
    return safe


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
LAUNCH_ENV = ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'OMPI_COMM_WORLD_LOCAL_RANK',
              'SLURM_PROCID')


def cpu_distributed_launch() -> bool:
    """Trigger: a launcher's per-process variable is set (``LOCAL_RANK``,
    ``RANK``, ``WORLD_SIZE``: torchrun; ``OMPI_COMM_WORLD_LOCAL_RANK``:
    mpirun; ``SLURM_PROCID``: srun), then ``torch.cuda.is_available()`` is
    False.

    The environment (:data:`LAUNCH_ENV`) is checked first, so outside a
    launch nothing asks the CUDA driver anything.
    """
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
    return np.isin(
        np.asarray(ar1).ravel(),
        ar2,
        assume_unique=assume_unique,
        invert=invert,
        **kwargs)


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


# --- mmcv_adjust_hue: mmcv's adjust_hue with a negative hue on numpy >= 2 ---
# `mmcv.adjust_hue` (used by MMPretrain's ColorJitter, e.g. MoCo v2's
# `hue=0.1`) shifts the hue channel with `np.uint8(hue_factor * 255)`, which
# numpy >= 2 rejects for a negative factor:
# `OverflowError: Python integer -5 out of bounds for uint8` -- about half of
# all jittered images. numpy 1 wrapped the value modulo 256; the replacement
# below does that explicitly and is otherwise mmcv's function.


def numpy_rejects_negative_uint8() -> bool:
    """Trigger: numpy >= 2, whose ``np.uint8(x)`` raises ``OverflowError``
    for a negative ``x`` that numpy 1 wrapped modulo 256."""
    return installed_in('numpy', '>=2')


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


# --- the registry ------------------------------------------------------------

# mmengine 0.11.0rc2 imports no pkg_resources and passes weights_only=False
# (0.11.0rc0, like 0.10.7, does neither).
_MMENGINE_BEFORE_0_11 = '<0.11.0rc2'

FIXES = (
    Fix(name='config_resolution',
        package='mmengine',
        affected=_MMENGINE_BEFORE_0_11,
        upstream="mmengine resolves `_base_ = 'mmpretrain::...'` with "
        '`pkg_resources`, which setuptools ≥ 82 no longer ships: '
        "`ModuleNotFoundError: No module named 'pkg_resources'`",
        trigger=pkg_resources_missing,
        patch=_patch_config_package_resolution,
        changes='`is_installed` and `get_installed_path` in '
        '`mmengine.config.config`, `mmengine.utils` and '
        '`mmengine.utils.package_utils` become `compat.is_installed` / '
        '`compat.get_installed_path` (importlib-based)',
        section='config-bases-without-pkg_resources'),
    Fix(name='checkpoint_globals',
        package='mmengine',
        affected=_MMENGINE_BEFORE_0_11,
        upstream="mmengine's `load_from_local` passes no `weights_only`, "
        'so under torch ≥ 2.6 a full checkpoint (`--resume`, '
        '`tools/test.py`, `load_checkpoint`) fails: `Weights only load '
        'failed ... Unsupported global`',
        trigger=torch_loads_weights_only,
        patch=lambda: torch.serialization.add_safe_globals(
            checkpoint_safe_globals()),
        changes="torch's weights-only allow-list gains "
        '`compat.checkpoint_safe_globals()`: `HistoryBuffer`, numpy '
        'arrays, dtypes and scalars, and a `builtins.getattr` stand-in '
        "that resolves only `HistoryBuffer`'s own methods",
        section='full-checkpoints-under-weights-only-loading'),
    Fix(name='cpu_dist_init',
        package='mmengine',
        affected='',
        upstream="mmengine's `_init_dist_pytorch` / `_mpi` / `_slurm` "
        'call `torch.cuda.set_device` and MMPretrain asks for `nccl`: '
        '`RuntimeError: Found no NVIDIA driver on your system`, then '
        '`ProcessGroupNCCL is only supported with GPUs`',
        trigger=cpu_distributed_launch,
        patch=_patch_cpu_dist_init,
        changes="mmengine's `_init_dist_pytorch`, `_init_dist_mpi`, "
        '`_init_dist_slurm` (`mmengine.dist.utils`) are wrapped: called '
        'without CUDA, `torch.cuda.set_device` is a no-op for the '
        'duration of the call and backend `nccl` becomes `gloo`; called '
        'with CUDA, unchanged',
        section='distributed-launch-without-cuda'),
    Fix(name='cpu_ddp_device_ids',
        package='mmengine',
        affected='',
        upstream='`Runner.wrap_model` passes `device_ids=[LOCAL_RANK]`, '
        "which torch's DDP rejects for a CPU module: `ValueError: "
        'DistributedDataParallel device_ids and output_device arguments '
        'only work with single-device/multiple-device GPU modules or CPU '
        'modules ...`',
        trigger=cpu_distributed_launch,
        patch=_patch_ddp_device_ids,
        changes='`MMDistributedDataParallel.__init__` drops `device_ids` '
        '(and `output_device`) for a module whose parameters are all on '
        'the CPU, only there',
        section='distributed-launch-without-cuda'),
    Fix(name='retrieval_in1d',
        package='numpy',
        affected='>=2.4',
        upstream="numpy 2.4 removed `np.in1d`, which MMPretrain's "
        '`RetrievalRecall` and `RetrievalAveragePrecision` call: '
        "`AttributeError: module 'numpy' has no attribute 'in1d'`",
        trigger=numpy_lacks_in1d,
        patch=_patch_retrieval_in1d,
        changes='the global `np` of '
        '`mmpretrain.evaluation.metrics.retrieval`, the one MMPretrain '
        'module that calls `np.in1d`, becomes `compat.NumpyWithIn1d()`: '
        'numpy plus `in1d`. numpy itself gets no `in1d`',
        section='numpy-in1d-in-retrieval-metrics'),
    Fix(
        name='mmcv_adjust_hue',
        package='mmcv',
        # Every mmcv 2 release so far, up to what MMPretrain 1.2.0 accepts.
        affected='>=2.0.0rc1,<2.4',
        upstream='`mmcv.adjust_hue` shifts the hue by '
        '`np.uint8(hue_factor * 255)`, which numpy ≥ 2 rejects for a '
        'negative factor (MoCo v2\'s `ColorJitter(hue=0.1)`, about half '
        'the images): `OverflowError: Python integer -5 out of bounds for '
        'uint8`',
        trigger=numpy_rejects_negative_uint8,
        patch=_patch_mmcv_adjust_hue,
        changes='`adjust_hue` in `mmcv`, `mmcv.image` and '
        "`mmcv.image.photometric` becomes mmcv's function with the shift "
        'taken modulo 256 (`compat._adjust_hue`)',
        section='mmcv-adjust_hue-with-a-negative-hue'),
    Fix(name='adjust_bbox_renderer',
        package='matplotlib',
        affected='>=3.11',
        upstream='matplotlib 3.11 made `renderer` of '
        "`matplotlib._tight_bbox.adjust_bbox` required; MMPretrain's "
        '`browse_dataset.py` does not pass it: `TypeError: adjust_bbox() '
        "missing 1 required positional argument: 'renderer'`",
        trigger=matplotlib_adjust_bbox_needs_renderer,
        patch=_patch_adjust_bbox_renderer,
        changes='`matplotlib._tight_bbox.adjust_bbox`, and the same name '
        'in `__main__` when the running script imported it: `renderer` '
        "defaults to the figure's own",
        section='browse_dataset-with-matplotlib-311'),
)
"""Every import-time fix, in the order :func:`apply_all` applies them."""

# --- the docs table ----------------------------------------------------------

DOCS_PAGE = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'docs', 'stack-fixes.md')
TABLE_START = '<!-- compat-fixes:start -->'
TABLE_END = '<!-- compat-fixes:end -->'


def _markdown(docstring: str) -> str:
    """A trigger's docstring summary (its first paragraph, less
    ``Trigger:``) as one markdown line."""
    summary = inspect.cleandoc(docstring).split('\n\n')[0]
    summary = re.sub(r':\w+:`~?([^`]+)`', r'``\1``', summary)
    summary = summary.replace('``', '`').replace('>=', '≥')
    return ' '.join(summary.split()).replace('Trigger: ', '', 1)


def fixes_table(fixes: Sequence[Fix] = FIXES) -> str:
    """The markdown table of ``fixes`` that docs/stack-fixes.md shows.

    Args:
        fixes (Sequence[Fix]): The fixes. Defaults to :data:`FIXES`.

    Returns:
        str: The table, one line per row, ending with a newline.
    """
    rows = [
        '| fix (name in `compat.applied()`) | upstream package: failing '
        'versions | upstream error | trigger (function in `compat`), '
        'past the version gate | what changes |', '|---|---|---|---|---|'
    ]
    for fix in fixes:
        versions = f'`{fix.affected}`' if fix.affected else \
            '(every release so far)'
        package = ' / '.join(_DISTRIBUTIONS.get(fix.package, (fix.package, )))
        cells = (f'`{fix.name}` ([below](#{fix.section}))',
                 f'{package} {versions}', fix.upstream,
                 f'`{fix.trigger.__name__}()`: '
                 f'{_markdown(fix.trigger.__doc__ or "")}', fix.changes)
        rows.append('| ' + ' | '.join(c.replace('|', r'\|')
                                      for c in cells) + ' |')
    return '\n'.join(rows) + '\n'


def replace_fixes_table(text: str) -> str:
    """``text`` with what lies between :data:`TABLE_START` and
    :data:`TABLE_END` replaced by :func:`fixes_table`."""
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    if end < start:
        raise ValueError(f'{TABLE_END} before {TABLE_START}')
    head = text[:start + len(TABLE_START)]
    return f'{head}\n{fixes_table()}{text[end:]}'


def write_fixes_table(path: str = DOCS_PAGE) -> bool:
    """Render :func:`fixes_table` into ``path`` between the markers; return
    whether the file changed."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    new_text = replace_fixes_table(text)
    if new_text != text:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(new_text)
    return new_text != text
