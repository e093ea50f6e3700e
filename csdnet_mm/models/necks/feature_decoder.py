from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...errors import UserInputError, check_choice


@MODELS.register_module()
class FeatureDecoder(BaseModule):
    """Decodes a pooled feature vector into an image (SynthPairs D).

    Linear(C -> c0*s0*s0) + BN + ReLU, reshaped to c0 x s0 x s0 with
    ``s0 = out_size / 2**num_upsample``; then ``num_upsample`` x2 blocks
    ConvTranspose2d(k4, s2, p1) + BN + ReLU whose channels halve (not below
    ``min_channels``); then Conv3x3 to 3 channels. With the defaults
    (2048-d input, 224 px, c0 = 512, 5 blocks) it has 54.25 M parameters
    (docs/methods/synthpairs.md, "Stage 1: decoder pre-training"). The
    output lives in the data preprocessor's
    normalised space (``output_act='none'``) or in [0, 1]
    (``output_act='sigmoid'``; the algorithm maps it to the normalised
    space before the encoder sees it).

    Args:
        in_channels (int): C of the feature vector. Defaults to 2048.
        out_size (int): Side of the square output image. Defaults to 224.
        base_channels (int): c0. Defaults to 512.
        num_upsample (int): Number of x2 blocks. Defaults to 5.
        min_channels (int): Channel floor of the blocks. Defaults to 16.
        out_channels (int): Image channels. Defaults to 3.
        output_act (str): ``'none'`` or ``'sigmoid'``. Defaults to 'none'.
        norm_cfg (dict): Norm layer of the blocks. Defaults to BN.
        init_cfg (dict, optional): Initialisation config, e.g. a stage-1
            checkpoint with ``prefix='decoder.'``.
    """

    OUTPUT_ACTS = ('none', 'sigmoid')

    def __init__(self,
                 in_channels: int = 2048,
                 out_size: int = 224,
                 base_channels: int = 512,
                 num_upsample: int = 5,
                 min_channels: int = 16,
                 out_channels: int = 3,
                 output_act: str = 'none',
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        check_choice('FeatureDecoder', 'output_act', output_act,
                     self.OUTPUT_ACTS)
        start_size = out_size // 2**num_upsample
        if num_upsample < 0 or start_size < 1 or \
                start_size * 2**num_upsample != out_size:
            raise UserInputError(
                f'FeatureDecoder: out_size={out_size} must be a multiple of '
                f'2**num_upsample = {2**max(num_upsample, 0)}; pick '
                'num_upsample so that out_size / 2**num_upsample is a whole '
                'number >= 1 (e.g. 224 px -> 5, 64 px -> 3).')
        self.in_channels = in_channels
        self.out_size = out_size
        self.start_size = start_size
        self.base_channels = base_channels
        self.output_act = output_act

        self.fc = nn.Linear(in_channels, base_channels * start_size**2)
        self.fc_norm = nn.BatchNorm1d(base_channels * start_size**2)
        blocks = []
        channels = base_channels
        for _ in range(num_upsample):
            next_channels = max(channels // 2, min_channels)
            blocks += [
                nn.ConvTranspose2d(
                    channels,
                    next_channels,
                    4,
                    stride=2,
                    padding=1,
                    bias=False),
                build_norm_layer(norm_cfg, next_channels)[1],
                nn.ReLU(inplace=True),
            ]
            channels = next_channels
        self.blocks = nn.Sequential(*blocks)
        self.to_image = nn.Conv2d(channels, out_channels, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, C) or (N, C, 1, 1) -> (N, out_channels, out_size, out_size).
        """
        x = torch.relu(self.fc_norm(self.fc(z.flatten(1))))
        x = x.view(
            len(z), self.base_channels, self.start_size, self.start_size)
        x = self.to_image(self.blocks(x))
        if self.output_act == 'sigmoid':
            x = torch.sigmoid(x)
        return x
