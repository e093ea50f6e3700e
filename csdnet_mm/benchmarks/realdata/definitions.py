"""What the few-shot Fashion-MNIST suites train: configs, data counts,
backbones, tasks and the rows of each suite."""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

# Under the plugin's configs/ (the checkout's or the installed copy's).
CONFIG_DIR = 'fashion_mnist'
WEIGHTS = 'checkpoints/efficientnet-lite0_in1k_mmpretrain.pth'
MOBILENET_WEIGHTS = 'checkpoints/mobilenetv2_in1k_deepsort_mmpretrain.pth'
# Converted ImageNet weights the configs load, and the tool writing each.
WEIGHT_CONVERTERS = {
    WEIGHTS:
    'tools/model_converters/efficientnet_lite_to_mmpretrain.py',
    MOBILENET_WEIGHTS:
    'tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py',
}

# Images per class the data preparation writes (overridable options).
MAIN_COUNTS = dict(shots=10, unlabeled_per_class=50, test_per_class=200)
SSL_COUNTS = dict(shots=100, unlabeled_per_class=1000, test_per_class=500)

# --- main suite: stock vs CSDNet and the SSL chain on ImageNet weights ----
CLASSIFIERS = {
    'stock': 'efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py',
    'csdnet': 'csdnet_efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py',
}
LINEAR = 'efficientnet-lite0_1xb16-linear-steplr-30e_fmnist8-10shot.py'
RETRIEVAL = 'efficientnet-lite0_retrieval_fmnist8.py'
DECODER = 'synthpairs-decoder_efficientnet-lite0_1xb32-adam-10e_fmnist8.py'
SSL = {
    'mocov2': 'mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py',
    'synthpairs':
    'synthpairs-mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py',
}
ENCODERS = ('imagenet', 'mocov2', 'synthpairs')
# Row labels and metric keys of the main suite's table.
CLASSIFIER_ROWS = [('stock', 'stock ImageClassifier'), ('csdnet', 'CSDNet')]
ENCODER_ROWS = [('imagenet', 'ImageNet weights, no SSL'),
                ('mocov2', 'MoCo v2'), ('synthpairs', 'SynthPairs-MoCo')]
ENCODER_METRICS = [('linear', 'accuracy/top1', 'linear top-1'),
                   ('retrieval', 'retrieval/rank1', 'rank-1'),
                   ('retrieval', 'retrieval/rank5', 'rank-5'),
                   ('retrieval', 'retrieval/mAP', 'mAP')]


# --- CSDNet suites: per-module ablation and learning-rate stability ------
@dataclass(frozen=True)
class Backbone:
    """A backbone of the CSDNet suites: its stock and CSDNet configs and
    the converted ImageNet weights they load."""
    stock: str
    csdnet: str
    weights: str


@dataclass(frozen=True)
class Task:
    """A few-shot task: Fashion-MNIST class indices (None: the preparer's
    8) and labelled images per class."""
    classes: Optional[Tuple[int, ...]]
    shots: int


@dataclass(frozen=True)
class Row:
    """One run of a CSDNet suite.

    Args:
        name (str): Its work-dir and archive name.
        label (str): Its row label in the tables.
        csdnet (bool): Trains the backbone's CSDNet config (else the stock
            one).
        options (tuple): ``--cfg-options`` of the run.
    """
    name: str
    label: str
    csdnet: bool
    options: Tuple[str, ...] = ()


BACKBONES = {
    'efficientnet-lite0':
    Backbone('efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py',
             'csdnet_efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py',
             WEIGHTS),
    'mobilenet-v2':
    Backbone('mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot.py',
             'csdnet_mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot.py',
             MOBILENET_WEIGHTS),
}
TASKS = {
    'fmnist8-10shot': Task(None, 10),
    'upper4-5shot': Task((0, 2, 4, 6), 5),
}
# The SSDP view never starts (the hook's start is in iterations).
NO_VIEW = ('custom_hooks.0.start=1000000000', )
NO_DDL = ('model.queue_neck=None', 'model.qc_loss=None')
NO_SSDT = ('model.ssdt_loss=None', )
# configs/_base_/schedules/fmnist_sgd_coslr_30e.py at twice its 30 epochs.
DOUBLE_SCHEDULE = tuple(
    f'{key}=60'
    for key in ('train_cfg.max_epochs', 'train_cfg.val_interval',
                'param_scheduler.0.T_max', 'param_scheduler.0.end'))
ABLATION = (
    Row('stock', 'stock ImageClassifier', False),
    Row('reweight', 'SSDP re-weighting only', True,
        NO_VIEW + NO_DDL + NO_SSDT),
    Row('view', 'SSDP (re-weighting + view)', True, NO_DDL + NO_SSDT),
    Row('view_ssdt', 'SSDP + SSDT', True, NO_DDL),
    # SSDT's other direction (its earlier default): the crop teaches the
    # raw view, the one used at inference.
    Row('view_ssdt_aug_to_raw', 'SSDP + SSDT, aug_to_raw', True,
        NO_DDL + ('model.ssdt_loss.direction=aug_to_raw', )),
    Row('view_ddl', 'SSDP + DDL', True, NO_SSDT),
    Row('full', 'SSDP + DDL + SSDT', True),
    # Controls: as many image passes as two views, and a second view that
    # is a random crop-and-zoom of SSDP's box size (no learned region).
    Row('stock_2x', 'control: stock, 2x epochs', False, DOUBLE_SCHEDULE),
    Row(
        'random_view', 'control: stock + random crop-and-zoom view', True,
        NO_DDL + NO_SSDT +
        ('model.neck.reweight=none', 'model.neck.box_placement=random')),
)
STABILITY_LRS = (0.003, 0.01, 0.03)
NECK_LR_MULTS = (1, 10)
NECK_LR_MULT_KEY = 'optim_wrapper.paramwise_cfg.custom_keys.neck.lr_mult'
# Where the earlier SSDP default collapsed: the highest rate, 10x neck.
OLD_SSDP_RATE, OLD_SSDP_NECK_MULT = 0.03, 10
OLD_SSDP = ('model.neck.pattern_norm=none', )


def stability_rows() -> Tuple[Row, ...]:
    """The stability suite: stock and CSDNet (neck x1, x10) at each rate,
    and the earlier SSDP default where it collapsed."""
    rows = []
    for lr in STABILITY_LRS:
        lr_option = f'optim_wrapper.optimizer.lr={lr}'
        rows.append(
            Row(f'stock_lr{lr}', f'stock, lr {lr}', False, (lr_option, )))
        for mult in NECK_LR_MULTS:
            rows.append(
                Row(f'csdnet_lr{lr}_neck{mult}x',
                    f'CSDNet, lr {lr}, neck x{mult}', True,
                    (lr_option, f'{NECK_LR_MULT_KEY}={mult}')))
    lr, mult = OLD_SSDP_RATE, OLD_SSDP_NECK_MULT
    rows.append(
        Row(f'csdnet_norm-none_lr{lr}_neck{mult}x',
            f"CSDNet, pattern_norm='none', lr {lr}, neck x{mult}", True,
            (f'optim_wrapper.optimizer.lr={lr}', f'{NECK_LR_MULT_KEY}={mult}',
             *OLD_SSDP)))
    return tuple(rows)


SUITES = {'csdnet-ablation': ABLATION, 'csdnet-stability': stability_rows()}


def suite_rows(suite: str,
               names: Optional[Sequence[str]] = None) -> Tuple[Row, ...]:
    """The rows of a CSDNet suite; only ``names`` (in the suite's order)
    when given."""
    rows = SUITES[suite]
    unknown = set(names or ()) - {r.name for r in rows}
    if unknown:
        raise ValueError(f'--runs {sorted(unknown)}: not rows of {suite} '
                         f'(its rows: {[r.name for r in rows]})')
    return tuple(r for r in rows if not names or r.name in names)


# --- SSL suite: SynthPairs against MoCo v2 and SimSiam -------------------
# A small encoder from random weights at 32 px on an 8000-image pool, where
# MoCo v2 must first improve on its start (docs/benchmarks.md).
SSL_CONFIGS = {
    'decoder':
    'synthpairs-decoder_resnet18-cifar-w32_1xb128-adam-5e_fmnist8-32px.py',
    'mocov2': 'mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py',
    'synthpairs':
    'synthpairs-mocov2_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py',
    'simsiam': 'simsiam_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py',
    'synthpairs_simsiam':
    'synthpairs-simsiam_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px.py',
    'retrieval': 'resnet18-cifar-w32_retrieval_fmnist8-32px.py',
}
# SynthPairs config -> the run of the SSL method it adds to.
SSL_BASELINES = dict(synthpairs='mocov2', synthpairs_simsiam='simsiam')


@dataclass(frozen=True)
class LinearEval:
    """A linear evaluation at a label fraction; ``subset`` configs wrap
    the training set in a label subset (its data root one level deeper)."""
    config: str
    subset: bool


# Label fraction (%) -> linear evaluation.
SSL_LINEAR: Dict[int, LinearEval] = {
    100:
    LinearEval('resnet18-cifar-w32_1xb64-linear-steplr-30e_fmnist8-32px.py',
               False),
    50:
    LinearEval(
        'resnet18-cifar-w32_1xb64-linear-steplr-30e_fmnist8-32px_50pct.py',
        True),
    20:
    LinearEval(
        'resnet18-cifar-w32_1xb64-linear-steplr-30e_fmnist8-32px_20pct.py',
        True),
}


@dataclass(frozen=True)
class SSLRow:
    """One encoder of the SSL suite.

    Args:
        name (str): Its work-dir and archive name.
        label (str): Its row label.
        method (str, optional): Its key in :data:`SSL_CONFIGS`; None for the
            start (the stage-1 checkpoint's encoder, frozen in stage 1).
        options (tuple): ``--cfg-options`` of its training.
    """
    name: str
    label: str
    method: Optional[str]
    options: Tuple[str, ...] = ()


SSL_ROWS = (
    SSLRow('start', 'start (random weights, no SSL)', None),
    SSLRow('mocov2', 'MoCo v2', 'mocov2'),
    SSLRow('synthpairs', 'SynthPairs-MoCo', 'synthpairs'),
    SSLRow('synthpairs_gradcam', 'SynthPairs, Grad-CAM noise only',
           'synthpairs', ('model.perturbation.noise_mode=gradcam', )),
    SSLRow('synthpairs_lowvar', 'SynthPairs, low-variance noise only',
           'synthpairs', ('model.perturbation.noise_mode=lowvar', )),
    SSLRow('synthpairs_random', 'SynthPairs, random noise on all dimensions',
           'synthpairs', ('model.perturbation.noise_mode=random', )),
    # The cheaper step: no gradient through the D(z) half of the pair.
    SSLRow('synthpairs_detach', 'SynthPairs, detach_clean_generated',
           'synthpairs', ('model.detach_clean_generated=True', )),
    SSLRow('synthpairs_gen0', 'SynthPairs, λ_gen = 0', 'synthpairs',
           ('model.gen_weight=0', )),
    # No loss beyond MoCo v2's: what is left of SynthPairs are the clean and
    # generated images' passes through the encoder (its BN statistics), so
    # this row tells L_rec's share of the λ_gen = 0 row from theirs.
    SSLRow('synthpairs_gen0_rec0', 'SynthPairs, λ_gen = 0 and λ_rec = 0',
           'synthpairs', ('model.gen_weight=0', 'model.rec_weight=0')),
    SSLRow('simsiam', 'SimSiam', 'simsiam'),
    SSLRow('synthpairs_simsiam', 'SynthPairs-SimSiam', 'synthpairs_simsiam'),
)
SSL_METRICS = ([(f'linear{p}/test', f'linear {p} % (test)')
                for p in SSL_LINEAR] + [('retrieval/rank1', 'rank-1'),
                                        ('retrieval/rank5', 'rank-5'),
                                        ('retrieval/mAP', 'mAP')])
