"""Will CSDNet help on this data? Validation folds carved from the training
images, the stock classifier, its controls and the CSDNet variants trained
on each fold and seed, paired differences and a recommendation.

The test split is never read: the check builds only the config's training
dataset and validates on the folds it carves from it.
"""
import copy
import functools
import json
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, ConfigDict

from ..errors import COLLAPSE_EXIT_STATUS, UserInputError
from ..tool_utils import FINAL_METRICS_FILE
from . import stats
from .folds import Sample, write_folds
from .records import commit, machine
from .runner import ChildProcesses, StepFailed, log_tail, plugin_file
from .variants import (CSDNetParts, Variant, apply_variant, default_variants,
                       set_epochs)

RESULT_FILE = 'check.json'


class RunFailed(StepFailed):
    """A training run of the check exited with an error."""


def _innermost(dataset_cfg: ConfigDict) -> ConfigDict:
    while 'dataset' in dataset_cfg and isinstance(dataset_cfg['dataset'],
                                                  dict):
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def training_samples(cfg: Config) -> List[Sample]:
    """(image path, label) of every image of the config's training set."""
    from mmpretrain.registry import DATASETS
    dataset_cfg = copy.deepcopy(_innermost(cfg.train_dataloader.dataset))
    dataset_cfg['pipeline'] = []
    dataset = DATASETS.build(dataset_cfg)
    samples = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if 'img_path' not in info:
            raise UserInputError(
                f'{dataset_cfg["type"]}: its samples have no img_path (images '
                'held in memory); the check needs image files, e.g. a '
                'UFGDataset or CustomDataset folder')
        samples.append((info['img_path'], int(info['gt_label'])))
    return samples


def feature_channels(cfg: Config, size: int = 224) -> int:
    """C of the backbone's last feature map (B, C, h, w), from one forward
    pass of the randomly initialised backbone."""
    import torch
    from mmpretrain.registry import MODELS
    backbone_cfg = copy.deepcopy(cfg.model.backbone)
    backbone_cfg.pop('init_cfg', None)
    backbone = MODELS.build(backbone_cfg)
    backbone.eval()  # some backbones' train() returns None
    with torch.no_grad():
        out = backbone(torch.zeros(1, 3, size, size))
    last = out[-1] if isinstance(out, (tuple, list)) else out
    if last.dim() != 4:
        raise UserInputError(
            f'{backbone_cfg["type"]}: its last output has shape '
            f'{tuple(last.shape)}; SSDP needs a feature map (B, C, h, w) '
            '(e.g. ConvNeXt gap_before_final_norm=False, ViT '
            "out_type='featmap')")
    return int(last.shape[1])


def fold_config(cfg: Config, split_files: Dict[str, str],
                classes: Sequence[str]) -> Config:
    """The config trained on one fold: its train / val lists read by
    ``CustomDataset``, the config's pipelines, validation once at the end
    and the test loader pointed at the validation fold too."""
    cfg = copy.deepcopy(cfg)
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader',
                                                          'val')):
        inner = _innermost(cfg[loader].dataset)
        pipeline = inner.get('pipeline', [])
        inner.clear()
        inner.update(
            type='CustomDataset',
            data_root='',
            data_prefix='',
            ann_file=split_files[split],
            with_label=True,
            metainfo=dict(classes=list(classes)),
            pipeline=pipeline)
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.test_evaluator = copy.deepcopy(cfg.val_evaluator)
    loop = cfg.train_cfg
    loop['val_interval'] = loop.get('max_epochs') or loop.get('max_iters')
    hooks = cfg.default_hooks
    if hooks.get('checkpoint'):
        hooks.checkpoint['max_keep_ckpts'] = 1
    return cfg


@dataclass
class CheckPlan:
    """What one check trains.

    Args:
        config: The stock classifier config.
        work_dir: Where folds, configs, runs and results go.
        folds: Validation folds carved from the training images.
        seeds: Training seeds per fold.
        variants: Rows; the first is the baseline.
        epochs: Training length (None: the config's).
        cfg_options: Edits of the stock config (e.g. its data_root).
        metric: The validation metric compared.
        split_seed: Seed of the fold assignment.
        threads: OMP_NUM_THREADS of each run (None: torch's default).
    """
    config: str
    work_dir: str
    folds: int = 3
    seeds: Sequence[int] = (0, )
    variants: Sequence[Variant] = field(default_factory=default_variants)
    epochs: Optional[int] = None
    cfg_options: Dict = field(default_factory=dict)
    metric: str = 'accuracy/top1'
    split_seed: int = 0
    threads: Optional[int] = None


class Check:
    """Prepare the folds and configs, run (or skip, or resume) every run,
    and summarise."""

    def __init__(self, plan: CheckPlan, out=sys.stdout):
        self.plan = plan
        self.out = out
        self.cfg = Config.fromfile(plan.config)
        if plan.cfg_options:
            self.cfg.merge_from_dict(plan.cfg_options)
        if plan.epochs:
            set_epochs(self.cfg, plan.epochs)
        if self.cfg.get('custom_imports'):  # the user's own components
            from mmengine.utils import import_modules_from_strings
            import_modules_from_strings(**self.cfg.custom_imports)
        self.units = [(k, s) for s in plan.seeds for k in range(plan.folds)]
        self.children = ChildProcesses()

    @functools.cached_property
    def samples(self) -> List[Sample]:
        return training_samples(self.cfg)

    @functools.cached_property
    def channels(self) -> int:
        return feature_channels(self.cfg)

    # --- preparation ---------------------------------------------------
    def prepare(self) -> None:
        """Write the folds and every run's config (idempotent)."""
        samples = self.samples
        classes = (self.cfg.train_dataloader.dataset.get('metainfo')
                   or {}).get('classes')
        num_classes = max(label for _, label in samples) + 1
        classes = list(classes or [str(c) for c in range(num_classes)])
        self.splits = write_folds(
            osp.join(self.plan.work_dir, 'folds'), samples, self.plan.folds,
            self.plan.split_seed)
        train_images = len(samples) - len(samples) // self.plan.folds
        parts = None
        if any(v.ssdp for v in self.plan.variants):
            parts = self.parts(train_images)
        self.configs = {}
        for k, split_files in enumerate(self.splits):
            fold_cfg = fold_config(self.cfg, split_files, classes)
            for variant in self.plan.variants:
                path = osp.join(self.plan.work_dir, 'configs', f'fold{k}',
                                f'{variant.name}.py')
                os.makedirs(osp.dirname(path), exist_ok=True)
                apply_variant(fold_cfg, variant, parts).dump(path)
                self.configs[(k, variant.name)] = path
        self.chance = 100.0 / len(classes)

    def parts(self, train_images: int) -> CSDNetParts:
        return CSDNetParts(self.channels, train_images,
                           self.cfg.train_dataloader.batch_size)

    def write_recommended(self, name: str) -> str:
        """The config of row ``name`` on the whole training set (the
        user's data and schedule, not a fold's), to train once."""
        variant = next(v for v in self.plan.variants if v.name == name)
        parts = (self.parts(len(self.samples)) if variant.ssdp else None)
        path = osp.join(self.plan.work_dir, f'recommended_{name}.py')
        os.makedirs(self.plan.work_dir, exist_ok=True)
        apply_variant(self.cfg, variant, parts).dump(path)
        return path

    def run_dir(self, fold: int, seed: int, variant: str) -> str:
        return osp.join(self.plan.work_dir, 'runs', f'fold{fold}_seed{seed}',
                        variant)

    # --- running -------------------------------------------------------
    def score(self, fold: int, seed: int, variant: str) -> Optional[Dict]:
        """A finished run's record, or None."""
        path = osp.join(self.run_dir(fold, seed, variant), 'result.json')
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def train(self,
              fold: int,
              seed: int,
              variant: str,
              dry_run: bool = False) -> Optional[Dict]:
        work_dir = self.run_dir(fold, seed, variant)
        cmd = [
            sys.executable,
            plugin_file('tools', 'train.py'), self.configs[(fold, variant)],
            '--work-dir', work_dir
        ]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            cmd.append('--resume')
        cmd += ['--cfg-options', f'randomness.seed={seed}']
        if dry_run:
            print(' '.join(cmd), file=self.out)
            return None
        env = dict(os.environ)
        if self.plan.threads:
            env['OMP_NUM_THREADS'] = str(self.plan.threads)
        log = osp.join(work_dir, 'train.log')
        started = time.time()
        returncode = self.children.run(cmd, log, env=env, append=True)
        record = dict(
            fold=fold,
            seed=seed,
            variant=variant,
            seconds=round(time.time() - started, 1),
            commit=commit())
        if returncode == COLLAPSE_EXIT_STATUS:
            record.update(collapsed=True, score=self.chance)
        elif returncode != 0:
            raise RunFailed(
                f'fold {fold}, seed {seed}, {variant}: exit '
                f'status {returncode}; log {log}:\n'
                f'{log_tail(log)}', returncode, log)
        else:
            with open(osp.join(work_dir, FINAL_METRICS_FILE)) as f:
                metrics = json.load(f)
            if self.plan.metric not in metrics:
                raise RunFailed(f'{variant}: metric {self.plan.metric!r} not '
                                f'among {sorted(metrics)} ({log})')
            record.update(collapsed=False, score=metrics[self.plan.metric])
        for name in os.listdir(work_dir):  # the score is what is kept
            if name.endswith('.pth') or name == 'last_checkpoint':
                os.remove(osp.join(work_dir, name))
        with open(osp.join(work_dir, 'result.json'), 'w') as f:
            json.dump(record, f, indent=1)
        return record

    def run(self, dry_run: bool = False) -> int:
        """Train every unfinished run, printing progress; 0 when all
        finished."""
        self.prepare()
        todo = [(k, s, v.name) for k, s in self.units
                for v in self.plan.variants
                if self.score(k, s, v.name) is None]
        total = len(self.units) * len(self.plan.variants)
        done = total - len(todo)
        print(
            f'{total} runs ({len(self.units)} fold x seed units x '
            f'{len(self.plan.variants)} variants), {done} finished; work '
            f'dir {self.plan.work_dir}',
            file=self.out,
            flush=True)
        started = time.time()
        with self.children.stopped_by_sigterm():
            for i, (k, s, name) in enumerate(todo, 1):
                record = self.train(k, s, name, dry_run)
                if record is None:
                    continue
                elapsed = time.time() - started
                eta = elapsed / i * (len(todo) - i)
                shown = ('collapsed'
                         if record['collapsed'] else f'{record["score"]:.2f}')
                print(
                    f'[{done + i}/{total}] {100 * (done + i) // total:3d} % '
                    f'| elapsed {_duration(elapsed)} | left ~'
                    f'{_duration(eta)} | fold {k} seed {s} {name}: '
                    f'{self.plan.metric} {shown}',
                    file=self.out,
                    flush=True)
        return 0

    # --- summary -------------------------------------------------------
    def results(self) -> Dict[str, Dict]:
        """Per variant: the scores of the units every variant finished."""
        records = {
            (k, s, v.name): self.score(k, s, v.name)
            for k, s in self.units
            for v in self.plan.variants
        }
        complete = [(k, s) for k, s in self.units if all(
            records[(k, s, v.name)] for v in self.plan.variants)]
        return dict(
            units=complete,
            variants={
                v.name: [records[(k, s, v.name)] for k, s in complete]
                for v in self.plan.variants
            })

    def summary(self) -> Dict:
        found = self.results()
        scores = {
            name: [r['score'] for r in rows]
            for name, rows in found['variants'].items()
        }
        variants = self.plan.variants
        baseline = variants[0].name
        summary = dict(
            config=self.plan.config,
            metric=self.plan.metric,
            cfg_options=dict(self.plan.cfg_options),
            epochs=self.plan.epochs,
            split_seed=self.plan.split_seed,
            threads=self.plan.threads,
            commit=commit(),
            labels={v.name: v.label
                    for v in variants},
            folds=self.plan.folds,
            seeds=list(self.plan.seeds),
            units=found['units'],
            scores=scores,
            collapsed={
                n: sum(r['collapsed'] for r in rows)
                for n, rows in found['variants'].items()
            },
            machine=machine(self.plan.threads))
        if found['units']:
            verdict = stats.recommend(
                scores, baseline,
                [v.name for v in variants[1:] if not v.control],
                [v.name for v in variants[1:] if v.control])
            summary['recommendation'] = dict(
                kind=verdict.kind, variant=verdict.variant, text=verdict.text)
        return summary

    def table(self, summary: Dict) -> str:
        units = summary['units']
        if not units:
            return 'no unit has finished every variant yet'
        scores = summary['scores']
        baseline = self.plan.variants[0].name
        lines = [
            f'{self.plan.metric} on validation folds carved from the '
            f'training images; {len(units)} units (fold, seed): ' +
            ', '.join(f'({k}, {s})' for k, s in units), '',
            f'| variant | validation (mean ± sd) | − {baseline}, '
            'paired (mean ± sd, 95 % CI) | per unit | collapsed |',
            '|---|---|---|---|---|'
        ]
        for variant in self.plan.variants:
            values = scores[variant.name]
            diff = ('–' if variant.name == baseline else str(
                stats.paired(values, scores[baseline])))
            lines.append(f'| {variant.name}: {variant.label} | '
                         f'{stats.mean_sd(values)} | {diff} | ' +
                         ' / '.join(f'{v:.2f}' for v in values) +
                         f' | {summary["collapsed"][variant.name]} |')
        lines += [
            '', 'Recommendation (validation only): ' +
            summary['recommendation']['text']
        ]
        if summary.get('recommended_config'):
            lines.append('Its config on the whole training set: ' +
                         summary['recommended_config'])
        return '\n'.join(lines)

    def report(self) -> str:
        """Write check.json / check.md from the finished runs and return
        the table."""
        summary = self.summary()
        if 'recommendation' in summary:
            summary['recommended_config'] = self.write_recommended(
                summary['recommendation']['variant'])
        text = self.table(summary)
        os.makedirs(self.plan.work_dir, exist_ok=True)
        with open(osp.join(self.plan.work_dir, RESULT_FILE), 'w') as f:
            json.dump(summary, f, indent=1)
        with open(osp.join(self.plan.work_dir, 'check.md'), 'w') as f:
            f.write(text + '\n')
        return text


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return (f'{minutes // 60} h {minutes % 60} min'
            if minutes >= 60 else f'{minutes} min')
