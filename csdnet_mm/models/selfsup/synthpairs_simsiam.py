from contextlib import nullcontext
from typing import ContextManager, Dict, List, Optional, Union

import torch
from mmpretrain.models.selfsup import SimSiam
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...errors import check_choice
from ..utils import preserved_bn_stats
from .synthpairs_base import SynthPairsMixin, split_views


@MODELS.register_module()
class SynthPairsSimSiam(SynthPairsMixin, SimSiam):
    """SimSiam with synthesized pairs ("SimSiam + Ours",
    docs/methods/synthpairs.md, "SimSiam variant").

    L_ssl is SimSiam's symmetric negative cosine with stop-gradient. The
    Grad-CAM loss L_c is the SimSiam loss between the clean feature (through
    projector and predictor) and the stop-gradient projection of the first
    augmented view. Inputs are ``[t(x), t'(x), x_clean]``.

    Args:
        backbone (dict): Encoder f.
        neck (dict): Projector (``NonLinearNeck``).
        head (dict): ``LatentPredictHead`` with the predictor.
        decoder (dict): D, e.g. ``FeatureDecoder``.
        perturbation (dict): ``FeaturePerturbation`` options.
        gen_loss (dict): L_gen for ``gen_loss_type='ntxent'``. Defaults to
            ``NTXentLoss`` with tau 0.2.
        gen_loss_type (str): ``'ntxent'`` (Eq. 7 over the 2N generated
            images) or ``'simsiam'`` (the SimSiam loss between x_hat and
            x_hat', which has no negatives). Defaults to ``'ntxent'``.
        rec_weight (float): lambda_rec. Defaults to 1.0.
        gen_weight (float): lambda_gen. Defaults to 0.5.
        keep_bn_stats (bool): Restore the projector's and predictor's BN
            running statistics after the Grad-CAM pass, so that pass does
            not move them. Defaults to True.
        gen_grad_to_decoder (bool): Let L_gen train D too. Defaults to False.
        gen_source (str): ``'reuse'`` or ``'decode'`` (see
            :class:`SynthPairsMoCo`). Defaults to ``'reuse'``.
        detach_clean_generated (bool): Treat the D(z) half of the
            generated pair as a constant of L_gen (a stop-gradient): the
            encoder gets L_gen's gradient through D(z') only. The forward
            computation is unchanged (same BN batch of 2N images, same
            losses and running statistics); it saves the backward and the
            saved activations of the encoder's pass over D(z) (and D's
            backward over z with ``gen_grad_to_decoder=True``), at the cost
            of a no-gradient forward over the 2N images. Defaults to False
            (gradient through both halves, as in the paper).
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    GEN_LOSS_TYPES = ('ntxent', 'simsiam')

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 decoder: dict,
                 perturbation: dict = dict(type='FeaturePerturbation'),
                 gen_loss: dict = dict(type='NTXentLoss', temperature=0.2),
                 gen_loss_type: str = 'ntxent',
                 rec_weight: float = 1.0,
                 gen_weight: float = 0.5,
                 keep_bn_stats: bool = True,
                 gen_grad_to_decoder: bool = False,
                 gen_source: str = 'reuse',
                 detach_clean_generated: bool = False,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        check_choice(
            type(self).__name__, 'gen_loss_type', gen_loss_type,
            self.GEN_LOSS_TYPES)
        self.gen_loss_type = gen_loss_type
        self.keep_bn_stats = keep_bn_stats
        self._init_synthpairs(decoder, perturbation, gen_loss, rec_weight,
                              gen_weight, gen_grad_to_decoder, gen_source,
                              detach_clean_generated)

    def gradcam_context(self) -> ContextManager:
        if self.keep_bn_stats:
            return preserved_bn_stats(self.neck, self.head)
        return nullcontext()

    def latent_loss(self, z: torch.Tensor,
                    target: torch.Tensor) -> torch.Tensor:
        """``LatentPredictHead.loss`` with the cosine in fp32, so the
        normalisations stay exact under fp16/bf16 autocast."""
        pred = self.head.predictor([z])[0]
        return self.head.loss_module(pred.float(), target.detach().float())

    def simsiam_loss(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.latent_loss(z1, z2) + self.latent_loss(z2, z1))

    def generated_pair_loss(self, gen_a: torch.Tensor,
                            gen_b: torch.Tensor) -> torch.Tensor:
        if self.gen_loss_type == 'ntxent':
            return super().generated_pair_loss(gen_a, gen_b)
        return self.simsiam_loss(*self.embed_generated_pair(gen_a, gen_b))

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        view1, view2, clean = split_views(inputs, type(self).__name__, 3)
        z1 = self.embed(view1)
        z2 = self.embed(view2)
        losses = dict(loss_ssl=self.simsiam_loss(z1, z2))

        target = z1.detach()

        def gradcam_loss(z_leaf: torch.Tensor) -> torch.Tensor:
            return self.latent_loss(self.project_vector(z_leaf), target)

        losses.update(self.synthpairs_loss(clean, gradcam_loss))
        return losses
