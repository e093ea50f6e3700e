from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmpretrain.models.selfsup import MoCo
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...errors import UserInputError, check_choice
from .synthpairs_base import SynthPairsMixin, split_views


@MODELS.register_module()
class SynthPairsMoCo(SynthPairsMixin, MoCo):
    """MoCo v2 with synthesized pairs (arXiv:2407.14676; see
    docs/methods/synthpairs.md).

    Per iteration: the MoCo loss on two augmented views (L_ssl); the
    reconstruction D(f(x)) of the clean image (L_rec); Grad-CAM scores of
    the MoCo loss with respect to the clean feature vector and low-variance
    dimensions from the feature bank give the noise of a perturbed copy z';
    D(z) and D(z') form a positive pair for L_gen.
    ``L = L_ssl + rec_weight * L_rec + gen_weight * L_gen``. Inputs are
    ``[t(x), t'(x), x_clean]`` (``MultiView(num_views=[2, 1])``). Inference
    (``extract_feat``) is MoCo's: the backbone only.

    Args:
        backbone (dict): Encoder f.
        neck (dict): Projection g (e.g. ``MoCoV2Neck``).
        head (dict): ``ContrastiveHead``.
        decoder (dict): D, e.g. ``FeatureDecoder``; load a stage-1
            checkpoint with ``init_cfg=dict(type='Pretrained',
            checkpoint=..., prefix='decoder.')``.
        perturbation (dict): ``FeaturePerturbation`` options (noise mode,
            sigmas, tau_v, bank size); ``feat_dim`` defaults to the
            decoder's ``in_channels``.
        gen_loss (dict): L_gen. Defaults to ``NTXentLoss`` with tau 0.2.
        rec_weight (float): lambda_rec. Defaults to 1.0.
        gen_weight (float): lambda_gen. Defaults to 0.5.
        gradcam_positive (str): Positive of L_c: this iteration's momentum
            ``'key'`` of the augmented view, or the online ``'query'``
            (detached). Negatives are the queue before enqueueing.
            Defaults to ``'key'``.
        gen_grad_to_decoder (bool): Let L_gen train D too. Defaults to
            False (D follows the encoder through L_rec only).
        gen_source (str): D(z) of the pair: ``'reuse'`` the reconstruction
            (detached) or ``'decode'`` again without gradient; in train
            mode both give the same image. Defaults to ``'reuse'``.
        detach_clean_generated (bool): Treat the D(z) half of the
            generated pair as a constant of L_gen (a stop-gradient): the
            encoder gets L_gen's gradient through D(z') only. The forward
            computation is unchanged (same BN batch of 2N images, same
            losses and running statistics); it saves the backward and the
            saved activations of the encoder's pass over D(z) (and D's
            backward over z with ``gen_grad_to_decoder=True``), at the cost
            of a no-gradient forward over the 2N images. Defaults to False
            (gradient through both halves, as in the paper).
        queue_len (int): MoCo queue length. Defaults to 65536.
        feat_dim (int): Projection dimension. Defaults to 128.
        momentum (float): 1 - m of the key encoder. Defaults to 0.001.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    GRADCAM_POSITIVES = ('key', 'query')

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 decoder: dict,
                 perturbation: dict = dict(type='FeaturePerturbation'),
                 gen_loss: dict = dict(type='NTXentLoss', temperature=0.2),
                 rec_weight: float = 1.0,
                 gen_weight: float = 0.5,
                 gradcam_positive: str = 'key',
                 gen_grad_to_decoder: bool = False,
                 gen_source: str = 'reuse',
                 detach_clean_generated: bool = False,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        check_choice(
            type(self).__name__, 'gradcam_positive', gradcam_positive,
            self.GRADCAM_POSITIVES)
        self.gradcam_positive = gradcam_positive
        self._init_synthpairs(decoder, perturbation, gen_loss, rec_weight,
                              gen_weight, gen_grad_to_decoder, gen_source,
                              detach_clean_generated)

    def _dequeue_and_enqueue(self, keys: torch.Tensor) -> None:
        # MoCo only asserts this; say which option to change instead.
        global_batch = len(keys) * get_world_size()
        if self.queue_len % global_batch:
            fitting = -(-self.queue_len // global_batch) * global_batch
            raise UserInputError(
                f'{type(self).__name__}: queue_len={self.queue_len} must be '
                f'a multiple of the global batch {global_batch} ('
                f'{len(keys)} per rank x {get_world_size()} ranks), e.g. '
                f'model.queue_len={fitting}; keep drop_last=True in the '
                'train loader so every batch is full.')
        super()._dequeue_and_enqueue(keys)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k, clean = split_views(inputs, type(self).__name__, 3)
        q = F.normalize(self.neck(self.backbone(im_q))[0], dim=1)
        with torch.no_grad():
            self.encoder_k.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
            k = F.normalize(self.encoder_k(im_k)[0], dim=1)
            k = batch_unshuffle_ddp(k, idx_unshuffle)

        queue = self.queue.clone().detach()
        loss_ssl = self.head.loss(
            torch.einsum('nc,nc->n', [q, k]).unsqueeze(-1),
            torch.einsum('nc,ck->nk', [q, queue]))

        positive = k if self.gradcam_positive == 'key' else q.detach()

        def gradcam_loss(z_leaf: torch.Tensor) -> torch.Tensor:
            q_clean = F.normalize(self.project_vector(z_leaf), dim=1)
            return self.head.loss(
                torch.einsum('nc,nc->n', [q_clean, positive]).unsqueeze(-1),
                torch.einsum('nc,ck->nk', [q_clean, queue]))

        losses = dict(loss_ssl=loss_ssl)
        losses.update(self.synthpairs_loss(clean, gradcam_loss))
        self._dequeue_and_enqueue(k)
        return losses
