"""Few-shot real-image benchmark: stock vs CSDNet, MoCo v2 vs SynthPairs.

    python tools/realdata_benchmark.py [--suite main|ssl|csdnet-ablation|
        csdnet-stability] [--seeds 0 1 2] [--jobs 1]
        [--work-dir work_dirs/realdata_benchmark]
        [--data-dir data/fashion_mnist_fewshot] [--src DIR]
        [--shots 10] [--unlabeled-per-class 50] [--test-per-class 200]
        [--threads N] [--cfg-options k=v ...] [--dry-run] [--report]
        [--archive FILE]

For every seed S it writes the few-shot Fashion-MNIST set
(``tools/dataset_converters/prepare_fashion_mnist_fewshot.py --seed S``:
the S-th draw of the labelled images; pool and test images are the same
for every seed) and runs, with ``randomness.seed=S``, through the plugin's
own ``tools/train.py`` / ``tools/test.py``:

* classification (10-shot fine-tuning of the ImageNet EfficientNet-Lite0):
  the stock ``ImageClassifier`` and CSDNet, test top-1;
* SSL on the unlabelled pool from the same ImageNet weights: MoCo v2, and
  SynthPairs-MoCo (decoder stage 1, then stage 2); each encoder, and the
  ImageNet encoder itself as the no-SSL reference, is evaluated by linear
  probing on the labelled images (test top-1) and leave-one-out retrieval
  on the test images (rank-1, rank-5, mAP).

Every run keeps its work dir, log and metrics under
``<work-dir>/seed<S>/<run>``; running the command again skips finished
runs and resumes interrupted trainings from their last checkpoint (SIGTERM,
e.g. ``kill <pid>``, stops the benchmark and the training it runs). Prints
a table of mean +- sample standard deviation over the seeds (and each
seed's value) and writes ``<work-dir>/results.json`` and ``results.md``.
``--cfg-options`` are passed to every training run (e.g.
``train_cfg.max_epochs=1`` for a quick check).

``--suite csdnet-ablation`` measures what each CSDNet module adds: on two
ImageNet backbones (EfficientNet-Lite0, MobileNetV2) and two tasks (the 8
classes at 10 shots, and the 4 upper-body classes T-shirt / Pullover / Coat /
Shirt at 5 shots) it trains the stock classifier, SSDP re-weighting only,
+ the SSDP view, + SSDT, + DDL (without SSDT) and SSDP + DDL + SSDT, each
with the CSDNet config's defaults and the given seeds, and two controls: the
stock classifier at twice the epochs, and with a random crop-and-zoom second
view of SSDP's box size. Every run reports
top-1 on a validation split carved from the Fashion-MNIST training images
(``--val-per-class``, never shots; options are chosen on it) and on the
test images (reported). ``--suite csdnet-stability`` trains the stock
classifier and CSDNet over learning rates 0.003 / 0.01 / 0.03, with and
without the 10x learning rate of the new neck layers, on both backbones,
and reports validation top-1 or the iteration at which ``CollapseHook``
stopped a collapsed run (also for the earlier SSDP default,
``pattern_norm='none'``, at lr 0.03 with the 10x multiplier). ``--backbones`` /
``--tasks`` narrow either suite. Their tables go to
``<work-dir>/<suite>/results.md``.

``--suite ssl`` compares SynthPairs-MoCo with MoCo v2 (and
SynthPairs-SimSiam with SimSiam) where self-supervised learning improves
its start: a ResNet-18 (CIFAR stem, half width) from random weights at
32 px, on a pool of 1000 training images per class (8000;
``--unlabeled-per-class``). For every seed it trains the SynthPairs decoder
on the frozen start encoder (stage 1), then MoCo v2, SynthPairs-MoCo, the
diagnostic rows (Grad-CAM noise only, low-variance noise only, random noise
on all dimensions, lambda_gen = 0), SimSiam and SynthPairs-SimSiam, all
from that same start, on one schedule; each
encoder (and the start itself) gets linear evaluation with 100 / 50 / 20 %
of the 100 labelled images per class (validated on ``--val-per-class``
training images, tested on 500 test images per class) and leave-one-out
retrieval on the test images. ``--ssl-runs`` picks rows. Its tables (test,
then validation: each row, the SynthPairs rows' paired differences to the
SSL method they add to and the diagnostic rows' to the default) go to
``<work-dir>/ssl/results.md``; each row is over the seeds it has finished,
named in its last column. ``--report`` writes them from the runs that have
finished and trains nothing (the tables while other rows still run).
``--archive FILE`` keeps every finished run's metrics in FILE (JSON, by seed
and row; each run is added as soon as its evaluations finish) and tabulates
them with the work dir's, so the tables survive the work dir; the
repository's archive is ``docs/results/ssl_fmnist8-32px.json``.
"""
import argparse
import functools
import json
import os
import os.path as osp
import re
import signal
import statistics
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Set, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO_ROOT, 'configs', 'fashion_mnist')
WEIGHTS = 'checkpoints/efficientnet-lite0_in1k_mmpretrain.pth'

CLASSIFIERS = {
    'stock': 'efficientnet-lite0_fmnist8-10shot.py',
    'csdnet': 'csdnet_efficientnet-lite0_fmnist8-10shot.py',
}
LINEAR = 'linear_efficientnet-lite0_fmnist8-10shot.py'
RETRIEVAL = 'retrieval_efficientnet-lite0_fmnist8.py'
DECODER = 'synthpairs-decoder_efficientnet-lite0_fmnist8.py'
SSL = {
    'mocov2': 'mocov2_efficientnet-lite0_fmnist8.py',
    'synthpairs': 'synthpairs-mocov2_efficientnet-lite0_fmnist8.py',
}
ENCODERS = ('imagenet', 'mocov2', 'synthpairs')

# Images per class the data preparation writes (overridable options).
MAIN_COUNTS = dict(shots=10, unlabeled_per_class=50, test_per_class=200)
SSL_COUNTS = dict(shots=100, unlabeled_per_class=1000, test_per_class=500)

# Row labels and metric keys of the printed table.
CLASSIFIER_ROWS = [('stock', 'stock ImageClassifier'), ('csdnet', 'CSDNet')]
ENCODER_ROWS = [('imagenet', 'ImageNet weights, no SSL'),
                ('mocov2', 'MoCo v2'), ('synthpairs', 'SynthPairs-MoCo')]
ENCODER_METRICS = [('linear', 'accuracy/top1', 'linear top-1'),
                   ('retrieval', 'retrieval/rank1', 'rank-1'),
                   ('retrieval', 'retrieval/rank5', 'rank-5'),
                   ('retrieval', 'retrieval/mAP', 'mAP')]


@functools.lru_cache(maxsize=None)
def dataloaders_of(config: str) -> Tuple[str, ...]:
    """The dataloaders a config defines (each config is parsed once, though
    every seed trains and tests with it)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    return tuple(loader for loader in ('train_dataloader', 'val_dataloader',
                                       'test_dataloader') if cfg.get(loader))


def final_val_top1(work_dir: str) -> float:
    """Top-1 of the last "Final validation metrics" line of a run's log
    (written by the plugin's tools/train.py after training)."""
    with open(osp.join(work_dir, 'train.log')) as f:
        final = re.findall(r'Final validation metrics \(.*\): '
                           r'accuracy/top1: ([0-9.]+)', f.read())
    return float(final[-1])


class StepFailed(RuntimeError):
    """A train/test command of the benchmark exited with an error."""

    def __init__(self, message: str, returncode: int = 1, log: str = ''):
        super().__init__(message)
        self.returncode, self.log = returncode, log


# The train/test commands running now. ``kill <benchmark pid>`` reaches only
# the benchmark; without stopping these, tools/train.py would go on training
# (and filling the work dir) with nothing left to read its result.
_CHILDREN: Set[subprocess.Popen] = set()
# Re-entrant: the SIGTERM handler runs in the main thread, possibly while
# that thread holds the lock in run_child.
_CHILDREN_LOCK = threading.RLock()
# Set by stop_children. With --jobs > 1 a seed's thread may be between two
# steps when the signal comes; its next step must not start.
_STOPPING = threading.Event()


def run_child(cmd: List[str], **popen_kwargs) -> int:
    """``subprocess.run(cmd, **popen_kwargs).returncode``, with the process
    known to :func:`stop_children` while it runs."""
    with _CHILDREN_LOCK:
        if _STOPPING.is_set():
            raise StepFailed(f'{cmd[1]} not started: the benchmark was '
                             'told to stop (SIGTERM)', 128 + signal.SIGTERM)
        child = subprocess.Popen(cmd, **popen_kwargs)
        _CHILDREN.add(child)
    with child:
        try:
            return child.wait()
        finally:
            with _CHILDREN_LOCK:
                _CHILDREN.discard(child)


def stop_children(signum: int, frame=None) -> None:
    """SIGTERM handler: terminate the running commands, start no more, then
    exit with 128 + signum. An interrupted training resumes from its last
    epoch checkpoint when the benchmark is called again."""
    with _CHILDREN_LOCK:
        _STOPPING.set()
        children = list(_CHILDREN)
    for child in children:
        child.terminate()
    raise SystemExit(128 + signum)


class Benchmark:
    """Runs (or skips, when finished) every step of one seed."""

    def __init__(self, args, seed: int, print_lock: threading.Lock):
        self.args = args
        self.seed = seed
        self.lock = print_lock
        self.data_root = osp.join(args.data_dir, f'seed{seed}')
        self.root = osp.join(args.work_dir, f'seed{seed}')

    # -- commands -----------------------------------------------------
    def _say(self, text: str) -> None:
        with self.lock:
            print(f'[seed {self.seed}] {text}', flush=True)

    def _run(self, name: str, cmd: List[str], log: str) -> None:
        if self.args.dry_run:
            self._say(' '.join(cmd))
            return
        env = dict(os.environ)
        if self.args.threads:
            env['OMP_NUM_THREADS'] = str(self.args.threads)
        os.makedirs(osp.dirname(log), exist_ok=True)
        self._say(f'{name} ...')
        with open(log, 'w') as f:
            returncode = run_child(cmd, cwd=REPO_ROOT, env=env, stdout=f,
                                   stderr=subprocess.STDOUT)
        if returncode != 0:
            with open(log) as f:
                tail = ''.join(f.readlines()[-15:])
            raise StepFailed(f'seed {self.seed}, {name}: exit status '
                             f'{returncode}; log {log}:\n{tail}',
                             returncode, log)

    def _data_options(self, config: str) -> List[str]:
        return [f'{loader}.dataset.data_root={self.data_root}'
                for loader in dataloaders_of(config)]

    def train(self, name: str, config: str, *options: str) -> str:
        """Train (or resume, or skip) one run; return its last checkpoint."""
        work_dir = osp.join(self.root, name)
        done = osp.join(work_dir, 'finished_checkpoint')
        if osp.isfile(done):
            with open(done) as f:
                return f.read().strip()
        config = osp.join(CONFIGS, config)
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir',
               work_dir]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            cmd.append('--resume')  # an interrupted earlier run
        cmd += ['--cfg-options', f'randomness.seed={self.seed}',
                *self._data_options(config), *options,
                *self.args.cfg_options]
        self._run(f'train {name}', cmd, osp.join(work_dir, 'train.log'))
        if self.args.dry_run:
            return osp.join(work_dir, 'CHECKPOINT')
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        with open(done, 'w') as f:
            f.write(checkpoint)
        return checkpoint

    def test(self, name: str, config: str, checkpoint: str,
             extra=()) -> Dict:
        """Test a checkpoint (or read the saved metrics)."""
        work_dir = osp.join(self.root, name)
        out = osp.join(work_dir, 'metrics.json')
        if osp.isfile(out):
            with open(out) as f:
                return json.load(f)
        config = osp.join(CONFIGS, config)
        pkl = osp.join(work_dir, 'metrics.pkl')
        cmd = [sys.executable, 'tools/test.py', config, checkpoint,
               '--work-dir', work_dir, '--out', pkl, '--out-item', 'metrics',
               '--cfg-options', *self._data_options(config), *extra]
        self._run(f'test {name}', cmd, osp.join(work_dir, 'test.log'))
        if self.args.dry_run:
            return {}
        import mmengine
        metrics = {k: float(v) for k, v in mmengine.load(pkl).items()}
        with open(out, 'w') as f:
            json.dump(metrics, f, indent=1)
        return metrics

    # -- the benchmark ------------------------------------------------
    def prepare_data(self, shots=None, classes=None, unlabeled=None,
                     val: int = 0, test: Optional[int] = None) -> None:
        """Write this seed's data set (the main suite's counts unless
        given)."""
        shots = self.args.shots if shots is None else shots
        unlabeled = (self.args.unlabeled_per_class if unlabeled is None
                     else unlabeled)
        cmd = [
            sys.executable,
            'tools/dataset_converters/prepare_fashion_mnist_fewshot.py',
            '--out', self.data_root, '--seed', str(self.seed), '--shots',
            str(shots), '--unlabeled-per-class', str(unlabeled),
            '--test-per-class',
            str(self.args.test_per_class if test is None else test)
        ]
        if val:
            cmd += ['--val-per-class', str(val)]
        if classes is not None:
            cmd += ['--classes', ','.join(map(str, classes))]
        if self.args.src:
            cmd += ['--src', self.args.src]
        self._run('prepare data', cmd,
                  osp.join(self.root, 'prepare_data.log'))

    def run(self) -> Dict[str, Dict[str, float]]:
        self.prepare_data()
        results = {}
        for name, config in CLASSIFIERS.items():
            checkpoint = self.train(name, config)
            results[name] = self.test(name, config, checkpoint)

        encoders = {'imagenet': WEIGHTS}
        encoders['mocov2'] = self.train('mocov2', SSL['mocov2'])
        stage1 = self.train('synthpairs_decoder', DECODER)
        encoders['synthpairs'] = self.train(
            'synthpairs', SSL['synthpairs'],
            f'model.decoder.init_cfg.checkpoint={stage1}')
        for encoder in ENCODERS:
            linear = f'{encoder}_linear'
            checkpoint = self.train(
                linear, LINEAR,
                f'model.backbone.init_cfg.checkpoint={encoders[encoder]}')
            results[linear] = self.test(linear, LINEAR, checkpoint)
            retrieval = f'{encoder}_retrieval'
            results[retrieval] = self.test(retrieval, RETRIEVAL,
                                           encoders[encoder])
        self._say('done')
        return results


def mean_std(values: List[float]) -> str:
    """'mean +- sample std' (n - 1 in the denominator), 2 decimals."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def summarize(per_seed: Dict[int, Dict[str, Dict[str, float]]]) -> str:
    """A markdown table: mean +- std over the seeds, then each seed."""
    seeds = sorted(per_seed)
    seed_list = _seed_list(seeds)

    def values(run: str, key: str) -> List[float]:
        return [per_seed[s][run][key] for s in seeds]

    def cell(run: str, key: str) -> str:
        return _cell(values(run, key))

    lines = [
        f'Seeds {seed_list}; mean ± sample std (per-seed values).', '',
        '| 10-shot fine-tuning | test top-1 (%) |', '|---|---|'
    ]
    for run, label in CLASSIFIER_ROWS:
        lines.append(f'| {label} | {cell(run, "accuracy/top1")} |')
    lines += [
        '', '| encoder | ' + ' | '.join(m[2] for m in ENCODER_METRICS)
        + ' |', '|---' * (len(ENCODER_METRICS) + 1) + '|'
    ]
    for encoder, label in ENCODER_ROWS:
        cells = [cell(f'{encoder}_{run}', key)
                 for run, key, _ in ENCODER_METRICS]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


# Converted ImageNet weights the configs load, and the command writing each.
WEIGHT_CONVERTERS = {
    WEIGHTS: 'tools/model_converters/efficientnet_lite_to_mmpretrain.py',
    'checkpoints/mobilenetv2_in1k_deepsort_mmpretrain.pth':
    'tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py',
}


def ensure_weights(dry_run: bool, weights=(WEIGHTS, )) -> None:
    for path in weights:
        if osp.isfile(osp.join(REPO_ROOT, path)):
            continue
        cmd = [sys.executable, WEIGHT_CONVERTERS[path], path]
        print(' '.join(cmd), flush=True)
        if not dry_run and subprocess.run(cmd, cwd=REPO_ROOT).returncode:
            raise StepFailed(f'converting {path} failed (pip install '
                             '"csdnet_mm[realdata]")')


# --------------------------------------------------------------------------
# CSDNet suites: per-module ablation and learning-rate stability


# tools/train.py's exit status for a run CollapseHook stopped.
COLLAPSE_EXIT_STATUS = 4


class TrainingCollapsed(Exception):
    """A training run stopped by CollapseHook."""


BACKBONES = {
    # name: (stock config, CSDNet config, converted weights)
    'efficientnet-lite0': ('efficientnet-lite0_fmnist8-10shot.py',
                           'csdnet_efficientnet-lite0_fmnist8-10shot.py',
                           WEIGHTS),
    'mobilenet-v2': ('mobilenet-v2_fmnist8-10shot.py',
                     'csdnet_mobilenet-v2_fmnist8-10shot.py',
                     'checkpoints/mobilenetv2_in1k_deepsort_mmpretrain.pth'),
}
TASKS = {
    # name: (Fashion-MNIST classes or None for the preparer's 8, shots)
    'fmnist8-10shot': (None, 10),
    'upper4-5shot': ((0, 2, 4, 6), 5),
}
# The SSDP view never starts (the hook's start is in iterations).
NO_VIEW = ('custom_hooks.0.start=1000000000', )
NO_DDL = ('model.queue_neck=None', 'model.qc_loss=None')
NO_SSDT = ('model.ssdt_loss=None', )
# configs/_base_/schedules/fmnist_sgd_coslr_30e.py at twice its 30 epochs.
DOUBLE_SCHEDULE = tuple(f'{key}=60' for key in (
    'train_cfg.max_epochs', 'train_cfg.val_interval',
    'param_scheduler.0.T_max', 'param_scheduler.0.end'))
# (run, row label, CSDNet config?, options)
ABLATION = (
    ('stock', 'stock ImageClassifier', False, ()),
    ('reweight', 'SSDP re-weighting only', True, NO_VIEW + NO_DDL + NO_SSDT),
    ('view', 'SSDP (re-weighting + view)', True, NO_DDL + NO_SSDT),
    ('view_ssdt', 'SSDP + SSDT', True, NO_DDL),
    ('view_ddl', 'SSDP + DDL', True, NO_SSDT),
    ('full', 'SSDP + DDL + SSDT', True, ()),
    # Controls: as many image passes as two views, and a second view that
    # is a random crop-and-zoom of SSDP's box size (no learned region).
    ('stock_2x', 'control: stock, 2x epochs', False, DOUBLE_SCHEDULE),
    ('random_view', 'control: stock + random crop-and-zoom view', True,
     NO_DDL + NO_SSDT + ('model.neck.reweight=none',
                         'model.neck.box_placement=random')),
)
STABILITY_LRS = (0.003, 0.01, 0.03)
NECK_LR_MULTS = (1, 10)
OLD_SSDP = ('model.neck.pattern_norm=none', )


def stability_runs():
    """(run, row label, CSDNet config?, options) of the stability suite."""
    runs = []
    for lr in STABILITY_LRS:
        lr_option = f'optim_wrapper.optimizer.lr={lr}'
        runs.append((f'stock_lr{lr}', f'stock, lr {lr}', False,
                     (lr_option, )))
        for mult in NECK_LR_MULTS:
            mult_option = ('optim_wrapper.paramwise_cfg.custom_keys.neck.'
                           f'lr_mult={mult}')
            runs.append((f'csdnet_lr{lr}_neck{mult}x',
                         f'CSDNet, lr {lr}, neck x{mult}', True,
                         (lr_option, mult_option)))
    # The earlier SSDP default where it collapsed: the highest rate, with
    # the 10x neck (named, not left over from the loops above).
    lr, mult = max(STABILITY_LRS), 10
    runs.append((f'csdnet_norm-none_lr{lr}_neck{mult}x',
                 f"CSDNet, pattern_norm='none', lr {lr}, neck x{mult}", True,
                 (f'optim_wrapper.optimizer.lr={lr}',
                  'optim_wrapper.paramwise_cfg.custom_keys.neck.'
                  f'lr_mult={mult}', *OLD_SSDP)))
    return tuple(runs)


SUITES = {'csdnet-ablation': ABLATION, 'csdnet-stability': None}


def suite_runs(suite: str, names: Optional[List[str]] = None):
    """The rows of a CSDNet suite, only ``names`` (in the suite's order)
    when given."""
    runs = SUITES[suite] or stability_runs()
    unknown = set(names or ()) - {r[0] for r in runs}
    if unknown:
        raise ValueError(f'--runs {sorted(unknown)}: not rows of {suite} '
                         f'(its rows: {[r[0] for r in runs]})')
    return tuple(r for r in runs if not names or r[0] in names)


class CSDNetSuite(Benchmark):
    """The runs of one suite for one backbone, task and seed."""

    def __init__(self, args, backbone: str, task: str, seed: int,
                 print_lock: threading.Lock):
        super().__init__(args, seed, print_lock)
        self.backbone, self.task = backbone, task
        self.data_root = osp.join(args.data_dir, task, f'seed{seed}')
        self.root = osp.join(args.work_dir, args.suite, backbone, task,
                             f'seed{seed}')
        classes, _ = TASKS[task]
        self.task_options = [] if classes is None else [
            f'{key}.num_classes={len(classes)}' for key in (
                'model.head', 'data_preprocessor',
                'train_dataloader.dataset', 'val_dataloader.dataset',
                'test_dataloader.dataset')
        ]

    def _say(self, text: str) -> None:
        with self.lock:
            print(f'[{self.backbone} {self.task} seed {self.seed}] {text}',
                  flush=True)

    def prepare_data(self) -> None:
        classes, shots = TASKS[self.task]
        super().prepare_data(shots, classes, unlabeled=0,
                             val=self.args.val_per_class)

    def _run(self, name: str, cmd: List[str], log: str) -> None:
        try:
            super()._run(name, cmd, log)
        except StepFailed as e:
            if e.returncode == COLLAPSE_EXIT_STATUS:
                raise TrainingCollapsed(e.log) from None
            raise

    def evaluate(self, name: str, config: str, options) -> Dict:
        """Train one run (validating on the val split), then test it; a run
        CollapseHook stopped gives ``{'collapsed_at': iteration}``."""
        work_dir = osp.join(self.root, name)
        options = (list(self.task_options) +
                   ['val_dataloader.dataset.split=val'] + list(options))
        try:
            checkpoint = self.train(name, config, *options)
        except TrainingCollapsed as e:
            with open(str(e)) as f:
                log = f.read()
            match = re.search(r'collapsed at iteration (\d+)', log)
            self._say(f'{name}: collapsed')
            return {'collapsed_at': float(match.group(1)) if match else -1.}
        metrics = {}
        if not self.args.dry_run:
            metrics['val/top1'] = final_val_top1(work_dir)
        test = self.test(name, config, checkpoint,
                         extra=self.task_options)
        metrics.update({f'test/{k.split("/")[-1]}': v
                        for k, v in test.items()})
        return metrics

    def run(self) -> Dict[str, Dict[str, float]]:
        self.prepare_data()
        stock, csdnet, _ = BACKBONES[self.backbone]
        runs = suite_runs(self.args.suite, self.args.runs)
        results = {}
        for name, _, is_csdnet, options in runs:
            results[name] = self.evaluate(name, csdnet if is_csdnet
                                          else stock, options)
        self._say('done')
        return results


def _cell(values: List[float]) -> str:
    return f'{mean_std(values)} (' + ' / '.join(
        f'{v:.1f}' for v in values) + ')'


def _seed_list(seeds: List[int]) -> str:
    return ' / '.join(map(str, seeds))


def summarize_suite(suite: str, per_unit: Dict[Tuple[str, str, int],
                                             Dict]) -> str:
    """Markdown tables, one per backbone and task: mean +- sample std over
    the seeds with each seed's value; the ablation also gives each row's
    paired difference to the stock classifier."""
    units = sorted({(b, t) for b, t, _ in per_unit})
    # The rows every unit has (``--runs`` may have narrowed a call).
    runs = tuple(r for r in suite_runs(suite)
                 if all(r[0] in u for u in per_unit.values()))
    lines = []
    for backbone, task in units:
        seeds = sorted(s for b, t, s in per_unit if (b, t) == (backbone,
                                                               task))
        results = [per_unit[(backbone, task, s)] for s in seeds]
        lines += ['', f'**{backbone}, {task}** — seeds '
                  + _seed_list(seeds)
                  + '; mean ± sample std (per-seed values)', '']
        if suite == 'csdnet-ablation':
            lines += ['| run | val top-1 (%) | test top-1 (%) | '
                      'test − stock (paired) |', '|---|---|---|---|']
        else:
            lines += ['| run | val top-1 (%) |', '|---|---|']
        for name, label, _, _ in runs:
            row = [r[name] for r in results]
            collapsed = [r for r in row if 'collapsed_at' in r]
            if collapsed:
                its = ', '.join(str(int(r['collapsed_at'])) for r in
                                collapsed)
                cells = [f'collapsed on {len(collapsed)} of {len(row)} '
                         f'seeds (stopped at iteration {its})']
                if suite == 'csdnet-ablation':
                    cells += ['–', '–']
            else:
                cells = [_cell([r['val/top1'] for r in row])]
                if suite == 'csdnet-ablation':
                    test = [r['test/top1'] for r in row]
                    stock = [r['stock']['test/top1'] for r in results]
                    cells += [_cell(test), _cell(
                        [a - b for a, b in zip(test, stock)])]
            lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    if suite == 'csdnet-ablation' and len(units) > 1:
        lines += overall_rows(runs, units, per_unit)
    return '\n'.join(lines).strip()


def overall_rows(runs, units, per_unit) -> List[str]:
    """One table over every backbone and task: each row's validation
    top-1 averaged over the units (each unit's mean over its seeds, so every
    task weighs the same), the row defaults are chosen on; and its paired
    test difference to the stock classifier over every unit and seed."""
    def unit_mean(name, key, unit):
        rows = [r[name] for (b, t, _), r in per_unit.items()
                if (b, t) == unit]
        return statistics.mean(r[key] for r in rows)

    lines = ['', f'**All {len(units)} backbone × task units** — validation '
             'top-1 averaged over the units (each unit its mean over the '
             'seeds); paired test difference to stock over every unit and '
             'seed', '', '| run | val top-1, mean over units (%) | '
             'test − stock, all runs (mean ± std, n) |', '|---|---|---|']
    for name, label, _, _ in runs:
        if any('collapsed_at' in r[name] for r in per_unit.values()):
            lines.append(f'| {label} | collapsed in some runs | – |')
            continue
        val = statistics.mean(unit_mean(name, 'val/top1', u) for u in units)
        diffs = [r[name]['test/top1'] - r['stock']['test/top1']
                 for r in per_unit.values()]
        lines.append(f'| {label} | {val:.2f} | {mean_std(diffs)}, '
                     f'n = {len(diffs)} |')
    return lines


def run_csdnet_suite(args) -> int:
    # Seed-major, so that an interrupted suite has every backbone and task
    # at the seeds it finished.
    units = [(b, t, s) for s in args.seeds for b in args.backbones
             for t in args.tasks]
    lock = threading.Lock()
    per_unit = run_in_parallel(
        args, sorted({BACKBONES[b][2] for b in args.backbones}),
        {unit: CSDNetSuite(args, *unit, lock).run for unit in units})
    if per_unit is None:
        return 1
    if not args.dry_run:
        write_results(osp.join(args.work_dir, args.suite),
                      {'/'.join(map(str, u)): r for u, r in per_unit.items()},
                      summarize_suite(args.suite, per_unit))
    return 0


# --------------------------------------------------------------------------
# SSL suite: SynthPairs against MoCo v2 and SimSiam where SSL improves its
# start

# A small encoder from random weights at 32 px on an 8000-image pool, where
# MoCo v2 must first improve on its start (docs/benchmarks.md).
SSL_CONFIGS = dict(
    decoder='synthpairs-decoder_resnet18-cifar-w32_fmnist8-32px.py',
    mocov2='mocov2_resnet18-cifar-w32_fmnist8-32px.py',
    synthpairs='synthpairs-mocov2_resnet18-cifar-w32_fmnist8-32px.py',
    simsiam='simsiam_resnet18-cifar-w32_fmnist8-32px.py',
    synthpairs_simsiam='synthpairs-simsiam_resnet18-cifar-w32_fmnist8-32px.py',
    retrieval='retrieval_resnet18-cifar-w32_fmnist8-32px.py')
# SynthPairs config -> the run of the SSL method it adds to.
SSL_BASELINES = dict(synthpairs='mocov2', synthpairs_simsiam='simsiam')
# Label fraction (%) -> linear-evaluation config.
SSL_LINEAR = {
    100: 'linear_resnet18-cifar-w32_fmnist8-32px.py',
    50: 'linear_resnet18-cifar-w32_fmnist8-32px_50pct.py',
    20: 'linear_resnet18-cifar-w32_fmnist8-32px_20pct.py',
}
# (run, row label, SSL config, options); 'start' is the encoder every SSL
# run starts from (the stage-1 checkpoint's, which stage 1 keeps frozen).
SSL_RUNS = (
    ('start', 'start (random weights, no SSL)', None, ()),
    ('mocov2', 'MoCo v2', 'mocov2', ()),
    ('synthpairs', 'SynthPairs-MoCo', 'synthpairs', ()),
    ('synthpairs_gradcam', 'SynthPairs, Grad-CAM noise only', 'synthpairs',
     ('model.perturbation.noise_mode=gradcam', )),
    ('synthpairs_lowvar', 'SynthPairs, low-variance noise only',
     'synthpairs', ('model.perturbation.noise_mode=lowvar', )),
    ('synthpairs_random', 'SynthPairs, random noise on all dimensions',
     'synthpairs', ('model.perturbation.noise_mode=random', )),
    ('synthpairs_gen0', 'SynthPairs, λ_gen = 0', 'synthpairs',
     ('model.gen_weight=0', )),
    # No loss beyond MoCo v2's: what is left of SynthPairs are the clean and
    # generated images' passes through the encoder (its BN statistics), so
    # this row tells L_rec's share of the λ_gen = 0 row from theirs.
    ('synthpairs_gen0_rec0', 'SynthPairs, λ_gen = 0 and λ_rec = 0',
     'synthpairs', ('model.gen_weight=0', 'model.rec_weight=0')),
    ('simsiam', 'SimSiam', 'simsiam', ()),
    ('synthpairs_simsiam', 'SynthPairs-SimSiam', 'synthpairs_simsiam', ()),
)
SSL_METRICS = ([(f'linear{p}/test', f'linear {p} % (test)')
                for p in SSL_LINEAR] +
               [('retrieval/rank1', 'rank-1'), ('retrieval/rank5', 'rank-5'),
                ('retrieval/mAP', 'mAP')])


class SSLSuite(Benchmark):
    """Stage 1, the SSL runs and their evaluations for one seed."""

    def __init__(self, args, seed: int, print_lock: threading.Lock,
                 on_evaluated: Optional[Callable[[int, str, Dict],
                                                 None]] = None):
        super().__init__(args, seed, print_lock)
        self.data_root = osp.join(args.data_dir, 'ssl-pool8k', f'seed{seed}')
        self.root = osp.join(args.work_dir, 'ssl', f'seed{seed}')
        self.on_evaluated = on_evaluated

    def _say(self, text: str) -> None:
        with self.lock:
            print(f'[ssl seed {self.seed}] {text}', flush=True)

    def _data_options(self, config: str) -> List[str]:
        # The label-subset configs wrap the training set.
        return [option.replace('train_dataloader.dataset.',
                               'train_dataloader.dataset.dataset.')
                if 'pct' in config else option
                for option in super()._data_options(config)]

    def prepare_data(self) -> None:
        super().prepare_data(val=self.args.val_per_class)

    def evaluate(self, name: str, checkpoint: str) -> Dict[str, float]:
        """Linear top-1 (val and test) at each label fraction, and
        retrieval on the test images, of one encoder."""
        metrics = {}
        encoder = f'model.backbone.init_cfg.checkpoint={checkpoint}'
        for fraction, config in SSL_LINEAR.items():
            run = f'{name}_linear{fraction}'
            linear = self.train(run, config, encoder)
            if not self.args.dry_run:
                metrics[f'linear{fraction}/val'] = final_val_top1(
                    osp.join(self.root, run))
            test = self.test(run, config, linear)
            metrics.update({f'linear{fraction}/test': v
                            for v in test.values()})
        metrics.update(self.test(f'{name}_retrieval',
                                 SSL_CONFIGS['retrieval'], checkpoint))
        return metrics

    def finished(self, name: str) -> bool:
        """Whether every evaluation of encoder ``name`` has finished."""
        linear = [osp.join(self.root, f'{name}_linear{f}') for f in SSL_LINEAR]
        return all(
            osp.isfile(osp.join(run, 'finished_checkpoint'))
            for run in linear) and all(
                osp.isfile(osp.join(run, 'metrics.json'))
                for run in linear + [osp.join(self.root, f'{name}_retrieval')])

    def run(self) -> Dict[str, Dict[str, float]]:
        if self.args.report:
            # evaluate() only reads saved metrics once finished() holds.
            return {name: self.evaluate(name, '')
                    for name, _, _, _ in SSL_RUNS
                    if name in self.args.ssl_runs and self.finished(name)}
        self.prepare_data()
        stage1 = self.train('synthpairs_decoder', SSL_CONFIGS['decoder'])
        start = ('model.backbone.init_cfg.type=Pretrained',
                 f'model.backbone.init_cfg.checkpoint={stage1}',
                 'model.backbone.init_cfg.prefix=backbone.')
        results = {}
        for name, _, config, options in SSL_RUNS:
            if name not in self.args.ssl_runs:
                continue
            if config is None:
                checkpoint = stage1
            else:
                if config in SSL_BASELINES:
                    options = (f'model.decoder.init_cfg.checkpoint={stage1}',
                               ) + options
                checkpoint = self.train(name, SSL_CONFIGS[config], *start,
                                        *options)
            results[name] = self.evaluate(name, checkpoint)
            if self.on_evaluated and not self.args.dry_run:
                self.on_evaluated(self.seed, name, results[name])
        self._say('done')
        return results


def summarize_ssl(per_seed: Dict[int, Dict[str, Dict[str, float]]]) -> str:
    """Markdown tables: each encoder's linear top-1 at the three label
    fractions and retrieval over the seeds it has results for; the paired
    linear differences of the SynthPairs rows to the SSL method they add to
    (MoCo v2, SimSiam) and of the diagnostic rows to their method's default
    (SynthPairs-MoCo); then the same linear tables on the validation split,
    the figures options and defaults are chosen by."""

    def table(first_column: str, metrics: List[Tuple[str, str]],
              rows: List[Tuple[str, str]],
              baseline: Optional[str] = None) -> List[str]:
        """(label, run) rows, each over the seeds where the run (and the
        baseline it is paired with) has every metric; [] if none."""
        names = () if baseline is None else (baseline, )
        lines = []
        for label, name in rows:
            seeds = [s for s in sorted(per_seed)
                     if all(key in per_seed[s].get(n, {})
                            for n in (name, ) + names for key, _ in metrics)]
            if seeds:
                lines.append(f'| {label} | ' + ' | '.join(_cell([
                    per_seed[s][name][key] -
                    (per_seed[s][baseline][key] if baseline else 0.0)
                    for s in seeds]) for key, _ in metrics) +
                    f' | {_seed_list(seeds)} |')
        if not lines:
            return []
        return ['', f'| {first_column} | ' +
                ' | '.join(m[1] for m in metrics) + ' | seeds |',
                '|---' * (len(metrics) + 2) + '|'] + lines

    labels = {name: label for name, label, _, _ in SSL_RUNS}
    linear = [m for m in SSL_METRICS if m[0].startswith('linear')]
    validation = [(f'linear{p}/val', f'linear {p} % (val)')
                  for p in SSL_LINEAR]
    every_row = [(label, name) for name, label, _, _ in SSL_RUNS]
    # Each SynthPairs row against the SSL method it adds to; a diagnostic
    # row (its method's config with an option changed) also against that
    # method's default.
    paired: Dict[str, List[Tuple[str, str]]] = {}
    for name, label, config, _ in SSL_RUNS:
        baselines = [SSL_BASELINES.get(config)]
        if config in SSL_BASELINES and name != config:
            baselines.append(config)
        for baseline in filter(None, baselines):
            paired.setdefault(baseline, []).append((label, name))
    lines = ['Mean ± sample std over the seeds of the last column '
             '(per-seed values, in that order); test split.']
    lines += table('encoder', SSL_METRICS, every_row)
    val_lines = table('encoder', validation, every_row)
    for baseline, rows in paired.items():
        title = f'encoder − {labels[baseline]} (paired)'
        lines += table(title, linear, rows, baseline)
        val_lines += table(title, validation, rows, baseline)
    if val_lines:
        lines += ['', 'Validation split (options and defaults are chosen '
                  'on it), linear top-1.'] + val_lines
    return '\n'.join(lines)


def read_archive(path: str) -> Dict[int, Dict[str, Dict[str, float]]]:
    """The runs an ``--archive`` file holds ({} for a new file)."""
    if not osp.isfile(path):
        return {}
    try:
        with open(path) as f:
            return {int(seed): dict(runs)
                    for seed, runs in json.load(f).items()}
    except (ValueError, TypeError, AttributeError) as e:
        raise SystemExit(
            f'error: --archive {path} is not an archive of this tool ({e}); '
            'expected JSON {"<seed>": {"<row>": {"<metric>": value}}} as '
            '--archive writes it: restore the file (e.g. git checkout it) or '
            'name a new one') from e


def merge_archive(per_seed: Dict[int, Dict[str, Dict[str, float]]],
                  path: str) -> Dict[int, Dict[str, Dict[str, float]]]:
    """Add the archived metrics of the runs that are not in ``per_seed``
    (finished runs found in the work dir) and rewrite the archive with
    both, so a finished run's figures outlive its work dir. A run in both
    keeps the work dir's metrics; where they differ it is said, as a rerun
    of a seed should repeat its figures."""
    archive = read_archive(path)
    merged = {seed: dict(runs) for seed, runs in archive.items()}
    for seed, runs in per_seed.items():
        for name, metrics in runs.items():
            old = archive.get(seed, {}).get(name)
            if old is not None and old != metrics:
                changed = ', '.join(
                    f'{key} {old.get(key)} -> {value}'
                    for key, value in metrics.items()
                    if old.get(key) != value)
                print(f'warning: seed {seed}, {name}: the finished run\'s '
                      f'metrics differ from {path}\'s ({changed}); keeping '
                      'the run\'s', file=sys.stderr)
            merged.setdefault(seed, {})[name] = metrics
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump({str(seed): merged[seed] for seed in sorted(merged)}, f,
                  indent=1, sort_keys=True)
        f.write('\n')
    order = [name for name, _, _, _ in SSL_RUNS]
    tabulated = {}
    for seed in per_seed:
        runs = merged.get(seed, {})
        tabulated[seed] = {name: runs[name] for name in order if name in runs}
    return tabulated


def run_ssl_suite(args) -> int:
    if args.archive:
        # A bad file stops before any training. merge_archive reads it
        # again at the end: another call may have added its runs meanwhile.
        read_archive(args.archive)
    lock = threading.Lock()
    archive_lock = threading.Lock()

    def archive_run(seed: int, name: str, metrics: Dict[str, float]) -> None:
        # Archived as each run finishes, so the runs finished before a
        # failure or a stop are not lost with the work dir.
        with archive_lock:
            merge_archive({seed: {name: metrics}}, args.archive)

    on_evaluated = archive_run if args.archive and not args.report else None
    per_seed = run_in_parallel(
        args, (), {seed: SSLSuite(args, seed, lock, on_evaluated).run
                   for seed in args.seeds})
    if per_seed is None:
        return 1
    if not args.dry_run:
        if args.archive:
            per_seed = merge_archive(per_seed, args.archive)
        write_results(osp.join(args.work_dir, 'ssl'),
                      {str(s): r for s, r in per_seed.items()},
                      summarize_ssl(per_seed))
    return 0


def run_in_parallel(args, weights, jobs: Dict) -> Optional[Dict]:
    """Convert the weights, run ``jobs`` ({key: callable}) on ``args.jobs``
    threads and return {key: result}; None (with the error printed) when a
    step failed."""
    try:
        ensure_weights(args.dry_run, weights)
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {key: pool.submit(job) for key, job in jobs.items()}
            return {key: f.result() for key, f in futures.items()}
    except StepFailed as e:
        print(f'error: {e}', file=sys.stderr)
        return None


def write_results(out_dir: str, results: Dict, table: str) -> None:
    """Print the table; write it and the raw results to ``out_dir``."""
    print(table)
    # --report --archive on a fresh clone has no work dir yet.
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    with open(osp.join(out_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Few-shot Fashion-MNIST benchmark over seeds.')
    parser.add_argument('--suite', default='main',
                        choices=('main', 'ssl') + tuple(SUITES),
                        help='main: stock vs CSDNet and the SSL chain; '
                        'csdnet-ablation / csdnet-stability: see above')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--jobs', type=int, default=1,
                        help='seeds run in parallel')
    parser.add_argument('--work-dir', default='work_dirs/realdata_benchmark')
    parser.add_argument('--data-dir', default='data/fashion_mnist_fewshot')
    parser.add_argument('--src', default=None,
                        help='Fashion-MNIST folder (default: the Debian '
                        "package's)")
    parser.add_argument('--shots', type=int, default=None,
                        help='labelled images per class (main: 10, ssl: '
                        '100)')
    parser.add_argument('--unlabeled-per-class', type=int, default=None,
                        help='pool images per class (main: 50, ssl: 1000)')
    parser.add_argument('--test-per-class', type=int, default=None,
                        help='test images per class (200; ssl: 500)')
    parser.add_argument('--val-per-class', type=int, default=100,
                        help='validation images per class (CSDNet suites)')
    parser.add_argument('--backbones', nargs='+', default=list(BACKBONES),
                        choices=list(BACKBONES))
    parser.add_argument('--tasks', nargs='+', default=list(TASKS),
                        choices=list(TASKS))
    parser.add_argument('--ssl-runs', nargs='+',
                        default=[r[0] for r in SSL_RUNS],
                        choices=[r[0] for r in SSL_RUNS],
                        help='rows of the ssl suite to run')
    parser.add_argument('--runs', nargs='+', default=None,
                        help='rows of a CSDNet suite to run (default: all; '
                        'e.g. stock view stock_2x random_view)')
    parser.add_argument('--threads', type=int, default=None,
                        help='OMP_NUM_THREADS of every run')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides for every training run')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the commands, run nothing')
    parser.add_argument('--report', action='store_true',
                        help='ssl suite: write the table from the runs '
                        'whose evaluations have finished; train nothing')
    parser.add_argument('--archive', default=None,
                        help='ssl suite: a JSON file of finished runs\' '
                        'metrics that the table also reads and that each '
                        'call adds its finished runs to (the repository '
                        'keeps docs/results/ssl_fmnist8-32px.json)')
    args = parser.parse_args(argv)
    for option in ('report', 'archive'):
        if getattr(args, option) and args.suite != 'ssl':
            parser.error(f'--{option} is the ssl suite\'s; use it with '
                         '--suite ssl')
    if args.runs is not None:
        if args.suite not in SUITES:
            parser.error('--runs is for the CSDNet suites; the ssl suite '
                         'has --ssl-runs')
        try:
            suite_runs(args.suite, args.runs)
        except ValueError as e:
            parser.error(str(e))
    counts = SSL_COUNTS if args.suite == 'ssl' else MAIN_COUNTS
    for key, value in counts.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.work_dir = osp.abspath(args.work_dir)
    args.data_dir = osp.abspath(args.data_dir)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, REPO_ROOT)
    import csdnet_mm  # noqa: F401  (compat fixes before configs are read)
    if args.suite == 'ssl':
        return run_ssl_suite(args)
    if args.suite != 'main':
        return run_csdnet_suite(args)
    lock = threading.Lock()
    per_seed = run_in_parallel(
        args, (WEIGHTS, ),
        {seed: Benchmark(args, seed, lock).run for seed in args.seeds})
    if per_seed is None:
        return 1
    if not args.dry_run:
        write_results(args.work_dir, {str(s): r for s, r in per_seed.items()},
                      summarize(per_seed))
    return 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, stop_children)
    sys.exit(main())
