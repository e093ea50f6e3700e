import math
import operator
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from ...errors import TrainingCollapseError, UserInputError
from .collapse_hook import collapsed_checkpoint_hint, on_any_rank


@HOOKS.register_module()
class EmbeddingCollapseHook(Hook):
    """Stops a self-supervised run whose embedding has collapsed.

    A Siamese method without negatives (SimSiam) can collapse to a constant
    output: its loss reaches its minimum, nothing is NaN, and the run trains
    to the end with features that carry nothing. As SimSiam's authors do,
    the hook measures the per-channel std of the l2-normalised output of
    ``module`` (the projector) over each training batch, scaled by sqrt(d):
    about 1 for an embedding spread over the sphere, 0 for a collapsed one.
    The value is logged as ``embedding_std``. When it stays below
    ``threshold`` for ``window`` consecutive iterations the hook raises
    :class:`TrainingCollapseError`. The first call of ``module`` in an
    iteration is measured (the augmented views in MMPretrain's SimSiam and
    MoCo); the flag is all-reduced so every rank stops together.

    Args:
        threshold (float): Scaled std below which an iteration counts as
            collapsed. Defaults to 0.1.
        window (int): Consecutive collapsed iterations that stop the run.
            Defaults to 50.
        module (str): Dotted path of the watched module in the model.
            Defaults to ``'neck'``.
        enable (bool): False turns the hook off. Defaults to True.
    """

    # Ahead of LoggerHook (BELOW_NORMAL), so an iteration's value is in
    # that iteration's log line.
    priority = 'NORMAL'

    def __init__(self,
                 threshold: float = 0.1,
                 window: int = 50,
                 module: str = 'neck',
                 enable: bool = True) -> None:
        if window < 1 or not 0 < threshold < 1:
            raise UserInputError(
                f'EmbeddingCollapseHook: need window >= 1 and 0 < threshold '
                f'< 1; got window={window}, threshold={threshold}.')
        self.threshold = threshold
        self.window = window
        self.module = module
        self.enable = enable
        self._handle = None
        self._value: Optional[float] = None
        self.below = 0

    def before_train(self, runner) -> None:
        self.below = 0
        self._value = None
        if not self.enable:
            return
        try:
            module = operator.attrgetter(self.module)(
                get_ori_model(runner.model))
        except AttributeError:
            module = None
        if not isinstance(module, torch.nn.Module):
            print_log(
                f'EmbeddingCollapseHook: the model has no module '
                f'{self.module!r}, so collapse is not watched.',
                logger='current')
            return
        self._handle = module.register_forward_hook(self._measure)

    def _measure(self, module, inputs, output) -> None:
        if not module.training or self._value is not None:
            return
        z = output[0] if isinstance(output, (tuple, list)) else output
        z = z.detach().flatten(1).float()
        if z.shape[0] < 2:
            return
        self._value = float(
            F.normalize(z, dim=1).std(dim=0).mean() * math.sqrt(z.shape[1]))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        value, self._value = self._value, None
        if value is None:
            return
        runner.message_hub.update_scalar('train/embedding_std', value)
        self.below = self.below + 1 if value < self.threshold else 0
        if on_any_rank(self.below >= self.window):
            raise TrainingCollapseError(self.describe(runner, value))

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def describe(self, runner, value: float) -> str:
        return (
            f'training collapsed at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}): the l2-normalised output of '
            f'{self.module!r} has had a scaled per-channel std below '
            f'{self.threshold} for {self.window} iterations (now '
            f'{value:.4f}; about 1 when healthy), i.e. every image maps to '
            'nearly the same embedding. What to try: a lower learning rate '
            'or weight decay, a larger batch, the predictor at a constant '
            'lr (SimSiam: fix_lr and SimSiamHook), and stronger '
            'augmentation. To train on regardless, remove the hook or set '
            'its enable=False or a larger window.' +
            collapsed_checkpoint_hint(runner.work_dir))
