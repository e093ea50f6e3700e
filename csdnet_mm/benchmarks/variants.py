"""The stock classifier, its controls and the CSDNet variants, as edits of
one stock ``ImageClassifier`` config."""
import copy
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config, ConfigDict

from ..errors import UserInputError

# Time-like fields of a param scheduler, in the loop's unit.
_SCHEDULER_TIMES = ('begin', 'end', 'T_max', 'step_size', 'total_iters')


@dataclass(frozen=True)
class Variant:
    """One row of the check.

    Args:
        name: Short name (work-dir and table key).
        label: What the row is, for the table.
        ssdp: Build CSDNet with an SSDP neck (False: the stock classifier).
        view: Train on the SSDP view as well (CE on both views).
        ddl: Add the memory queue and the queue-contrastive loss.
        ssdt: Add the raw -> augmented logit distillation.
        neck_lr_mult: Learning-rate multiplier of the new neck layers.
        epochs_factor: Multiply the schedule's length (a control).
        ssdp_options: Extra SSDP arguments (the random-view control).
        queue_len: DDL queue rows (None: :func:`queue_length`'s rule).
        ssdt_weight: SSDT's loss weight (beta).
        control: A control row (compared with, never recommended as CSDNet).
    """
    name: str
    label: str
    ssdp: bool = False
    view: bool = False
    ddl: bool = False
    ssdt: bool = False
    neck_lr_mult: float = 1.0
    epochs_factor: int = 1
    ssdp_options: Tuple[Tuple[str, object], ...] = ()
    queue_len: Optional[int] = None
    ssdt_weight: float = 1.0
    control: bool = False


STOCK = Variant('stock', 'stock classifier')
STOCK_2X = Variant(
    'stock_2x', 'stock classifier, 2x epochs (as many image '
    'passes as two views)',
    epochs_factor=2,
    control=True)
# Same two passes, same box size, no learned placement and no re-weighting.
RANDOM_VIEW = Variant(
    'random_view',
    'stock classifier + random crop-and-zoom second view',
    ssdp=True,
    view=True,
    control=True,
    ssdp_options=(('reweight', 'none'), ('box_placement', 'random')))


def csdnet_variants(neck_lr_mults=(1.0, 10.0)) -> List[Variant]:
    """SSDP only, + SSDT, + DDL and the full method at each multiplier."""
    rows = []
    for mult in neck_lr_mults:
        suffix = '' if mult == 1 else f'_neck{mult:g}x'
        note = '' if mult == 1 else f', new layers x{mult:g} lr'
        for name, label, ddl, ssdt in (('ssdp', 'SSDP (re-weighting + view)',
                                        False, False),
                                       ('ssdp_ssdt', 'SSDP + SSDT', False,
                                        True), ('ssdp_ddl', 'SSDP + DDL', True,
                                                False),
                                       ('full', 'CSDNet (SSDP + DDL + SSDT)',
                                        True, True)):
            rows.append(
                Variant(
                    name + suffix,
                    label + note,
                    ssdp=True,
                    view=True,
                    ddl=ddl,
                    ssdt=ssdt,
                    neck_lr_mult=mult))
    return rows


def default_variants() -> List[Variant]:
    return [STOCK, STOCK_2X, RANDOM_VIEW] + csdnet_variants()


# Rows the check runs only when asked: other values of the defaults.
_FULL = dict(ssdp=True, view=True, ddl=True, ssdt=True)
EXTRA_VARIANTS = [
    Variant(
        'full_queue1024',
        'CSDNet, queue of 1024 rows',
        queue_len=1024,
        **_FULL),
    Variant(
        'full_ssdt0.5', 'CSDNet, SSDT weight 0.5', ssdt_weight=0.5, **_FULL),
    Variant('full_ssdt2', 'CSDNet, SSDT weight 2', ssdt_weight=2.0, **_FULL),
    Variant(
        'full_box0.5',
        'CSDNet, view box at least half of each side',
        ssdp_options=(('min_box_frac', 0.5), ),
        **_FULL),
]


def all_variants() -> List[Variant]:
    return default_variants() + EXTRA_VARIANTS


def scale_schedule(cfg: Config, factor: float) -> None:
    """Make the training ``factor`` times as long, the param schedulers
    stretched with it (epoch- or iteration-based alike)."""
    if factor == 1:
        return
    loop = cfg.train_cfg
    key = 'max_epochs' if 'max_epochs' in loop else 'max_iters'
    if key not in loop:
        raise UserInputError(
            'the config\'s train_cfg has neither max_epochs nor max_iters; '
            'the check needs a length it can scale')
    loop[key] = int(round(loop[key] * factor))
    if 'val_interval' in loop:
        loop['val_interval'] = int(round(loop['val_interval'] * factor))
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for scheduler in schedulers:
        for name in _SCHEDULER_TIMES:
            if isinstance(scheduler.get(name), (int, float)):
                scheduler[name] = type(scheduler[name])(
                    round(scheduler[name] * factor))
        if 'milestones' in scheduler:
            scheduler['milestones'] = [
                int(round(m * factor)) for m in scheduler['milestones']
            ]


def set_epochs(cfg: Config, epochs: int) -> None:
    """Set an epoch-based config's length (schedulers scaled with it)."""
    loop = cfg.train_cfg
    if 'max_epochs' not in loop:
        raise UserInputError('--epochs needs an epoch-based train_cfg '
                             '(max_epochs); this config has '
                             f'{dict(loop)}')
    factor = epochs / loop['max_epochs']
    scale_schedule(cfg, factor)
    loop['max_epochs'] = epochs


def queue_length(train_images: int,
                 batch_size: int,
                 views: int = 2,
                 cap: int = 1024) -> int:
    """The queue holds at most one epoch of features (older rows come from
    an earlier model and, with few images, repeat the same images), and at
    least one step's rows (it takes them all at once); CSDNet stores
    ``views`` rows per image (both views by default)."""
    return max(views * batch_size, min(cap, views * train_images))


@dataclass
class CSDNetParts:
    """What the variants need to know about the stock config's model."""
    in_channels: int
    train_images: int
    batch_size: int
    queue_cap: int = 1024
    hook: Dict = field(
        default_factory=lambda: dict(type='SSDPHook', vis_interval=0))


def apply_variant(cfg: Config, variant: Variant,
                  parts: Optional[CSDNetParts]) -> Config:
    """A copy of the stock ``cfg`` turned into ``variant``."""
    cfg = copy.deepcopy(cfg)
    scale_schedule(cfg, variant.epochs_factor)
    if not variant.ssdp:
        return cfg
    imports = cfg.get('custom_imports') or ConfigDict(
        imports=[], allow_failed_imports=False)
    if 'csdnet_mm' not in imports['imports']:
        imports['imports'] = list(imports['imports']) + ['csdnet_mm']
    cfg.custom_imports = imports
    model = cfg.model
    model['type'] = 'CSDNet'
    model['neck'] = ConfigDict(
        type='SSDP',
        in_channels=parts.in_channels,
        **dict(variant.ssdp_options))
    if variant.ddl:
        model['queue_neck'] = ConfigDict(
            type='MemoryQueueNeck',
            in_channels=parts.in_channels,
            queue_len=variant.queue_len or queue_length(
                parts.train_images, parts.batch_size, cap=parts.queue_cap))
        model['qc_loss'] = ConfigDict(type='QueueContrastiveLoss')
    if variant.ssdt:
        model['ssdt_loss'] = ConfigDict(type='SSDTLoss')
        if variant.ssdt_weight != 1:
            model['ssdt_loss']['loss_weight'] = variant.ssdt_weight
    hook = dict(parts.hook)
    if not variant.view:  # the view never starts
        hook['start'] = 10**9
    hooks = [
        h for h in (cfg.get('custom_hooks') or [])
        if h.get('type') != 'SSDPHook'
    ]
    cfg.custom_hooks = hooks + [ConfigDict(hook)]
    if variant.neck_lr_mult != 1:
        wrapper = cfg.optim_wrapper
        paramwise = wrapper.get('paramwise_cfg') or ConfigDict()
        keys = paramwise.get('custom_keys') or ConfigDict()
        keys['neck'] = ConfigDict(lr_mult=float(variant.neck_lr_mult))
        paramwise['custom_keys'] = keys
        wrapper['paramwise_cfg'] = paramwise
    return cfg
