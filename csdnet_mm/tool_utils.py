"""What the plugin's command-line tools share (``tools/*.py``).

Config edits the tools make before building a Runner (work dir, dataloader
defaults, reliability hooks, device adaptation), the error-to-exit-status
wrapper and small helpers. Nothing here runs on ``import csdnet_mm``; the
tools import this module themselves.
"""
import copy
import functools
import os.path as osp
import sys
from typing import Callable

from mmengine.config import ConfigDict

from .compat import adapt_cfg_to_device, check_amp_supported
from .errors import NonFiniteLossError, TrainingCollapseError, UserInputError


def set_work_dir(cfg, work_dir, config_path: str) -> None:
    """CLI > value in the config > ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def apply_dataloader_defaults(cfg, fields, defaults: dict, no_pin_memory: bool,
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


RELIABILITY_HOOKS = dict(rng_state='RNGStateHook',
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
            sys.exit(2)
        except NonFiniteLossError as e:
            print(f'error: {e}', file=sys.stderr)
            sys.exit(3)
        except TrainingCollapseError as e:
            print(f'error: {e}', file=sys.stderr)
            sys.exit(4)

    return wrapper


def final_metrics(runner) -> dict:
    """The last validation metrics the runner logged (``val/...``)."""
    scalars = runner.message_hub.log_scalars
    return {
        key[len('val/'):]: buffer.current()
        for key, buffer in scalars.items() if key.startswith('val/')
        and not key.startswith('val/time') and key != 'val/data_time'
    }
