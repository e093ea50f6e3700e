from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...errors import UserInputError, check_choice, check_holds_global_batch
from .gather import gather_padded


def minmax_normalize(x: torch.Tensor,
                     mask: Optional[torch.Tensor] = None,
                     eps: float = 1e-12) -> torch.Tensor:
    """Min-max normalise the last dimension to [0, 1] (Eq. 4).

    With ``mask``, min and max are taken over the masked entries only (the
    other entries are still mapped, and may leave [0, 1]).
    """
    x = x.float()
    if mask is None or not mask.any():
        low = x.min(dim=-1, keepdim=True).values
        high = x.max(dim=-1, keepdim=True).values
    else:
        low = x.masked_fill(~mask, float('inf')).min(-1, keepdim=True).values
        high = x.masked_fill(~mask, float('-inf')).max(-1, keepdim=True).values
    return (x - low) / (high - low + eps)


@MODELS.register_module()
class FeaturePerturbation(BaseModule):
    """Perturbs non-discriminative feature dimensions (SynthPairs Eq. 3-6).

    Holds the FIFO feature bank M (buffers, so checkpoints and resume carry
    it; every rank pushes the same gathered rows, so the banks stay
    identical without broadcasting) and draws the perturbed copy
    ``z' = z + n_g + n_v`` of a batch of feature vectors:

    - Grad-CAM noise (Eq. 3-5): ``s = ReLU(sign * dL_c/dz [* z])``,
      ``n_g = sigma_g * (1 - minmax(s)) * N(0, I)``: the less a dimension
      helps the SSL loss, the more noise it gets.
    - Low-variance noise (Eq. 6): ``v`` = per-dimension variance over the
      bank, ``v_bar`` its L2-normalised form, ``m = v_bar < var_threshold``,
      ``n_v = sigma_v * (1 - minmax(v_bar)) * m * N(0, I)``; zero until the
      bank holds 2 rows.

    Args:
        feat_dim (int): d, the feature-vector length (2048 for ResNet-50).
        bank_size (int): |M|, rows of the feature bank. Defaults to 4096.
        noise_mode (str): ``'both'`` (the method), ``'gradcam'`` or
            ``'lowvar'`` (one noise only) or ``'random'`` (isotropic noise
            of std ``sigma_random`` on every dimension): the paper's
            ablations. Defaults to ``'both'``.
        sigma_g (float): Grad-CAM noise scale. Defaults to 0.5.
        sigma_v (float): Low-variance noise scale. Defaults to 0.5.
        sigma_random (float, optional): Scale of the ``'random'`` noise;
            None = ``sigma_g``. Defaults to None.
        var_threshold (float): tau_v. Defaults to 0.02.
        gradcam_sign (int): gamma in Eq. 3: -1 scores what lowers the loss,
            +1 what raises it. Defaults to -1.
        gradcam_times_feature (bool): Score = gradient x feature (True) or
            the gradient alone. Defaults to True.
        var_norm (str): ``'vector'`` (L2-normalise the variance vector,
            reading A) or ``'feature'`` (L2-normalise each stored feature
            before taking the variance, reading B). Defaults to
            ``'vector'``.
        var_minmax (str): Min-max of the variances over ``'all'``
            dimensions or over the ``'masked'`` (low-variance) ones.
            Defaults to ``'all'``.
        eps (float): Guard of the min-max normalisations. Defaults to 1e-12.
        init_cfg (dict, optional): Initialisation config.
    """

    NOISE_MODES = ('both', 'gradcam', 'lowvar', 'random')

    def __init__(self,
                 feat_dim: int,
                 bank_size: int = 4096,
                 noise_mode: str = 'both',
                 sigma_g: float = 0.5,
                 sigma_v: float = 0.5,
                 sigma_random: Optional[float] = None,
                 var_threshold: float = 0.02,
                 gradcam_sign: int = -1,
                 gradcam_times_feature: bool = True,
                 var_norm: str = 'vector',
                 var_minmax: str = 'all',
                 eps: float = 1e-12,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        owner = 'FeaturePerturbation'
        check_choice(owner, 'noise_mode', noise_mode, self.NOISE_MODES)
        check_choice(owner, 'gradcam_sign', gradcam_sign, (-1, 1))
        check_choice(owner, 'var_norm', var_norm, ('vector', 'feature'))
        check_choice(owner, 'var_minmax', var_minmax, ('all', 'masked'))
        if bank_size < 2:
            raise UserInputError(
                f'{owner}: bank_size={bank_size} must be >= 2 (a variance '
                'needs two stored features).')
        if min(sigma_g, sigma_v, sigma_random or 0.) < 0:
            raise UserInputError(
                f'{owner}: noise scales must be >= 0, got sigma_g={sigma_g}, '
                f'sigma_v={sigma_v}, sigma_random={sigma_random}.')
        self.feat_dim = feat_dim
        self.bank_size = bank_size
        self.noise_mode = noise_mode
        self.sigma_g = sigma_g
        self.sigma_v = sigma_v
        self.sigma_random = sigma_g if sigma_random is None else sigma_random
        self.var_threshold = var_threshold
        self.gradcam_sign = gradcam_sign
        self.gradcam_times_feature = gradcam_times_feature
        self.var_norm = var_norm
        self.var_minmax = var_minmax
        self.eps = eps
        self.register_buffer('feat_bank', torch.zeros(bank_size, feat_dim))
        self.register_buffer('bank_ptr', torch.zeros(1, dtype=torch.long))
        self.register_buffer('bank_count', torch.zeros(1, dtype=torch.long))

    @property
    def needs_gradcam(self) -> bool:
        return self.noise_mode in ('both', 'gradcam')

    @property
    def uses_bank(self) -> bool:
        return self.noise_mode in ('both', 'lowvar')

    def gradcam_scores(
            self, z: torch.Tensor,
            loss_fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Eq. 3: (N, d) non-negative scores of ``z`` for ``loss_fn``.

        The gradient is taken with respect to a detached leaf copy of ``z``
        only, so no parameter gradient is written (safe under DDP).
        """
        leaf = z.detach().float().requires_grad_(True)
        with torch.enable_grad():
            grad, = torch.autograd.grad(loss_fn(leaf), leaf)
        score = self.gradcam_sign * grad
        if self.gradcam_times_feature:
            score = score * leaf.detach()
        return score.clamp(min=0)

    @torch.no_grad()
    def push(self, z: torch.Tensor) -> None:
        """Store (N, d) features from all ranks, replacing the oldest."""
        valid = torch.ones(len(z), dtype=torch.long, device=z.device)
        feats, valid = gather_padded([z.float(), valid], [0., 0])
        feats = feats[valid.bool()]
        check_holds_global_batch('FeaturePerturbation', 'bank_size',
                                 self.bank_size, len(feats))
        num = len(feats)
        if num == 0:
            return
        ptr = int(self.bank_ptr)
        slots = (ptr + torch.arange(num, device=feats.device)) % \
            self.bank_size
        self.feat_bank[slots] = feats.to(self.feat_bank.dtype)
        self.bank_ptr[0] = (ptr + num) % self.bank_size
        self.bank_count[0] = min(int(self.bank_count) + num, self.bank_size)

    @torch.no_grad()
    def low_variance(self) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """(v_hat, mask) of the bank (Eq. 6 inputs), None below 2 rows."""
        count = int(self.bank_count)
        if count < 2:
            return None
        feats = self.feat_bank[:count].float()
        if self.var_norm == 'feature':
            feats = torch.nn.functional.normalize(feats, dim=1)
            v_bar = feats.var(dim=0, unbiased=False)
        else:
            variance = feats.var(dim=0, unbiased=False)
            v_bar = variance / (variance.norm() + self.eps)
        mask = v_bar < self.var_threshold
        v_hat = minmax_normalize(v_bar,
                                 mask if self.var_minmax == 'masked' else None,
                                 self.eps)
        return v_hat, mask

    @torch.no_grad()
    def forward(
        self,
        z: torch.Tensor,
        scores: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Return ``z'`` (detached, fp32) and statistics for the log.

        Args:
            z (Tensor): (N, d) feature vectors.
            scores (Tensor, optional): (N, d) Grad-CAM scores; required by
                the ``'both'`` and ``'gradcam'`` modes.
        """
        z = z.detach().float()
        noise = torch.zeros_like(z)
        stats = {}
        if self.noise_mode == 'random':
            noise += self.sigma_random * torch.randn_like(z)
        if self.needs_gradcam:
            if scores is None:
                raise ValueError(
                    f'noise_mode={self.noise_mode!r} needs Grad-CAM scores.')
            std_g = self.sigma_g * (1 - minmax_normalize(scores, eps=self.eps))
            noise += std_g * torch.randn_like(z)
            stats['noise_std_g'] = std_g.mean()
        if self.uses_bank:
            low_var = self.low_variance()
            lowvar_frac = z.new_zeros(())
            if low_var is not None:
                v_hat, mask = low_var
                std_v = self.sigma_v * (1 - v_hat).clamp(min=0) * mask
                # Independent of n_g's draw (Eq. 5 and 6 each draw one).
                noise += std_v * torch.randn_like(z)
                lowvar_frac = mask.float().mean()
            stats['lowvar_frac'] = lowvar_frac
            stats['bank_fill'] = z.new_tensor(
                float(self.bank_count) / self.bank_size)
        return z + noise, stats
