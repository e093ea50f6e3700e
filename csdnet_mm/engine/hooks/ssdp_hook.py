from typing import Optional

import numpy as np
from matplotlib import colormaps
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from ...errors import UserInputError
from ...models.necks import normalize_pattern
from .image_grid import tile_grid, to_rgb_uint8
from .model_visuals_hook import ModelVisualsHook


@HOOKS.register_module()
class SSDPHook(ModelVisualsHook):
    """Drives CSDNet's SSDP augmentation during training.

    Before ``start`` the model trains on the raw view only and alpha / beta
    are scaled by 0 (the memory queue still fills); from ``start`` on the
    augmented view is made every iteration and alpha / beta rise linearly
    to their configured values over ``ramp``. Every schedule value is
    recomputed from ``runner.iter`` before each iteration, so a resumed run
    continues exactly. Every ``vis_interval`` iterations a grid -- raw
    image, pattern map, mask, augmented view, one row per image -- goes to
    ``runner.visualizer.add_image``, i.e. to every configured vis backend
    (local files, TensorBoard, ...).

    Args:
        start (int): When SSDP starts, in ``by_epoch`` units. Defaults to 0.
        ramp (int): Length of the linear alpha / beta ramp after ``start``,
            in ``by_epoch`` units; 0 = full weight at once. Defaults to 0.
        by_epoch (bool): ``start`` and ``ramp`` count epochs (converted with
            the train dataloader's length) instead of iterations.
            Defaults to False.
        vis_interval (int): Draw a grid every this many iterations; 0 turns
            drawing off. Defaults to 100.
        vis_images (int): Images (rows) per grid. Defaults to 4.
        vis_name (str): Image name in the vis backends. Defaults to 'ssdp'.
    """

    priority = 'NORMAL'

    def __init__(self,
                 start: int = 0,
                 ramp: int = 0,
                 by_epoch: bool = False,
                 vis_interval: int = 100,
                 vis_images: int = 4,
                 vis_name: str = 'ssdp'):
        super().__init__(vis_interval, vis_images, vis_name)
        if start < 0 or ramp < 0:
            raise UserInputError(
                f'SSDPHook: start={start} and ramp={ramp} must be >= 0.')
        self.start = start
        self.ramp = ramp
        self.by_epoch = by_epoch

    def before_train(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(model, 'ssdp_active'):
            raise UserInputError(
                'SSDPHook drives a CSDNet model, but the config builds '
                f'{type(model).__name__}. Use '
                "model=dict(type='CSDNet', ...) or remove SSDPHook from "
                'custom_hooks.')

    def _in_iters(self, runner, value: int) -> int:
        if self.by_epoch:
            return value * len(runner.train_dataloader)
        return value

    def schedule(self, runner) -> dict:
        """SSDP switch and alpha / beta scale at the current iteration."""
        start = self._in_iters(runner, self.start)
        ramp = self._in_iters(runner, self.ramp)
        done = runner.iter - start
        if done < 0:
            scale = 0.0
        elif ramp == 0:
            scale = 1.0
        else:
            scale = min(1.0, (done + 1) / ramp)
        return dict(ssdp_active=done >= 0, scale=scale)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        model = get_ori_model(runner.model)
        state = self.schedule(runner)
        model.ssdp_active = state['ssdp_active']
        model.qc_scale = model.ssdt_scale = state['scale']
        model.keep_visuals = (
            state['ssdp_active'] and self.wants_visuals(runner))
        runner.message_hub.update_scalar('train/ssdp_scale', state['scale'])

    def draw_grid(self, visuals: dict, data_preprocessor) -> np.ndarray:
        """RGB uint8 grid (rows: images; columns: raw, pattern map, mask,
        augmented view)."""
        count = min(self.vis_images, len(visuals['images']))
        images = to_rgb_uint8(visuals['images'][:count], data_preprocessor)
        views = to_rgb_uint8(visuals['view'][:count], data_preprocessor)
        size = images.shape[1:3]
        pattern, _ = normalize_pattern(visuals['pattern'][:count], size)
        heat = colormaps['jet'](pattern.cpu().numpy())[..., :3]
        heat = (heat * 255).astype(np.uint8)
        mask = visuals['mask'][:count].cpu().numpy().astype(np.uint8) * 255
        mask = np.repeat(mask[..., None], 3, axis=-1)
        return tile_grid([images, heat, mask, views])
