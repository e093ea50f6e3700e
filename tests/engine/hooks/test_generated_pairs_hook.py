from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import HOOKS, MODELS

from csdnet_mm.engine.hooks import GeneratedPairsHook
from csdnet_mm.errors import UserInputError

init_default_scope('mmpretrain')


class _Model:
    """Just the attributes GeneratedPairsHook drives."""

    def __init__(self):
        self.decoder = object()
        self.keep_visuals = False
        self.last_visuals = None
        self.data_preprocessor = MODELS.build(
            dict(
                type='SelfSupDataPreprocessor',
                mean=[100., 110., 120.],
                std=[50., 60., 70.],
                to_rgb=True))


def _runner(iteration, model):
    added = []
    visualizer = SimpleNamespace(
        add_image=lambda name, image, step: added.append((name, image, step)))
    return SimpleNamespace(
        iter=iteration, model=model, visualizer=visualizer), added


def test_visuals_are_requested_every_interval_only():
    hook = HOOKS.build(dict(type='GeneratedPairsHook', vis_interval=2))
    model = _Model()
    requested = []
    for iteration in range(5):
        runner, _ = _runner(iteration, model)
        hook.before_train_iter(runner, 0)
        requested.append(model.keep_visuals)
    assert requested == [False, True, False, True, False]


def test_non_synthpairs_models_and_bad_values_are_rejected():
    with pytest.raises(UserInputError, match='vis_images=0'):
        GeneratedPairsHook(vis_images=0)
    runner, _ = _runner(0, torch.nn.Linear(2, 2))
    with pytest.raises(UserInputError, match='SynthPairsMoCo'):
        GeneratedPairsHook().before_train(runner)
    GeneratedPairsHook().before_train(_runner(0, _Model())[0])


def test_grid_columns_are_image_recon_perturbed_in_pixels():
    model = _Model()
    pre = model.data_preprocessor
    rgb = torch.randint(0, 256, (3, 3, 8, 8)).float()
    normed = (rgb - pre.mean) / pre.std
    model.last_visuals = dict(
        images=normed, recon=normed.flip(-1), perturbed=normed.flip(-2))
    model.keep_visuals = True
    runner, added = _runner(9, model)
    GeneratedPairsHook(vis_images=2).after_train_iter(runner, 0)
    (name, grid, step), = added
    assert (name, step) == ('synthpairs', 10)
    assert model.keep_visuals is False and model.last_visuals is None
    # Two rows of 8 px cells, three columns, 2 px gaps.
    assert grid.dtype == np.uint8 and grid.shape == (8 * 2 + 2, 8 * 3 + 4, 3)
    raw = rgb[1].permute(1, 2, 0).numpy().astype(np.uint8)
    row = grid[10:18]
    np.testing.assert_array_equal(row[:, :8], raw)
    np.testing.assert_array_equal(row[:, 10:18], raw[:, ::-1])
    np.testing.assert_array_equal(row[:, 20:28], raw[::-1])


def test_stage1_grid_has_two_columns_and_nothing_drawn_without_visuals():
    model = _Model()
    images = torch.zeros(4, 3, 8, 8)
    model.last_visuals = dict(images=images, recon=images)
    runner, added = _runner(0, model)
    hook = GeneratedPairsHook()
    hook.after_train_iter(runner, 0)
    assert added[0][1].shape == (8 * 4 + 2 * 3, 8 * 2 + 2, 3)
    hook.after_train_iter(runner, 0)
    assert len(added) == 1
