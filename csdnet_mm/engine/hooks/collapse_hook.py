import math
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from ...errors import TrainingCollapseError, UserInputError


def on_any_rank(flag: bool) -> bool:
    """True on every rank when ``flag`` is true on any, so that all ranks
    stop together."""
    flags = torch.tensor([float(flag)])
    if is_distributed():
        all_reduce(flags, op='sum')
    return flags.item() > 0


def collapsed_checkpoint_hint(work_dir: str) -> str:
    """A sentence naming the last checkpoint of ``work_dir`` (or '')."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return ''
    with open(pointer) as f:
        return (f' The last checkpoint is {f.read().strip()}; it may already '
                'be collapsed, so restarting is safer than resuming.')


@HOOKS.register_module()
class CollapseHook(Hook):
    """Stops a classifier whose training loss has collapsed to chance.

    A classifier whose logits no longer depend on the input predicts the
    class prior, so its cross-entropy sits at ln(num_classes) (balanced
    classes) and, being finite, nothing else stops it: it trains to the end
    at chance accuracy. This hook watches ``loss_key`` after every
    iteration; once the loss has been clearly below chance (by ``min_drop``
    of ln N) and then stays within ``tolerance`` of ln N for ``window``
    consecutive iterations, it raises :class:`TrainingCollapseError` naming
    the iteration, the loss terms and what to try. Before the loss has ever
    dropped nothing is flagged, so a slow start is not a collapse. The flag
    is all-reduced so every rank stops together. Models without
    ``loss_key`` (self-supervised ones) or without a head that states
    ``num_classes`` are not watched. The counters start afresh on resume.

    Args:
        window (int): Consecutive iterations at chance that count as a
            collapse. Defaults to 50.
        tolerance (float): |loss - ln N| / ln N within which a loss is "at
            chance". Defaults to 0.02.
        min_drop (float): How far below ln N (relative) the loss must have
            been first. Defaults to 0.1.
        loss_key (str, optional): The logged loss to watch. By default
            ``loss_cls`` where the model logs one (CSDNet's raw-view
            cross-entropy), else ``loss`` (a stock ``ImageClassifier``,
            whose only term is its cross-entropy).
        num_classes (int, optional): N; by default the head's
            ``num_classes``.
        enable (bool): False turns the hook off (e.g. in a child config:
            ``default_hooks = dict(collapse=dict(enable=False))``).
            Defaults to True.
    """

    priority = 'LOW'

    def __init__(self,
                 window: int = 50,
                 tolerance: float = 0.02,
                 min_drop: float = 0.1,
                 loss_key: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 enable: bool = True) -> None:
        if window < 1 or not 0 < tolerance < min_drop < 1:
            raise UserInputError(
                f'CollapseHook: need window >= 1 and 0 < tolerance < '
                f'min_drop < 1; got window={window}, tolerance={tolerance}, '
                f'min_drop={min_drop}.')
        self.window = window
        self.tolerance = tolerance
        self.min_drop = min_drop
        self.loss_key = loss_key
        self.num_classes = num_classes
        self.enable = enable
        self.chance: Optional[float] = None
        self.has_learned = False
        self.at_chance = 0

    def before_train(self, runner) -> None:
        self.chance = None
        if not self.enable:
            return
        num_classes = self.num_classes
        if num_classes is None:
            head = getattr(get_ori_model(runner.model), 'head', None)
            num_classes = getattr(head, 'num_classes', None)
        if not num_classes or num_classes < 2:
            print_log(
                'CollapseHook: the model states no num_classes >= 2 '
                '(not a classifier?), so collapse is not watched.',
                logger='current')
            return
        self.chance = math.log(num_classes)
        self.has_learned = False
        self.at_chance = 0

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if self.chance is None or not outputs:
            return
        key = self.loss_key or ('loss_cls'
                                if 'loss_cls' in outputs else 'loss')
        if key not in outputs:
            return
        loss = float(torch.as_tensor(outputs[key]).detach())
        if loss < self.chance * (1 - self.min_drop):
            self.has_learned = True
        if self.has_learned and \
                abs(loss - self.chance) <= self.tolerance * self.chance:
            self.at_chance += 1
        else:
            self.at_chance = 0
        if on_any_rank(self.at_chance >= self.window):
            raise TrainingCollapseError(self.describe(runner, outputs, key))

    def describe(self, runner, outputs: dict, key: str) -> str:
        terms = ', '.join(f'{k}={float(torch.as_tensor(v).detach()):.4f}'
                          for k, v in outputs.items()
                          if 'loss' in k or k.startswith('gate'))
        return (
            f'training collapsed at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}): {key} has stayed at chance, '
            f'ln({round(math.exp(self.chance))}) = {self.chance:.4f}, for '
            f'{self.window} iterations after it had been lower, i.e. the '
            f'predictions no longer depend on the input. Terms: {terms}. '
            'What to try: a lower learning rate (or a lower lr_mult for the '
            'new layers), optim_wrapper.clip_grad=dict(max_norm=...), and '
            "for CSDNet SSDP's default pattern_norm='standardize' (a "
            'gate_mean near 0 means sigma(P) switched the features off). '
            'To train on regardless, set default_hooks.collapse.enable='
            'False or a larger window.' +
            collapsed_checkpoint_hint(runner.work_dir))
