from typing import Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class PooledBatchNormNeck(BaseModule):
    """Global average pooling followed by a BatchNorm1d without affine
    parameters: MAE's linear-probing normalisation (MMPretrain's
    ``ClsBatchNormNeck``) for CNN feature maps.

    Standardising the frozen features makes the linear probe's learning
    rate independent of the encoder's feature scale, which differs by an
    order of magnitude between SSL methods and a random initialisation. At
    test time the BN is a fixed affine map, so classifier and probe stay
    linear in the features.

    Args:
        in_channels (int): Channels of the feature map.
        eps (float): BN's epsilon. Defaults to 1e-6 (as MAE).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 eps: float = 1e-6,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.bn = nn.BatchNorm1d(in_channels, affine=False, eps=eps)

    def forward(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
    ) -> Tuple[torch.Tensor, ...]:
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs, )
        return tuple(self.bn(self.pool(x).flatten(1)) for x in inputs)
