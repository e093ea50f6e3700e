from typing import Optional

import numpy as np
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from ...errors import UserInputError
from .image_grid import tile_grid, to_rgb_uint8
from .model_visuals_hook import ModelVisualsHook


@HOOKS.register_module()
class GeneratedPairsHook(ModelVisualsHook):
    """Saves grids of SynthPairs' generated pairs during training.

    One row per image: clean image | reconstruction D(z) | perturbed
    reconstruction D(z') (the stage-1 ``DecoderPretrain`` has no third
    column). Grids go to ``runner.visualizer.add_image``; with the local
    backend they land in ``work_dir/<timestamp>/vis_data/vis_image/
    <vis_name>_<iter>.png``.

    Args:
        vis_interval (int): Draw every this many iterations; 0 = never.
            Defaults to 100.
        vis_images (int): Images (rows) per grid. Defaults to 4.
        vis_name (str): Image name in the vis backends.
            Defaults to 'synthpairs'.
    """

    COLUMNS = ('images', 'recon', 'perturbed')

    def __init__(self,
                 vis_interval: int = 100,
                 vis_images: int = 4,
                 vis_name: str = 'synthpairs'):
        super().__init__(vis_interval, vis_images, vis_name)

    def before_train(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(model, 'decoder') or \
                not hasattr(model, 'keep_visuals'):
            raise UserInputError(
                'GeneratedPairsHook draws the images of a SynthPairs model '
                '(SynthPairsMoCo, SynthPairsSimSiam, DecoderPretrain), but '
                f'the config builds {type(model).__name__}. Remove the hook '
                'from custom_hooks or use one of those models.')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        get_ori_model(runner.model).keep_visuals = self.wants_visuals(runner)

    def draw_grid(self, visuals: dict, data_preprocessor) -> np.ndarray:
        """RGB uint8 grid (rows: images; columns: image, reconstruction,
        perturbed reconstruction when present)."""
        count = min(self.vis_images, len(visuals['images']))
        return tile_grid([
            to_rgb_uint8(visuals[name][:count], data_preprocessor)
            for name in self.COLUMNS if name in visuals
        ])
