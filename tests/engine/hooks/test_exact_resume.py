"""Resumed runs equal uninterrupted ones bit for bit (RNGStateHook, from the
plugin's default_runtime): CSDNet with its memory queue and SynthPairs-MoCo
with its bank, resumed at an epoch boundary (epoch-based loop) and
mid-epoch (iteration-based loop: MMEngine 0.10.7's epoch-based loop
restarts a mid-epoch checkpoint's epoch from its first batch), with the
data pipeline in the main process and in 2 workers. Runs in-process (a few
seconds each) on the tiny test configs."""
import functools
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader

from csdnet_mm.benchmarks.checkpoints import compare_checkpoints
from conftest import REPO_ROOT, write_config

DATA = osp.join(REPO_ROOT, 'tests', 'data')
MODELS = {
    # Validation every epoch / 2 iterations: it runs between the checkpoint
    # and the next batch in the uninterrupted run only.
    'csdnet': ('tiny_csdnet_demo.py', """
custom_hooks = [dict(type='SSDPHook', vis_interval=100)]
val_dataloader = dict(dataset=dict(data_root={root!r}))
"""),
    'synthpairs': ('tiny_synthpairs_mocov2.py', """
model = dict(backbone=dict(init_cfg=None), decoder=dict(init_cfg=None))
custom_hooks = [dict(type='GeneratedPairsHook', vis_interval=100)]
"""),
}
# 16 training images in batches of 4: 4 iterations an epoch.
LOOPS = {
    'epoch_boundary': ("""
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=2,
                 val_interval=1)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
""", 'epoch_1.pth', 'epoch_2.pth'),
    # Resumed at iteration 2 of 4 (MMEngine sleeps 2 s when an
    # iteration-based loop wraps around its data, so the runs stop at 4).
    'mid_epoch': ("""
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4,
                 val_interval=2)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2))
""", 'iter_2.pth', 'iter_4.pth'),
}


def _train(config, work_dir, resume=None):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    if resume is not None:
        cfg.resume, cfg.load_from = True, resume
    Runner.from_cfg(cfg).train()


def _assert_equal_checkpoints(resumed, uninterrupted):
    assert resumed['meta']['iter'] == uninterrupted['meta']['iter']
    # Weights, buffers and the whole optimizer state, leaf by leaf.
    diff = compare_checkpoints(uninterrupted, resumed)
    assert diff.exact, str(diff)


def _resume_matches(tmp_path, root, model, loop, workers, extra=''):
    base, model_body = MODELS[model]
    loop_body, resume_from, last = LOOPS[loop]
    body = (model_body + loop_body + f"""
train_dataloader = dict(dataset=dict(data_root={root!r}),
                        num_workers={workers},
                        persistent_workers={workers > 0 and
                                            loop == 'mid_epoch'})
default_hooks.update(logger=dict(interval=100))
log_level = 'WARNING'
""" + extra).format(root=root)
    # One config name per run: MMEngine names its logger, message hub and
    # visualizer instances after the config and the second.
    full = write_config(tmp_path, 'full', osp.join(DATA, base), body)
    resumed = write_config(tmp_path, 'resumed', osp.join(DATA, base), body)
    _train(full, tmp_path / 'full')
    _train(
        resumed,
        tmp_path / 'resumed',
        resume=str(tmp_path / 'full' / resume_from))
    load = functools.partial(torch.load, map_location='cpu')
    _assert_equal_checkpoints(
        load(str(tmp_path / 'resumed' / last)),
        load(str(tmp_path / 'full' / last)))
    checkpoint = load(str(tmp_path / 'full' / resume_from))
    assert set(checkpoint['rng_state']) >= {'torch', 'numpy', 'python'}


@pytest.mark.slow
@pytest.mark.timeout(1200)  # up to 4.5 min each beside a training
@pytest.mark.parametrize('workers', [0, 2])
@pytest.mark.parametrize('loop', list(LOOPS))
@pytest.mark.parametrize('model', list(MODELS))
def test_resume_is_exact(tmp_path, demo_root, model, loop, workers):
    """Weights, buffers (queue, bank and their pointers) and optimizer
    state of the resumed run equal the uninterrupted run's. Epoch-based
    runs use non-persistent workers (persistent ones cannot be restored,
    see the warning test); the iteration-based ones use persistent workers,
    which the skipped batches replay."""
    _resume_matches(tmp_path, demo_root, model, loop, workers)


@pytest.mark.slow
def test_resume_is_exact_without_a_config_seed(tmp_path, demo_root):
    """randomness.seed=None: the resumed run's sampler uses the checkpoint's
    seed, not the new run's."""
    _resume_matches(
        tmp_path,
        demo_root,
        'csdnet',
        'epoch_boundary',
        0,
        extra='randomness = dict(seed=None)\n')


# --- what cannot be restored is warned about --------------------------------


def _resumed_runner(loop_cls, epoch, iteration, **loader_args):
    from csdnet_mm.engine.hooks import RNGStateHook
    from csdnet_mm.engine.hooks.rng_state_hook import get_rng_state
    loop = object.__new__(loop_cls)
    loop._epoch, loop._iter = epoch, iteration
    loop.dataloader = DataLoader(list(range(16)), batch_size=4, **loader_args)
    runner = SimpleNamespace(
        cfg=dict(randomness=dict(seed=0)), train_loop=loop, seed=0)
    hook = RNGStateHook()
    hook.after_load_checkpoint(runner, dict(rng_state=get_rng_state()))
    return hook, runner


@pytest.fixture
def warnings(monkeypatch):
    from csdnet_mm.engine.hooks import rng_state_hook
    logged = []
    monkeypatch.setattr(
        rng_state_hook,
        'print_log',
        lambda message, logger=None, level=None: logged.append(
            (level, message)))
    return logged


def test_epoch_boundary_with_plain_workers_is_not_warned(warnings):
    from mmengine.runner import EpochBasedTrainLoop
    hook, runner = _resumed_runner(EpochBasedTrainLoop, 1, 4, num_workers=2)
    hook.before_train_epoch(runner)
    assert warnings == []


def test_persistent_workers_in_epoch_loop_are_warned(warnings):
    from mmengine.runner import EpochBasedTrainLoop
    hook, runner = _resumed_runner(
        EpochBasedTrainLoop, 1, 4, num_workers=2, persistent_workers=True)
    hook.before_train_epoch(runner)
    (level, message), = warnings
    assert level == 30 and 'persistent workers' in message
    assert 'not bit-exact' in message


def test_mid_epoch_checkpoint_in_epoch_loop_is_warned(warnings):
    from mmengine.runner import EpochBasedTrainLoop
    hook, runner = _resumed_runner(EpochBasedTrainLoop, 1, 6)
    hook.before_train_epoch(runner)
    (level, message), = warnings
    assert level == 30 and 'saved mid-epoch' in message


def test_disabled_hook_saves_and_restores_nothing():
    from csdnet_mm.engine.hooks import RNGStateHook
    hook, checkpoint = RNGStateHook(enable=False), {}
    hook.before_save_checkpoint(None, checkpoint)
    assert checkpoint == {}
    hook.after_load_checkpoint(None, dict(rng_state={'torch': None}))
    hook.before_train_epoch(None)  # nothing pending: no restore
