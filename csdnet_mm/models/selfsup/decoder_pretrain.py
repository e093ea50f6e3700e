from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .synthpairs_base import DecoderMixin, pool_features


@MODELS.register_module()
class DecoderPretrain(DecoderMixin, BaseSelfSupervisor):
    """Stage 1 of SynthPairs: train the decoder D on a frozen encoder.

    ``loss = MSE(D(GAP(f(x))), x)`` on non-augmented images
    (docs/methods/synthpairs.md, "Stage 1: decoder pre-training"). The
    checkpoint's ``decoder.*`` weights feed
    stage 2 through the decoder's ``init_cfg`` (``prefix='decoder.'``) and,
    when the encoder itself is not loaded from elsewhere, its
    ``backbone.*`` weights through ``load_from``.

    Args:
        backbone (dict): The encoder f that stage 2 starts from.
        decoder (dict): D, e.g. ``FeatureDecoder``.
        freeze_backbone (bool): Keep f fixed and its BN layers in eval mode.
            Defaults to True.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 freeze_backbone: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._init_decoder(decoder)
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True) -> 'DecoderPretrain':
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        images = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        self.check_clean_size(images)
        with torch.set_grad_enabled(not self.freeze_backbone):
            z = pool_features(self.backbone(images))
        recon = self.decode(z)
        if self.keep_visuals:
            self.last_visuals = dict(images=images, recon=recon.detach())
        return dict(loss_rec=self.rec_weight *
                    self.reconstruction_loss(recon, images))
