from typing import Optional

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from ...errors import UserInputError


class ModelVisualsHook(Hook):
    """Base of hooks that draw tensors a model keeps from its loss pass.

    Before every ``vis_interval``-th iteration (rank 0 only) it sets the
    model's ``keep_visuals``; the model then fills ``last_visuals`` (a dict
    of batched tensors) during ``loss()``, and after the iteration the
    subclass's :meth:`draw_grid` turns them into an RGB image for
    ``runner.visualizer.add_image`` -- every configured vis backend.

    Args:
        vis_interval (int): Draw every this many iterations; 0 = never.
        vis_images (int): Images (rows) per grid.
        vis_name (str): Image name in the vis backends.
    """

    def __init__(self, vis_interval: int, vis_images: int, vis_name: str):
        if vis_interval < 0 or vis_images < 1:
            raise UserInputError(
                f'{type(self).__name__}: vis_interval={vis_interval} must '
                f'be >= 0 and vis_images={vis_images} >= 1.')
        self.vis_interval = vis_interval
        self.vis_images = vis_images
        self.vis_name = vis_name

    def wants_visuals(self, runner) -> bool:
        return (self.vis_interval > 0 and is_main_process()
                and self.every_n_train_iters(runner, self.vis_interval))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        model = get_ori_model(runner.model)
        visuals = model.last_visuals
        model.keep_visuals = False
        model.last_visuals = None
        if visuals is not None:
            grid = self.draw_grid(visuals, model.data_preprocessor)
            runner.visualizer.add_image(
                self.vis_name, grid, step=runner.iter + 1)

    def draw_grid(self, visuals: dict, data_preprocessor) -> np.ndarray:
        raise NotImplementedError
