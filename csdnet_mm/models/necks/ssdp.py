import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...errors import UserInputError, check_choice


@torch.no_grad()
def normalize_pattern(
        p: torch.Tensor,
        size: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Eq. 1's P-hat: per-image min-max normalised P (B, 1, h, w),
    bilinearly upsampled to ``size``, as (B, H, W) fp32; and each image's
    max - min (B, ), which is 0 for a constant map."""
    p = p.detach().float()
    flat = p.flatten(1)
    low = flat.min(dim=1).values
    spread = flat.max(dim=1).values - low
    normed = (p - low.view(-1, 1, 1, 1)) / (spread.view(-1, 1, 1, 1) + 1e-6)
    up = F.interpolate(
        normed, size=size, mode='bilinear', align_corners=False)[:, 0]
    return up, spread


@MODELS.register_module()
class SSDP(BaseModule):
    """Subcategory-Specific Discrepancy Parsing (CSDNet, instance level).

    A content-aware kernel on the last feature map X (B, C, h, w) gives a
    pattern map P (B, 1, h, w); ``sigma(P)`` re-weights X (training and
    inference), and, without gradient, P is min-max normalised, upsampled
    and binarised (Eq. 1) into a mask that turns the input batch into an
    augmented view (docs/methods/csdnet.md, "SSDP"; every choice below is
    reconstructed and selectable).

    Used as a classifier neck: ``forward`` returns the re-weighted map,
    globally average-pooled when ``pool=True``, so ``extract_feat`` and
    ``predict`` stay MMPretrain's.

    Args:
        in_channels (int): C of the feature map.
        kernel_type (str): ``'dynamic'`` (one k x k kernel per image from
            its global content) or ``'per_location'`` (a softmax k x k
            kernel per location). Defaults to ``'dynamic'``.
        kernel_size (int): k. Defaults to 3.
        hidden_ratio (int): r of the dynamic kernel generator (C -> C/r).
            Defaults to 16.
        reduce_channels (int, optional): C_b, channel reduction before the
            kernel; None keeps C. Defaults to 64.
        reweight (str): ``'product'`` (X * sigma(P)), ``'residual'``
            (X * (1 + sigma(P))) or ``'none'`` (X unchanged: P only places
            the view; a control, with ``box_placement='random'`` the stock
            classifier with a random crop-and-zoom second view).
            Defaults to ``'product'``.
        pattern_norm (str): ``'standardize'`` (per image, P minus its
            spatial mean over its spatial std, before the sigmoid) or
            ``'none'`` (a raw P plus a learned scalar bias, the earlier
            default). Unbounded, a raw P can drive sigma(P) to 0 at every
            location at once: the features are switched off, sigma' = 0
            there, so no gradient ever reaches the kernel or the backbone
            again and the classifier stays at chance (seen with ImageNet
            MobileNetV2 at lr 0.03 and the 10x neck multiplier, see
            docs/methods/csdnet.md). Standardised, sigma(P) re-weights
            locations relative to each other and cannot go to 0 everywhere;
            Eq. 1's min-max mask is unchanged by it.
            Defaults to ``'standardize'``.
        threshold (str): ``'mean'`` (per-image mean of the normalised map),
            ``'fixed'`` or ``'random'``. Defaults to ``'mean'``.
        fixed_threshold (float): theta_c of ``'fixed'``. Defaults to 0.5.
        random_threshold (tuple): range of ``'random'``.
            Defaults to (0.4, 0.6).
        view_mode (str): ``'crop_zoom'`` (crop the mask's bounding box and
            resize it to the input size), ``'keep'`` (outside -> 0, the mean
            colour after normalisation) or ``'erase'`` (region -> 0).
            Defaults to ``'crop_zoom'``.
        box_placement (str): ``'pattern'`` (the mask's box) or
            ``'random'`` (a box of the same size at a uniformly random
            place: the control that tells a learned region from a random
            crop-and-zoom of the same zoom). Defaults to ``'pattern'``.
        box_padding (float): Box padding, fraction of H / W. Defaults to 0.
        min_box_frac (float): Minimum box side, fraction of H / W.
            Defaults to 0.25.
        pool (bool): Global-average-pool the output. Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    KERNEL_TYPES = ('dynamic', 'per_location')
    REWEIGHTS = ('product', 'residual', 'none')
    PATTERN_NORMS = ('standardize', 'none')
    THRESHOLDS = ('mean', 'fixed', 'random')
    VIEW_MODES = ('crop_zoom', 'keep', 'erase')
    BOX_PLACEMENTS = ('pattern', 'random')

    def __init__(self,
                 in_channels: int,
                 kernel_type: str = 'dynamic',
                 kernel_size: int = 3,
                 hidden_ratio: int = 16,
                 reduce_channels: Optional[int] = 64,
                 reweight: str = 'product',
                 pattern_norm: str = 'standardize',
                 threshold: str = 'mean',
                 fixed_threshold: float = 0.5,
                 random_threshold: Tuple[float, float] = (0.4, 0.6),
                 view_mode: str = 'crop_zoom',
                 box_placement: str = 'pattern',
                 box_padding: float = 0.0,
                 min_box_frac: float = 0.25,
                 pool: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_choice('SSDP', 'kernel_type', kernel_type, self.KERNEL_TYPES)
        check_choice('SSDP', 'reweight', reweight, self.REWEIGHTS)
        check_choice('SSDP', 'pattern_norm', pattern_norm, self.PATTERN_NORMS)
        check_choice('SSDP', 'threshold', threshold, self.THRESHOLDS)
        check_choice('SSDP', 'view_mode', view_mode, self.VIEW_MODES)
        check_choice('SSDP', 'box_placement', box_placement,
                     self.BOX_PLACEMENTS)
        if box_placement == 'random' and view_mode != 'crop_zoom':
            raise UserInputError(
                "SSDP: box_placement='random' needs view_mode='crop_zoom' "
                f'(got {view_mode!r}): only a box can be moved.')
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise UserInputError(
                f'SSDP: kernel_size={kernel_size} must be a positive odd '
                'number (the pattern map keeps the feature-map size).')
        lo, hi = random_threshold
        if not 0 <= lo <= hi <= 1:
            raise UserInputError(
                f'SSDP: random_threshold={random_threshold} must satisfy '
                '0 <= low <= high <= 1.')
        self.kernel_type = kernel_type
        self.kernel_size = kernel_size
        self.reweight_mode = reweight
        self.pattern_norm = pattern_norm
        self.threshold = threshold
        self.fixed_threshold = fixed_threshold
        self.random_threshold = (lo, hi)
        self.view_mode = view_mode
        self.box_placement = box_placement
        self.box_padding = box_padding
        self.min_box_frac = min_box_frac
        self.pool = pool

        reduced = reduce_channels or in_channels
        self.reduce = (
            nn.Conv2d(in_channels, reduced, 1)
            if reduce_channels else nn.Identity())
        k2 = kernel_size * kernel_size
        if kernel_type == 'dynamic':
            hidden = max(in_channels // hidden_ratio, 1)
            self.kernel_generator = nn.Sequential(
                nn.Linear(in_channels, hidden), nn.ReLU(inplace=True),
                nn.Linear(hidden, reduced * k2))
            # Keeps sigma(P) away from saturation at initialisation.
            self.scale = 1.0 / math.sqrt(reduced * k2)
        else:
            self.kernel_encoder = nn.Conv2d(reduced, k2, 3, padding=1)
            self.score = nn.Conv2d(in_channels, 1, 1)
        # A global shift of P is what saturates sigma(P) everywhere; the
        # standardised map has none to learn.
        self.pattern_bias = (
            nn.Parameter(torch.zeros(1)) if pattern_norm == 'none' else None)

    # --- pattern map and re-weighting (differentiable) -------------------

    def pattern_map(self, x: torch.Tensor) -> torch.Tensor:
        """P (B, 1, h, w) of a feature map X (B, C, h, w)."""
        p = self._raw_pattern_map(x)
        if self.pattern_bias is not None:
            return p + self.pattern_bias
        flat = p.float().flatten(1)
        mean = flat.mean(dim=1).view(-1, 1, 1, 1)
        std = flat.std(dim=1, unbiased=False).view(-1, 1, 1, 1)
        return ((p.float() - mean) / (std + 1e-5)).to(p.dtype)

    def _raw_pattern_map(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        k = self.kernel_size
        if self.kernel_type == 'dynamic':
            reduced = self.reduce(x)
            kernels = self.kernel_generator(x.mean(dim=(2, 3)))
            kernels = kernels.view(b, -1, k, k)
            # One grouped convolution applies each image's own kernel.
            p = F.conv2d(
                reduced.reshape(1, -1, h, w),
                kernels,
                padding=k // 2,
                groups=b).view(b, 1, h, w)
            return p * self.scale
        weights = self.kernel_encoder(self.reduce(x)).softmax(dim=1)
        neighbours = F.unfold(self.score(x), k, padding=k // 2)
        p = (weights.flatten(2) * neighbours).sum(dim=1)
        return p.view(b, 1, h, w)

    def reweight(self, x: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        if self.reweight_mode == 'none':
            return x
        gate = torch.sigmoid(p)
        if self.reweight_mode == 'residual':
            gate = 1 + gate
        return x * gate

    def forward_with_pattern(
        self, inputs: Union[torch.Tensor, Tuple[torch.Tensor]]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(pooled or map features, P) -- one pass for CSDNet's loss."""
        x = inputs[-1] if isinstance(inputs, (tuple, list)) else inputs
        p = self.pattern_map(x)
        out = self.reweight(x, p)
        if self.pool:
            out = out.mean(dim=(2, 3))
        return out, p

    def forward(
        self, inputs: Union[torch.Tensor,
                            Tuple[torch.Tensor]]) -> Tuple[torch.Tensor]:
        return (self.forward_with_pattern(inputs)[0], )

    # --- Eq. 1 and the augmented view (no gradient) ----------------------

    @torch.no_grad()
    def make_mask(self, p: torch.Tensor, size: Tuple[int,
                                                     int]) -> torch.Tensor:
        """Binary mask (B, H, W) from P: min-max, upsample, threshold."""
        up, spread = normalize_pattern(p, size)
        b = up.shape[0]
        if self.threshold == 'mean':
            theta = up.mean(dim=(1, 2))
        elif self.threshold == 'fixed':
            theta = up.new_full((b, ), self.fixed_threshold)
        else:
            lo, hi = self.random_threshold
            theta = torch.empty(b, device=up.device).uniform_(lo, hi)
        mask = up >= theta.view(-1, 1, 1)
        # A constant map normalises to 0 everywhere: no pattern, no region.
        mask &= spread.view(-1, 1, 1) > 1e-6
        return mask

    @torch.no_grad()
    def mask_to_boxes(self, mask: torch.Tensor) -> torch.Tensor:
        """Boxes (B, 4) as (x0, y0, x1, y1) in pixels, end-exclusive:
        the mask's tight box, padded, grown to the minimum side, clipped."""
        _, height, width = mask.shape
        boxes = []
        for axis, size in ((1, width), (2, height)):
            hit = mask.any(dim=axis).float()
            first = hit.argmax(dim=1).float()
            last = size - hit.flip(1).argmax(dim=1).float()
            pad = self.box_padding * size
            first, last = first - pad, last + pad
            min_side = self.min_box_frac * size
            grow = (min_side - (last - first)).clamp(min=0) / 2
            first, last = first - grow, last + grow
            # Shift a box that leaves the image back inside, then clip.
            shift = (-first).clamp(min=0) - (last - size).clamp(min=0)
            first = (first + shift).clamp(0, size)
            last = (last + shift).clamp(0, size)
            boxes.append((first, last))
        (x0, x1), (y0, y1) = boxes
        return torch.stack([x0, y0, x1, y1], dim=1)

    @staticmethod
    @torch.no_grad()
    def place_randomly(boxes: torch.Tensor, size: Tuple[int,
                                                        int]) -> torch.Tensor:
        """The same boxes (B, 4) moved to uniformly random places inside
        an image of ``size`` (W, H)."""
        sides = boxes[:, 2:] - boxes[:, :2]
        room = boxes.new_tensor(size) - sides
        first = torch.rand_like(room) * room.clamp(min=0)
        return torch.cat([first, first + sides], dim=1)

    @torch.no_grad()
    def make_view(self,
                  images: torch.Tensor,
                  p: torch.Tensor,
                  return_mask: bool = False) -> Tuple:
        """The augmented view I' of a normalised batch and its statistics
        (and the Eq. 1 mask it came from, with ``return_mask``).

        Degenerate masks (empty or full) give the identity view.
        """
        images = images.detach()
        b, _, height, width = images.shape
        mask = self.make_mask(p, (height, width))
        area = mask.flatten(1).float().mean(dim=1)
        degenerate = (area == 0) | (area == 1)
        stats = dict(
            mask_area=area.mean(), ssdp_degenerate=degenerate.float().mean())
        keep_raw = degenerate.view(-1, 1, 1, 1)
        if self.view_mode == 'keep':
            view = images * mask[:, None]
        elif self.view_mode == 'erase':
            view = images * ~mask[:, None]
        else:
            boxes = self.mask_to_boxes(mask)
            if self.box_placement == 'random':
                boxes = self.place_randomly(boxes, (width, height))
            x0, y0, x1, y1 = boxes.unbind(dim=1)
            theta = images.new_zeros(b, 2, 3)
            theta[:, 0, 0] = (x1 - x0) / width
            theta[:, 1, 1] = (y1 - y0) / height
            theta[:, 0, 2] = (x0 + x1) / width - 1
            theta[:, 1, 2] = (y0 + y1) / height - 1
            grid = F.affine_grid(
                theta, list(images.shape), align_corners=False)
            view = F.grid_sample(
                images,
                grid,
                mode='bilinear',
                padding_mode='border',
                align_corners=False)
            box_area = (x1 - x0) * (y1 - y0) / (width * height)
            stats['box_area'] = torch.where(degenerate, 1.0, box_area).mean()
        view = torch.where(keep_raw, images, view)
        if return_mask:
            return view, stats, mask
        return view, stats
