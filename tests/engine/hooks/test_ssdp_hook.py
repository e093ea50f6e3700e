from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmpretrain.registry import HOOKS, MODELS

from csdnet_mm.engine.hooks import SSDPHook
from csdnet_mm.errors import UserInputError

init_default_scope('mmpretrain')


class _Model:
    """Just the attributes SSDPHook drives."""

    def __init__(self):
        self.ssdp_active = True
        self.qc_scale = self.ssdt_scale = 1.0
        self.keep_visuals = False
        self.last_visuals = None


def _runner(iteration, model=None, iters_per_epoch=10):
    return SimpleNamespace(
        iter=iteration,
        model=model or _Model(),
        train_dataloader=[None] * iters_per_epoch,
        message_hub=MessageHub.get_instance('ssdp_hook_test'))


def _state(hook, iteration):
    runner = _runner(iteration)
    hook.before_train_iter(runner, 0)
    model = runner.model
    return model.ssdp_active, model.qc_scale, model.ssdt_scale


def test_default_schedule_is_on_at_full_weight_from_the_start():
    hook = HOOKS.build(dict(type='SSDPHook', vis_interval=0))
    assert _state(hook, 0) == (True, 1.0, 1.0)


def test_start_and_ramp_in_iterations():
    hook = SSDPHook(start=4, ramp=4, vis_interval=0)
    assert _state(hook, 3) == (False, 0.0, 0.0)
    assert _state(hook, 4) == (True, 0.25, 0.25)
    assert _state(hook, 6) == (True, 0.75, 0.75)
    assert _state(hook, 7) == (True, 1.0, 1.0)
    assert _state(hook, 100) == (True, 1.0, 1.0)


def test_start_and_ramp_in_epochs_use_the_loader_length():
    hook = SSDPHook(start=1, ramp=2, by_epoch=True, vis_interval=0)
    assert _state(hook, 9) == (False, 0.0, 0.0)
    # Epoch 1 starts at iteration 10; the ramp spans 20 iterations.
    assert _state(hook, 10) == (True, 0.05, 0.05)
    assert _state(hook, 29) == (True, 1.0, 1.0)


def test_schedule_depends_only_on_the_iteration():
    """A resumed run (fresh hook, restored runner.iter) gets the same state
    as the uninterrupted one."""
    first, second = SSDPHook(start=2, ramp=5), SSDPHook(start=2, ramp=5)
    for iteration in range(12):
        assert _state(first, iteration) == _state(second, iteration)


def test_visuals_are_requested_every_interval_only():
    hook = SSDPHook(vis_interval=3)
    requested = []
    for iteration in range(7):
        runner = _runner(iteration)
        hook.before_train_iter(runner, 0)
        requested.append(runner.model.keep_visuals)
    # every_n_train_iters counts finished iterations (iter + 1).
    assert requested == [False, False, True, False, False, True, False]


def test_bad_values_and_non_csdnet_models_are_rejected():
    with pytest.raises(UserInputError, match='must be >= 0'):
        SSDPHook(start=-1)
    hook = SSDPHook()
    runner = _runner(0, model=torch.nn.Linear(2, 2))
    with pytest.raises(UserInputError, match='CSDNet'):
        hook.before_train(runner)


def test_grid_columns_are_raw_pattern_mask_view():
    preprocessor = MODELS.build(
        dict(
            type='ClsDataPreprocessor',
            mean=[100., 110., 120.],
            std=[50., 60., 70.],
            to_rgb=True))
    rgb = torch.randint(0, 256, (3, 3, 16, 16)).float()
    normed = (rgb - preprocessor.mean) / preprocessor.std
    mask = torch.zeros(3, 16, 16, dtype=torch.bool)
    mask[:, 4:8, 2:10] = True
    visuals = dict(
        images=normed,
        view=normed.flip(-1),
        pattern=torch.randn(3, 1, 4, 4),
        mask=mask)
    grid = SSDPHook(vis_images=2).draw_grid(visuals, preprocessor)
    assert grid.dtype == np.uint8
    # Two rows of 16 px cells, four columns, 2 px gaps.
    assert grid.shape == (16 * 2 + 2, 16 * 4 + 2 * 3, 3)
    raw = rgb[0].permute(1, 2, 0).numpy().astype(np.uint8)
    np.testing.assert_array_equal(grid[:16, :16], raw)
    mask_cell = grid[:16, 2 * 18:2 * 18 + 16, 0]
    np.testing.assert_array_equal(mask_cell, mask[0].numpy() * 255)
    view_cell = grid[:16, 3 * 18:3 * 18 + 16]
    np.testing.assert_array_equal(view_cell, raw[:, ::-1])


def test_grid_reaches_the_visualizer_after_the_iteration():
    preprocessor = MODELS.build(dict(type='ClsDataPreprocessor'))
    model = _Model()
    model.data_preprocessor = preprocessor
    model.last_visuals = dict(
        images=torch.zeros(2, 3, 8, 8),
        view=torch.zeros(2, 3, 8, 8),
        pattern=torch.zeros(2, 1, 2, 2),
        mask=torch.zeros(2, 8, 8, dtype=torch.bool))
    added = []
    runner = _runner(4, model=model)
    runner.visualizer = SimpleNamespace(
        add_image=lambda name, image, step: added.append(
            (name, image.shape, step)))
    SSDPHook().after_train_iter(runner, 0)
    assert added == [('ssdp', (18, 38, 3), 5)]
    assert model.last_visuals is None and not model.keep_visuals
