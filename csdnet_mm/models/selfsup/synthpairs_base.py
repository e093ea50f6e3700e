from contextlib import contextmanager, nullcontext
from itertools import chain
from typing import (Callable, ContextManager, Dict, Iterator, List, Optional,
                    Sequence, Tuple)

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ...errors import UserInputError, check_choice
from ..utils import preserved_bn_stats


def pool_features(feats: Sequence[torch.Tensor]) -> torch.Tensor:
    """Global-average-pool the backbone's last output to (N, C)."""
    x = feats[-1] if isinstance(feats, (tuple, list)) else feats
    return x.mean(dim=(2, 3)) if x.dim() == 4 else x.flatten(1)


@contextmanager
def module_hooks(modules: Sequence[nn.Module],
                 pre: Optional[Callable] = None,
                 post: Optional[Callable] = None) -> Iterator[None]:
    """Register forward (pre-)hooks on ``modules`` for the block only."""
    handles = []
    try:
        for module in modules:
            if pre is not None:
                handles.append(module.register_forward_pre_hook(pre))
            if post is not None:
                handles.append(module.register_forward_hook(post))
        yield
    finally:
        for handle in handles:
            handle.remove()


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

    def _init_synthpairs(self,
                         decoder: dict,
                         perturbation: dict,
                         gen_loss: dict,
                         rec_weight: float,
                         gen_weight: float,
                         gen_grad_to_decoder: bool,
                         gen_source: str,
                         detach_clean_generated: bool = False) -> None:
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
        self.detach_clean_generated = detach_clean_generated

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
        return self.gen_loss(*self.embed_generated_pair(gen_a, gen_b))

    def embed_generated_pair(
            self, gen_a: torch.Tensor,
            gen_b: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """g(f(.)) of both halves of the generated pairs, (N, d) each."""
        if self.detach_clean_generated:
            return self._embed_pair_clean_constant(gen_a, gen_b)
        # One backbone pass over both halves: BN sees the 2N generated
        # images as one batch, like the set B_hat of Eq. 7.
        emb_a, emb_b = self.embed(torch.cat([gen_a, gen_b])).chunk(2)
        return emb_a, emb_b

    def _embed_pair_clean_constant(
            self, gen_a: torch.Tensor,
            gen_b: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The joint pass of :meth:`embed_generated_pair` with the D(z)
        half as a constant: the same values, gradient through D(z') only.

        Only train-mode BN mixes the rows of a batch, so the 2N joint pass
        is split in two: (1) the joint pass without gradient, which gives
        D(z)'s embeddings, keeps D(z)'s rows of every BN input and moves
        the running statistics once, as the joint pass does; (2) D(z')
        alone with gradient, each BN normalising [kept D(z) rows; D(z')
        rows], i.e. the same 2N batch. The convolutions and linear layers
        of pass 2 see N images, so their backward and saved activations
        are half the joint pass's.
        """
        n = len(gen_a)
        coupled = [
            m for m in chain(self.backbone.modules(), self.neck.modules())
            if isinstance(m, _BatchNorm) and m.training
        ]
        if not coupled:
            # Nothing mixes the rows: D(z) alone gives the same values.
            with torch.no_grad():
                emb_a = self.embed(gen_a)
            return emb_a, self.embed(gen_b)

        clean_rows: Dict[nn.Module, List[torch.Tensor]] = {
            m: []
            for m in coupled
        }

        def keep_clean_rows(module: nn.Module, args: tuple) -> None:
            # A copy: a view would keep the whole 2N input alive.
            clean_rows[module].append(args[0][:n].clone())

        def prepend_clean_rows(module: nn.Module, args: tuple) -> tuple:
            rows = clean_rows[module].pop(0)
            return (torch.cat([rows, args[0]]), ) + tuple(args[1:])

        def drop_clean_rows(module: nn.Module, args: tuple,
                            output: torch.Tensor) -> torch.Tensor:
            # A copy: the next layers save their input for the backward,
            # and a view would keep D(z)'s rows of the output alive too.
            return output[n:].clone()

        with module_hooks(coupled, pre=keep_clean_rows), torch.no_grad():
            emb_a = self.embed(torch.cat([gen_a, gen_b]))[:n]
        # Pass 1 already moved the running statistics; pass 2 must not
        # move them a second time.
        with module_hooks(coupled, pre=prepend_clean_rows,
                          post=drop_clean_rows), \
                preserved_bn_stats(*coupled):
            emb_b = self.embed(gen_b)
        return emb_a, emb_b

    def synthpairs_loss(
        self, clean: torch.Tensor, gradcam_loss: Callable[[torch.Tensor],
                                                          torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """L_rec and L_gen (weighted) plus statistics for the log."""
        self.check_clean_size(clean)
        z = pool_features(self.backbone(clean))
        recon = self.decode(z)
        losses = dict(loss_rec=self.rec_weight *
                      self.reconstruction_loss(recon, clean))

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
                images=clean.detach(),
                recon=gen_a.detach(),
                perturbed=gen_b.detach())
        losses.update(stats)
        return losses

    def _generate_pair(
            self, z: torch.Tensor, z_perturbed: torch.Tensor,
            recon: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        # With detach_clean_generated, D(z) is a constant of L_gen, so
        # decoding it with gradient would only waste the backward.
        grad_a = self.gen_grad_to_decoder and not self.detach_clean_generated
        if self.gen_source == 'reuse':
            gen_a = recon.detach()
        else:
            with torch.set_grad_enabled(grad_a):
                gen_a = self.decode(z.detach())
        with torch.set_grad_enabled(self.gen_grad_to_decoder):
            gen_b = self.decode(z_perturbed.to(z.dtype))
        return gen_a, gen_b
