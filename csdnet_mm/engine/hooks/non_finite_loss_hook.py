import os.path as osp
from typing import Dict, Tuple

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from ...errors import NonFiniteLossError


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stops training at the first non-finite loss, before the optimizer
    step uses it.

    MMEngine only logs a NaN loss and keeps stepping, so the weights (and
    every later checkpoint) turn into NaN. This hook wraps the model's
    ``parse_losses``: when the summed loss is NaN or infinite on any rank
    (the flag is all-reduced, so every rank stops together instead of
    hanging in the next collective), it raises :class:`NonFiniteLossError`
    naming the iteration, the non-finite terms and the last checkpoint to
    resume from. Non-finite gradients behind a finite loss are not checked
    here (AMP's dynamic loss scaling skips those steps).

    It is in ``configs/_base_/default_runtime.py`` as
    ``default_hooks.nonfinite``; turn it off in a child config with
    ``default_hooks = dict(nonfinite=dict(enable=False))`` (a no-op hook)
    or remove it with ``default_hooks = dict(nonfinite=None)``. The
    plugin's ``tools/train.py`` adds it to configs without one, and
    ``--no-nonfinite-check`` turns every one off.

    Args:
        enable (bool): Check the losses. Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, enable: bool = True) -> None:
        self.enable = enable

    def before_train(self, runner) -> None:
        if not self.enable:
            return
        model = get_ori_model(runner.model)
        if getattr(model.parse_losses, '_checks_finite', False):
            return
        parse_losses = model.parse_losses

        def checked_parse_losses(
            losses: Dict[str, torch.Tensor]
        ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
            parsed, log_vars = parse_losses(losses)
            bad = (~torch.isfinite(parsed.detach())).float().reshape(1)
            if is_distributed():
                all_reduce(bad, op='sum')
            if bad.item() > 0:
                raise NonFiniteLossError(
                    self.describe(runner, log_vars, parsed))
            return parsed, log_vars

        checked_parse_losses._checks_finite = True
        model.parse_losses = checked_parse_losses

    @staticmethod
    def describe(runner, log_vars: dict, parsed: torch.Tensor) -> str:
        values = {
            name: float(torch.as_tensor(value).detach())
            for name, value in log_vars.items() if 'loss' in name
        }
        terms = {
            name: value
            for name, value in values.items()
            if not torch.isfinite(torch.tensor(value))
        }
        shown = ', '.join(f'{k}={v}' for k, v in terms.items()) or (
            f'total loss {float(parsed)} on another rank')
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(pointer):
            with open(pointer) as f:
                checkpoint = f.read().strip()
            resume = (f'Resume from {checkpoint} (the last checkpoint; its '
                      'weights are finite) with `python tools/train.py '
                      f'CONFIG --resume {checkpoint}` after the fix.')
        else:
            resume = ('No checkpoint was saved yet; restart after the fix.')
        return (f'non-finite loss at iteration {runner.iter + 1} (epoch '
                f'{runner.epoch + 1}): {shown}. Training stopped before the '
                'optimizer step, so the weights were not updated with it. '
                'Usual causes: a learning rate too high for the batch size '
                '(try a lower lr or optim_wrapper.clip_grad=dict(max_norm='
                '...)), fp16 overflow (use --amp with dynamic loss scale or '
                f'bf16), or a corrupt input batch. {resume}')
