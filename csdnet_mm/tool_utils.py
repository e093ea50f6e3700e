"""What the plugin's command-line tools share (``tools/*.py``).

Config edits the tools make before building a Runner (work dir, dataloader
defaults, reliability hooks, device adaptation), the ``--amp`` check, the
end-of-run process-group cleanup, the tools' warning filters, the
error-to-exit-status wrapper and small helpers. Nothing here runs on
``import csdnet_mm``: the tools call these functions themselves, and the
import-time stack fixes are in :mod:`csdnet_mm.compat` (both are listed in
docs/stack-fixes.md).
"""
import argparse
import copy
import functools
import json
import os.path as osp
import sys
import warnings
from typing import Callable, Sequence

import torch
from mmengine.config import ConfigDict

from .errors import (COLLAPSE_EXIT_STATUS, NON_FINITE_EXIT_STATUS,
                     USER_INPUT_EXIT_STATUS, NonFiniteLossError,
                     TrainingCollapseError, UserInputError)


def set_work_dir(cfg, work_dir, config_path: str) -> None:
    """CLI > value in the config > ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def apply_dataloader_defaults(cfg,
                              fields,
                              defaults: dict,
                              no_pin_memory: bool,
                              no_persistent_workers: bool = False) -> None:
    """Merge the stock tools' dataloader defaults (config values win)."""
    for field in fields:
        if cfg.get(field, None) is None:
            continue
        loader = ConfigDict(defaults)
        loader.update(cfg[field])
        if no_pin_memory:
            loader['pin_memory'] = False
        if no_persistent_workers and 'persistent_workers' in loader:
            loader['persistent_workers'] = False
        cfg[field] = loader


def finish_cfg(cfg, args) -> None:
    """Device adaptation and AMP check, after every other CLI merge."""
    if getattr(args, 'amp', False):
        check_amp_supported()
    adapt_cfg_to_device(cfg, args.launcher)


def model_cfg_of(cfg) -> ConfigDict:
    """A copy of ``cfg.model`` with the top-level ``data_preprocessor``
    merged in, as MMEngine's runner builds it (tools that build the model
    themselves would otherwise skip the normalisation)."""
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return model_cfg


def parse_cfg_options(options: Sequence[str]) -> dict:
    """``key=value`` strings parsed as a tool's ``--cfg-options`` parses
    them (MMEngine's ``DictAction``)."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--options', nargs='+', action=DictAction)
    return parser.parse_args(['--options', *options]).options


def checkpoint_analysis_parser(
        description: str,
        checkpoint_required: bool) -> argparse.ArgumentParser:
    """Arguments of the tools that analyse training batches of a model:
    CONFIG [CHECKPOINT] [--batches] [--seed] [--out] [--cfg-options]
    (see :func:`model_and_train_loader`)."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config')
    if checkpoint_required:
        parser.add_argument('checkpoint')
    else:
        parser.add_argument('checkpoint', nargs='?', default=None)
    parser.add_argument(
        '--batches',
        type=int,
        default=4,
        help='training batches to average over')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the figures as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser


def model_and_train_loader(config: str,
                           checkpoint: str = None,
                           seed: int = 0,
                           options: dict = None):
    """``(model, loader)`` of an analysis tool: the model of ``config`` in
    train mode with ``checkpoint``'s weights and buffers (queues, banks)
    when given, else the config's initialisation; and its training
    dataloader in the main process, seeded."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint, set_random_seed
    from mmpretrain.registry import MODELS

    if checkpoint and not osp.isfile(checkpoint):
        raise UserInputError(f'checkpoint {checkpoint} does not exist.')
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    # The transforms run in this process (num_workers=0) and draw from
    # Python's and numpy's global generators, so seed those too.
    set_random_seed(seed)
    loader = Runner.build_dataloader(
        dict(cfg.train_dataloader, num_workers=0, persistent_workers=False),
        seed=seed)
    model = MODELS.build(model_cfg_of(cfg))
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    else:
        model.init_weights()
    model.train()
    return model, loader


RELIABILITY_HOOKS = dict(
    rng_state='RNGStateHook',
    nonfinite='NonFiniteLossHook',
    collapse='CollapseHook')


def _hook_type(hook) -> str:
    kind = hook.get('type') if isinstance(hook, dict) else type(hook)
    name = getattr(kind, '__name__', kind)
    return str(name).split('.')[-1]


def add_reliability_hooks(cfg, no_nonfinite_check: bool) -> None:
    """Give the config ``RNGStateHook`` (exact resume) and
    ``NonFiniteLossHook`` as ``default_hooks.rng_state`` / ``.nonfinite``
    unless it has them: the plugin's ``default_runtime.py`` already does, a
    ``mmpretrain::`` config does not. A hook counts as present when
    ``default_hooks`` or ``custom_hooks`` holds one, or when the config
    removed it on purpose (``default_hooks = dict(nonfinite=None)``).
    ``no_nonfinite_check`` adds no ``NonFiniteLossHook`` and turns off every
    one the config has (``enable=False``)."""
    default_hooks = cfg.get('default_hooks') or ConfigDict()
    custom_hooks = list(cfg.get('custom_hooks') or [])
    hooks = [h for h in default_hooks.values() if h is not None]
    hooks += custom_hooks
    present = {_hook_type(h) for h in hooks}
    for key, name in RELIABILITY_HOOKS.items():
        if name in present or key in default_hooks:
            continue
        if name == 'NonFiniteLossHook' and no_nonfinite_check:
            continue
        default_hooks[key] = ConfigDict(type=name)
    if no_nonfinite_check:
        for hook in list(default_hooks.values()) + custom_hooks:
            if isinstance(hook, dict) and \
                    _hook_type(hook) == 'NonFiniteLossHook':
                hook['enable'] = False
            elif type(hook).__name__ == 'NonFiniteLossHook':
                hook.enable = False
    cfg.default_hooks = default_hooks


def _without_worker_traceback(error: Exception) -> str:
    """The original message of an error re-raised from a DataLoader worker
    (PyTorch prefixes the worker's traceback to it)."""
    message = str(error)
    marker = f'{type(error).__name__}: '
    if 'Original Traceback' in message and marker in message:
        message = message.split(marker, 1)[1].rstrip()
    return message


def report_user_errors(main: Callable) -> Callable:
    """Print a :class:`UserInputError` (exit 2), a
    :class:`NonFiniteLossError` (exit 3) or a :class:`TrainingCollapseError`
    (exit 4) as a message, not a traceback."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserInputError as e:
            print(f'error: {_without_worker_traceback(e)}', file=sys.stderr)
            sys.exit(USER_INPUT_EXIT_STATUS)
        except NonFiniteLossError as e:
            print(f'error: {e}', file=sys.stderr)
            sys.exit(NON_FINITE_EXIT_STATUS)
        except TrainingCollapseError as e:
            print(f'error: {e}', file=sys.stderr)
            sys.exit(COLLAPSE_EXIT_STATUS)

    return wrapper


def final_metrics(runner) -> dict:
    """The last validation metrics the runner logged (``val/...``)."""
    scalars = runner.message_hub.log_scalars
    return {
        key[len('val/'):]: buffer.current()
        for key, buffer in scalars.items() if key.startswith('val/')
        and not key.startswith('val/time') and key != 'val/data_time'
    }


# What tools/train.py (last validation) and tools/test.py write in the work
# dir: scripts read these, not the logs.
FINAL_METRICS_FILE = 'final_val_metrics.json'
TEST_METRICS_FILE = 'test_metrics.json'


def write_metrics_json(work_dir: str,
                       metrics: dict,
                       name: str = FINAL_METRICS_FILE) -> str:
    """Write metrics as JSON in the work dir; return the file's path."""
    path = osp.join(work_dir, name)
    with open(path, 'w') as f:
        json.dump({
            k: float(v)
            for k, v in sorted(metrics.items())
        },
                  f,
                  indent=1)
    return path


# --- stack fixes the tools apply to the config and the run ------------------
# (docs/stack-fixes.md: "DDP on CPU", "DataLoader defaults on CPU", "AMP on
# CPU", "Gloo abort at exit", "Known warnings silenced")


def adapt_cfg_to_device(cfg, launcher: str = 'none') -> None:
    """Make a config that was written for GPUs run on the machine at hand.

    On a machine without CUDA:

    * distributed runs use gloo (NCCL needs GPUs) and wrap the model with
      ``device_ids=None`` -- `Runner.wrap_model` passes
      ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules
      (``ValueError: DistributedDataParallel device_ids and output_device
      arguments only work with single-device/multiple-device GPU modules or
      CPU modules``). The wrapper is built with ``setdefault``, so explicit
      config values still win.
    * ``pin_memory`` is turned off (it needs an accelerator and warns every
      time a loader iterator is created).

    Everywhere: ``persistent_workers`` is turned off for loaders with
    ``num_workers=0`` (``ValueError: persistent_workers option needs
    num_workers > 0``, caused by the tools' dataloader defaults).
    """
    from mmengine.config import ConfigDict
    on_cpu = not torch.cuda.is_available()
    if on_cpu and launcher != 'none':
        env_cfg = cfg.setdefault('env_cfg', ConfigDict())
        dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            dist_cfg['backend'] = 'gloo'
        wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
            type='MMDistributedDataParallel')
        wrapper.setdefault('device_ids', None)
        wrapper.setdefault('broadcast_buffers', False)
        cfg.model_wrapper_cfg = wrapper
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(field)
        if not loader:
            continue
        if on_cpu:
            loader['pin_memory'] = False
        if loader.get('num_workers', 0) == 0:
            loader['persistent_workers'] = False


def check_amp_supported() -> None:
    """AmpOptimWrapper refuses the CPU with a bare assertion; say why."""
    if not torch.cuda.is_available():
        raise SystemExit(
            'error: --amp needs a CUDA device (MMEngine\'s AmpOptimWrapper '
            'is GPU-only) and none is available. Run without --amp on this '
            'machine.')


# A rank that exits while gloo still talks to the other one kills rank 0
# with `terminate called without an active exception` (SIGABRT), flakily.
# Synchronising and destroying the process group before exit removes it.


def finalize_distributed() -> None:
    import torch.distributed as torch_dist
    from mmengine.dist import barrier, is_distributed
    if is_distributed():
        barrier()
        torch_dist.destroy_process_group()


KNOWN_WARNINGS = (r'.*broadcast_buffers is deprecated.*',
                  r'.*"FileClient" will be deprecated.*',
                  r'.*"HardDiskBackend" is the alias.*')


def quiet_known_warnings() -> None:
    """Silence upstream deprecation noise that no user action can fix
    (torch's DDP ``broadcast_buffers``, which MMEngine always passes;
    MMEngine's own ``FileClient`` / ``HardDiskBackend`` notices). Called
    by the tools at the start of ``main``; ``import csdnet_mm`` sets no
    warning filter."""
    for message in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message)
