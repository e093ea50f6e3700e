import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.model import BaseModel

from csdnet_mm.engine.hooks import CollapseHook
from csdnet_mm.errors import TrainingCollapseError, UserInputError
from conftest import PYTHON, REPO_ROOT, run_tool, write_config

TINY = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')
LN4 = math.log(4)


class _Classifier(BaseModel):

    def __init__(self, num_classes):
        super().__init__()
        self.head = SimpleNamespace(num_classes=num_classes)

    def forward(self, *args, **kwargs):
        pass


def _feed(hook, losses, tmp_path, num_classes=4):
    """Run the hook over a sequence of loss_cls values; return the
    iteration (1-based) at which it stopped training, or None."""
    runner = SimpleNamespace(
        model=_Classifier(num_classes),
        work_dir=str(tmp_path),
        iter=0,
        epoch=0)
    hook.before_train(runner)
    for i, loss in enumerate(losses):
        runner.iter = i
        try:
            hook.after_train_iter(
                runner,
                i,
                outputs=dict(
                    loss=torch.tensor(loss + 0.1),
                    loss_cls=torch.tensor(loss)))
        except TrainingCollapseError:
            return i + 1
    return None


def test_stops_after_window_at_chance_once_it_had_learned(tmp_path):
    learned = [1.3, 1.1, 0.9]
    at_chance = [LN4 * 1.01, LN4 * 0.995] * 5
    assert _feed(CollapseHook(window=10), learned + at_chance, tmp_path) == 13
    # One iteration away from chance restarts the count.
    broken = learned + at_chance[:9] + [1.0] + at_chance
    assert _feed(CollapseHook(window=10), broken, tmp_path) == 23


def test_slow_start_and_hard_task_are_not_collapse(tmp_path):
    # Never clearly below chance yet: a slow start, not a collapse.
    assert _feed(CollapseHook(window=5), [LN4] * 40, tmp_path) is None
    # Learning that hovers near (but not at) chance is not flagged.
    assert _feed(CollapseHook(window=5), [1.2] + [LN4 * 0.95] * 40,
                 tmp_path) is None
    # Disabled, or a model without a classification loss.
    assert _feed(
        CollapseHook(window=5, enable=False), [1.0] + [LN4] * 40,
        tmp_path) is None
    hook = CollapseHook(window=1)
    runner = SimpleNamespace(
        model=_Classifier(4), work_dir=str(tmp_path), iter=0, epoch=0)
    hook.before_train(runner)
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(LN4)))


def test_chance_level_follows_num_classes(tmp_path):
    ln10 = math.log(10)
    assert _feed(
        CollapseHook(window=3), [1.0, ln10, ln10, ln10],
        tmp_path,
        num_classes=10) == 4
    assert _feed(
        CollapseHook(window=3), [1.0, LN4, LN4, LN4], tmp_path,
        num_classes=10) is None


def test_bad_options_are_named():
    with pytest.raises(UserInputError, match='window'):
        CollapseHook(window=0)
    with pytest.raises(UserInputError, match='min_drop'):
        CollapseHook(tolerance=0.2, min_drop=0.1)


@pytest.mark.slow
def test_train_tool_stops_a_collapsed_classifier(tmp_path, demo_root):
    """Through tools/train.py: the tiny classifier learns for 6 iterations,
    then its head is zeroed (logits independent of the input, loss_cls =
    ln 4); the hook stops the run after its window with exit status 4."""
    config = write_config(
        tmp_path, 'collapsing', TINY, '\n'.join([
            "custom_imports = dict(imports=['csdnet_mm', "
            "'collapse_support'], allow_failed_imports=False)",
            'train_cfg = dict(max_iters=40, val_interval=40)',
            'optim_wrapper = dict(optimizer=dict(lr=3e-3))',
            'custom_hooks = [dict(type="ZeroHeadHook", at_iter=6)]',
            'default_hooks = dict(collapse=dict(type="CollapseHook", '
            'window=5, min_drop=0.01, tolerance=0.005))',
        ]))
    data = [
        f'{split}_dataloader.dataset.data_root={demo_root}'
        for split in ('train', 'val', 'test')
    ]
    env = dict(PYTHONPATH=osp.join(REPO_ROOT, 'tests', 'data'))
    result = run_tool([
        PYTHON, 'tools/train.py', config, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *data
    ],
                      env=env)
    assert result.returncode == 4, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert 'error: training collapsed at iteration 11 (epoch 1)' in \
        result.stderr
    assert f'loss={LN4:.4f}' in result.stderr
    assert 'collapse.enable=False' in result.stderr
