from contextlib import nullcontext
from typing import Callable, ContextManager, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ...errors import UserInputError, check_choice


def pool_features(feats: Sequence[torch.Tensor]) -> torch.Tensor:
    """Global-average-pool the backbone's last output to (N, C)."""
    x = feats[-1] if isinstance(feats, (tuple, list)) else feats
    return x.mean(dim=(2, 3)) if x.dim() == 4 else x.flatten(1)


def split_views(inputs, owner: str, num_views: int) -> list:
    """Check the MultiView input of a self-supervised algorithm."""
    if not isinstance(inputs, (list, tuple)) or len(inputs) != num_views:
        got = len(inputs) if isinstance(inputs, (list, tuple)) else \
            type(inputs).__name__
        raise UserInputError(
            f'{owner} needs {num_views} views per image (two augmented '
            f'views and the clean image), got {got}. Use '
            "dict(type='MultiView', num_views=[2, 1], transforms=["
            'view_pipeline, clean_pipeline]) in the train pipeline with '
            "data_preprocessor=dict(type='SelfSupDataPreprocessor', ...).")
    return list(inputs)


class DecoderMixin:
    """The decoder D and the reconstruction loss (Eq. 2), shared by the
    stage-1 decoder pre-training and the SynthPairs algorithms."""

    def _init_decoder(self, decoder: dict, rec_weight: float = 1.0) -> None:
        # Built after the SSL algorithm's own modules, so it stays out of
        # MoCo's momentum copy (which wraps backbone + neck only).
        self.decoder = MODELS.build(decoder)
        self.rec_weight = rec_weight
        self.keep_visuals = False
        self.last_visuals: Optional[Dict[str, torch.Tensor]] = None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """D(z) in the data preprocessor's normalised input space."""
        image = self.decoder(z)
        if self.decoder.output_act == 'sigmoid':
            image = image * 255
            preprocessor = self.data_preprocessor
            if getattr(preprocessor, '_enable_normalize', False):
                image = (image - preprocessor.mean) / preprocessor.std
        return image

    def check_clean_size(self, images: torch.Tensor) -> None:
        size = self.decoder.out_size
        if tuple(images.shape[-2:]) != (size, size):
            raise UserInputError(
                f'{type(self).__name__}: the clean images are '
                f'{tuple(images.shape[-2:])} but the decoder makes '
                f'{size}x{size} images. Resize the clean view to '
                f'scale=({size}, {size}) or set decoder.out_size to match.')

    def reconstruction_loss(self, recon: torch.Tensor,
                            target: torch.Tensor) -> torch.Tensor:
        """Eq. 2 as a per-pixel mean, in fp32."""
        return F.mse_loss(recon.float(), target.float())


class SynthPairsMixin(DecoderMixin):
    """SynthPairs' steps on top of an SSL algorithm (steps 2-8 of
    "Data flow of one training step" in docs/methods/synthpairs.md): clean
    features, reconstruction loss, Grad-CAM scores,
    bank push, perturbation, generated pair and its contrastive loss.

    The host class provides ``backbone``, ``neck`` and the Grad-CAM loss
    L_c (a function of a detached feature leaf), and may override
    :meth:`generated_pair_loss`.
    """

    GEN_SOURCES = ('decode', 'reuse')

    def _init_synthpairs(self, decoder: dict, perturbation: dict,
                         gen_loss: dict, rec_weight: float,
                         gen_weight: float, gen_grad_to_decoder: bool,
                         gen_source: str) -> None:
        owner = type(self).__name__
        check_choice(owner, 'gen_source', gen_source, self.GEN_SOURCES)
        if gen_grad_to_decoder and gen_source == 'reuse':
            raise UserInputError(
                f"{owner}: gen_source='reuse' takes D(z) from the "
                'reconstruction branch, which L_gen must not train; use '
                "gen_source='decode' with gen_grad_to_decoder=True.")
        self._init_decoder(decoder, rec_weight)
        perturbation = dict(perturbation)
        perturbation.setdefault('feat_dim', self.decoder.in_channels)
        self.perturbation = MODELS.build(perturbation)
        self.gen_loss = MODELS.build(gen_loss)
        self.gen_weight = gen_weight
        self.gen_grad_to_decoder = gen_grad_to_decoder
        self.gen_source = gen_source

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """g(f(x)) with the online encoder and head, (N, d)."""
        return self.neck(self.backbone(images))[0]

    def project_vector(self, z: torch.Tensor) -> torch.Tensor:
        """g(z) for a pooled feature vector (N, C)."""
        return self.neck((z[:, :, None, None], ))[0]

    def gradcam_context(self) -> ContextManager:
        """Context of the Grad-CAM scoring pass (e.g. to keep BN stats)."""
        return nullcontext()

    def generated_pair_loss(self, gen_a: torch.Tensor,
                            gen_b: torch.Tensor) -> torch.Tensor:
        """L_gen (Eq. 7) over the generated pairs (x_hat, x_hat')."""
        # One backbone pass over both halves: BN sees the 2N generated
        # images as one batch, like the set B_hat of Eq. 7.
        emb_a, emb_b = self.embed(torch.cat([gen_a, gen_b])).chunk(2)
        return self.gen_loss(emb_a, emb_b)

    def synthpairs_loss(
            self, clean: torch.Tensor,
            gradcam_loss: Callable[[torch.Tensor], torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """L_rec and L_gen (weighted) plus statistics for the log."""
        self.check_clean_size(clean)
        z = pool_features(self.backbone(clean))
        recon = self.decode(z)
        losses = dict(
            loss_rec=self.rec_weight * self.reconstruction_loss(recon, clean))

        scores = None
        if self.perturbation.needs_gradcam:
            with self.gradcam_context():
                scores = self.perturbation.gradcam_scores(z, gradcam_loss)
        if self.perturbation.uses_bank:
            self.perturbation.push(z.detach())
        z_perturbed, stats = self.perturbation(z, scores)

        gen_a, gen_b = self._generate_pair(z, z_perturbed, recon)
        losses['loss_gen'] = self.gen_weight * self.generated_pair_loss(
            gen_a, gen_b)
        if self.keep_visuals:
            self.last_visuals = dict(
                images=clean.detach(), recon=gen_a.detach(),
                perturbed=gen_b.detach())
        losses.update(stats)
        return losses

    def _generate_pair(self, z: torch.Tensor, z_perturbed: torch.Tensor,
                       recon: torch.Tensor
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
        with torch.set_grad_enabled(self.gen_grad_to_decoder):
            if self.gen_source == 'reuse':
                gen_a = recon.detach()
            else:
                gen_a = self.decode(z.detach())
            gen_b = self.decode(z_perturbed.to(z.dtype))
        return gen_a, gen_b
