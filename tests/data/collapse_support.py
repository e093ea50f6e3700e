"""Test support: a hook that makes the tiny classifier's logits independent
of its input at a given iteration (the collapsed state CollapseHook
detects), by zeroing and freezing the head."""
import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class ZeroHeadHook(Hook):

    def __init__(self, at_iter: int) -> None:
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter != self.at_iter:
            return
        with torch.no_grad():
            for param in get_ori_model(runner.model).head.parameters():
                param.zero_()
                param.requires_grad_(False)
