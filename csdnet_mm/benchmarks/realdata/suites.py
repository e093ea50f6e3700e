"""The runs of each suite for one seed (and backbone and task): data
preparation, training and testing through the plugin's tools, each step
skipped when finished and resumed when interrupted."""
import functools
import json
import os
import os.path as osp
import re
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

from ...errors import COLLAPSE_EXIT_STATUS
from ...tool_utils import FINAL_METRICS_FILE, TEST_METRICS_FILE
from ..records import commit, machine, run_seconds
from ..runner import ChildProcesses, StepFailed, log_tail, plugin_file
from . import definitions as defs

# Written in a run's work dir once it is trained and tested: its archive
# record (its metrics come from the tools' JSON files).
RECORD_FILE = 'record.json'


def collapse_message(log: str) -> Optional[str]:
    """CollapseHook's finding in a log (what it saw, not its advice)."""
    match = re.search(r'training collapsed at iteration .*', log)
    if match is None:
        return None
    return match.group(0).split(' What to try:')[0]


class TrainingCollapsed(Exception):
    """A training run stopped by CollapseHook (its log is the message)."""


@functools.lru_cache(maxsize=None)
def dataloaders_of(config: str) -> Tuple[str, ...]:
    """The dataloaders a config defines (each config is parsed once, though
    every seed trains and tests with it)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    return tuple(
        loader
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        if cfg.get(loader))


def read_json(path: str) -> Dict:
    with open(path) as f:
        return json.load(f)


def wall_seconds(started: float, *work_dirs: str) -> float:
    """A row's wall time: its MMEngine runs' (:func:`run_seconds`, every
    piece of a resumed run), or, when the steps left no run folder, the
    time since ``started``."""
    seconds = run_seconds(*work_dirs)
    return round(time.time() - started, 1) if seconds is None else seconds


def ensure_weights(dry_run: bool,
                   weights=(defs.WEIGHTS, ),
                   cwd: Optional[str] = None) -> None:
    """Convert the ImageNet weights the configs load, where missing."""
    for path in weights:
        if osp.isfile(osp.join(cwd or '.', path)):
            continue
        cmd = [sys.executable, plugin_file(defs.WEIGHT_CONVERTERS[path]), path]
        print(' '.join(cmd), flush=True)
        if not dry_run and subprocess.run(cmd, cwd=cwd).returncode:
            raise StepFailed(f'converting {path} failed (pip install '
                             '"csdnet_mm[realdata]")')


class SeedSteps:
    """Runs (or skips, when finished) the steps of one seed.

    Args:
        args (argparse.Namespace): The benchmark's options.
        seed (int): The seed (data draw and ``randomness.seed``).
        children (ChildProcesses): Starts the commands (SIGTERM stops them).
        print_lock (threading.Lock): Serialises the progress lines.
        root (str, optional): The seed's work dir.
        data_root (str, optional): The seed's data set.
    """

    tag = 'seed {seed}'

    def __init__(self,
                 args,
                 seed: int,
                 children: ChildProcesses,
                 print_lock: threading.Lock,
                 root: Optional[str] = None,
                 data_root: Optional[str] = None):
        self.args, self.seed = args, seed
        self.children, self.lock = children, print_lock
        self.root = root or osp.join(args.work_dir, f'seed{seed}')
        self.data_root = data_root or osp.join(args.data_dir, f'seed{seed}')

    def _say(self, text: str) -> None:
        with self.lock:
            print(f'[{self.tag.format(**vars(self))}] {text}', flush=True)

    def _run(self, name: str, cmd: List[str], log: str) -> None:
        if self.args.dry_run:
            self._say(' '.join(cmd))
            return
        env = dict(os.environ)
        if self.args.threads:
            env['OMP_NUM_THREADS'] = str(self.args.threads)
        self._say(f'{name} ...')
        returncode = self.children.run(cmd, log, env=env, cwd=self.args.cwd)
        if returncode != 0:
            raise StepFailed(
                f'{self.tag.format(**vars(self))}, {name}: '
                f'exit status {returncode}; log {log}:\n'
                f'{log_tail(log)}', returncode, log)

    def _data_options(self, config: str, subset: bool = False) -> List[str]:
        # A label-subset dataset wraps the training set one level deeper.
        return [(f'{loader}.dataset.dataset.data_root={self.data_root}'
                 if subset and loader == 'train_dataloader' else
                 f'{loader}.dataset.data_root={self.data_root}')
                for loader in dataloaders_of(config)]

    def train(self,
              name: str,
              config: str,
              *options: str,
              subset: bool = False) -> str:
        """Train (or resume, or skip) one run; return its last checkpoint."""
        work_dir = osp.join(self.root, name)
        done = osp.join(work_dir, 'finished_checkpoint')
        if osp.isfile(done):
            with open(done) as f:
                return f.read().strip()
        config = plugin_file('configs', defs.CONFIG_DIR, config)
        cmd = [
            sys.executable,
            plugin_file('tools', 'train.py'), config, '--work-dir', work_dir
        ]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            cmd.append('--resume')  # an interrupted earlier run
        cmd += [
            '--cfg-options', f'randomness.seed={self.seed}',
            *self._data_options(config, subset), *options,
            *self.args.cfg_options
        ]
        self._run(f'train {name}', cmd, osp.join(work_dir, 'train.log'))
        if self.args.dry_run:
            return osp.join(work_dir, 'CHECKPOINT')
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        with open(done, 'w') as f:
            f.write(checkpoint)
        return checkpoint

    def final_val(self, name: str) -> Dict[str, float]:
        """The validation metrics tools/train.py wrote at the end of a
        run."""
        if self.args.dry_run:
            return {}
        return read_json(osp.join(self.root, name, FINAL_METRICS_FILE))

    def test(self, name: str, config: str, checkpoint: str,
             extra=()) -> Dict[str, float]:
        """Test a checkpoint (or read the metrics tools/test.py wrote)."""
        work_dir = osp.join(self.root, name)
        out = osp.join(work_dir, TEST_METRICS_FILE)
        if osp.isfile(out):
            return read_json(out)
        config = plugin_file('configs', defs.CONFIG_DIR, config)
        cmd = [
            sys.executable,
            plugin_file('tools', 'test.py'), config, checkpoint, '--work-dir',
            work_dir, '--cfg-options', *self._data_options(config), *extra
        ]
        self._run(f'test {name}', cmd, osp.join(work_dir, 'test.log'))
        return {} if self.args.dry_run else read_json(out)

    def prepare_data(self,
                     shots=None,
                     classes=None,
                     unlabeled=None,
                     val: int = 0,
                     test: Optional[int] = None) -> None:
        """Write this seed's data set (the main suite's counts unless
        given)."""
        shots = self.args.shots if shots is None else shots
        unlabeled = (
            self.args.unlabeled_per_class if unlabeled is None else unlabeled)
        cmd = [
            sys.executable,
            plugin_file('tools', 'dataset_converters',
                        'prepare_fashion_mnist_fewshot.py'), '--out',
            self.data_root, '--seed',
            str(self.seed), '--shots',
            str(shots), '--unlabeled-per-class',
            str(unlabeled), '--test-per-class',
            str(self.args.test_per_class if test is None else test)
        ]
        if val:
            cmd += ['--val-per-class', str(val)]
        if classes is not None:
            cmd += ['--classes', ','.join(map(str, classes))]
        if self.args.src:
            cmd += ['--src', self.args.src]
        self._run('prepare data', cmd, osp.join(self.root, 'prepare_data.log'))


class MainSuite(SeedSteps):
    """Stock vs CSDNet, and the SSL chain from ImageNet weights."""

    def run(self) -> Dict[str, Dict[str, float]]:
        self.prepare_data(val=self.args.val_per_class)
        results = {}
        for name, config in defs.CLASSIFIERS.items():
            checkpoint = self.train(name, config)
            results[name] = self.test(name, config, checkpoint)
        encoders = {'imagenet': defs.WEIGHTS}
        encoders['mocov2'] = self.train('mocov2', defs.SSL['mocov2'])
        stage1 = self.train('synthpairs_decoder', defs.DECODER)
        encoders['synthpairs'] = self.train(
            'synthpairs', defs.SSL['synthpairs'],
            f'model.decoder.init_cfg.checkpoint={stage1}')
        for encoder in defs.ENCODERS:
            linear = f'{encoder}_linear'
            checkpoint = self.train(
                linear, defs.LINEAR,
                f'model.backbone.init_cfg.checkpoint={encoders[encoder]}')
            results[linear] = self.test(linear, defs.LINEAR, checkpoint)
            retrieval = f'{encoder}_retrieval'
            results[retrieval] = self.test(retrieval, defs.RETRIEVAL,
                                           encoders[encoder])
        self._say('done')
        return results


class CSDNetSuite(SeedSteps):
    """The rows of a CSDNet suite for one backbone, task and seed; each
    finished run is given to ``on_finished(key, record)``."""

    tag = '{backbone} {task} seed {seed}'

    def __init__(self,
                 args,
                 backbone: str,
                 task: str,
                 seed: int,
                 children: ChildProcesses,
                 print_lock: threading.Lock,
                 on_finished: Optional[Callable[[str, Dict], None]] = None):
        super().__init__(
            args,
            seed,
            children,
            print_lock,
            root=osp.join(args.work_dir, args.suite, backbone, task,
                          f'seed{seed}'),
            data_root=osp.join(args.data_dir, task, f'seed{seed}'))
        self.backbone, self.task = backbone, task
        self.on_finished = on_finished
        classes = defs.TASKS[task].classes
        self.task_options = [] if classes is None else [
            f'{key}.num_classes={len(classes)}'
            for key in ('model.head', 'data_preprocessor',
                        'train_dataloader.dataset', 'val_dataloader.dataset',
                        'test_dataloader.dataset')
        ]

    def prepare_data(self) -> None:
        task = defs.TASKS[self.task]
        super().prepare_data(
            task.shots, task.classes, unlabeled=0, val=self.args.val_per_class)

    def _run(self, name: str, cmd: List[str], log: str) -> None:
        try:
            super()._run(name, cmd, log)
        except StepFailed as e:
            if e.returncode == COLLAPSE_EXIT_STATUS:
                raise TrainingCollapsed(e.log) from None
            raise

    def evaluate(self, row: defs.Row) -> Dict:
        """Train one run (validating on the val split), then test it; its
        archive record. A run CollapseHook stopped gets ``collapsed_at``
        (the iteration) and ``collapse`` (the hook's finding, with the
        loss terms) instead of metrics."""
        work_dir = osp.join(self.root, row.name)
        if osp.isfile(osp.join(work_dir, RECORD_FILE)):
            return read_json(osp.join(work_dir, RECORD_FILE))
        backbone = defs.BACKBONES[self.backbone]
        config = backbone.csdnet if row.csdnet else backbone.stock
        options = (
            list(self.task_options) + ['val_dataloader.dataset.split=val'] +
            list(row.options))
        record = dict(
            suite=self.args.suite,
            backbone=self.backbone,
            task=self.task,
            seed=self.seed,
            run=row.name,
            config=f'configs/{defs.CONFIG_DIR}/{config}',
            options=options + list(self.args.cfg_options),
            val_per_class=self.args.val_per_class)
        started = time.time()
        try:
            checkpoint = self.train(row.name, config, *options)
        except TrainingCollapsed as e:
            tail = log_tail(str(e), 50)
            match = re.search(r'collapsed at iteration (\d+)', tail)
            self._say(f'{row.name}: collapsed')
            record['collapsed_at'] = int(match.group(1)) if match else -1
            record['collapse'] = collapse_message(tail)
        else:
            test = self.test(
                row.name, config, checkpoint, extra=self.task_options)
            # accuracy/top1 -> val/top1, test/top1
            record['metrics'] = {
                **{
                    f'val/{k.split("/")[-1]}': v
                    for k, v in self.final_val(row.name).items()
                },
                **{
                    f'test/{k.split("/")[-1]}': v
                    for k, v in test.items()
                }
            }
        if self.args.dry_run:
            return record
        record.update(
            seconds=wall_seconds(started, work_dir),
            commit=commit(),
            machine=machine(self.args.threads))
        with open(osp.join(work_dir, RECORD_FILE), 'w') as f:
            json.dump(record, f, indent=1)
        return record

    def run(self) -> Dict[str, Dict]:
        self.prepare_data()
        results = {}
        for row in defs.suite_rows(self.args.suite, self.args.runs):
            results[row.name] = self.evaluate(row)
            if self.on_finished and not self.args.dry_run:
                self.on_finished(
                    f'{self.backbone}/{self.task}/seed{self.seed}/{row.name}',
                    results[row.name])
        self._say('done')
        return results


class SSLSuite(SeedSteps):
    """Stage 1, the SSL runs and their evaluations for one seed; each row's
    archive record (``seed``, ``run``, config and options, metrics, wall
    time, commit, machine) is written to its work dir and given to
    ``on_finished(record)`` as soon as its evaluations finish."""

    tag = 'ssl seed {seed}'

    def __init__(self,
                 args,
                 seed: int,
                 children: ChildProcesses,
                 print_lock: threading.Lock,
                 on_finished: Optional[Callable[[Dict], None]] = None):
        super().__init__(
            args,
            seed,
            children,
            print_lock,
            root=osp.join(args.work_dir, 'ssl', f'seed{seed}'),
            data_root=osp.join(args.data_dir, 'ssl-pool8k', f'seed{seed}'))
        self.on_finished = on_finished

    def prepare_data(self) -> None:
        super().prepare_data(val=self.args.val_per_class)

    def evaluate(self, name: str, checkpoint: str) -> Dict[str, float]:
        """Linear top-1 (val and test) at each label fraction, and
        retrieval on the test images, of one encoder."""
        metrics = {}
        encoder = f'model.backbone.init_cfg.checkpoint={checkpoint}'
        for fraction, linear in defs.SSL_LINEAR.items():
            run = f'{name}_linear{fraction}'
            trained = self.train(
                run, linear.config, encoder, subset=linear.subset)
            val = self.final_val(run)
            if val:
                metrics[f'linear{fraction}/val'] = val['accuracy/top1']
            test = self.test(run, linear.config, trained)
            metrics.update(
                {f'linear{fraction}/test': v
                 for v in test.values()})
        metrics.update(
            self.test(f'{name}_retrieval', defs.SSL_CONFIGS['retrieval'],
                      checkpoint))
        return metrics

    def linear_dirs(self, name: str) -> List[str]:
        """The work dirs of encoder ``name``'s linear evaluations."""
        return [
            osp.join(self.root, f'{name}_linear{f}') for f in defs.SSL_LINEAR
        ]

    def finished(self, name: str) -> bool:
        """Whether every evaluation of encoder ``name`` has finished."""
        linear = self.linear_dirs(name)
        return all(
            osp.isfile(osp.join(run, 'finished_checkpoint'))
            for run in linear) and all(
                osp.isfile(osp.join(run, TEST_METRICS_FILE))
                for run in linear + [osp.join(self.root, f'{name}_retrieval')])

    def work_dirs(self, row: defs.SSLRow) -> List[str]:
        """The work dirs of a row's training (none for the start) and
        evaluations."""
        return [
            osp.join(self.root, row.name),
            osp.join(self.root, f'{row.name}_retrieval')
        ] + self.linear_dirs(row.name)

    def record_of(self, row: defs.SSLRow, metrics: Dict[str, float],
                  seconds: Optional[float]) -> Dict:
        """A row's archive record. ``seconds`` is the row's wall time
        (:func:`wall_seconds`: its training and evaluations, every piece of
        a resumed run); None with the commit and machine for a run this
        command did not make."""
        config = defs.SSL_CONFIGS['decoder' if row.method is
                                  None else row.method]
        made_here = seconds is not None
        return dict(
            suite='ssl',
            seed=self.seed,
            run=row.name,
            config=f'configs/{defs.CONFIG_DIR}/{config}',
            options=list(row.options) + list(self.args.cfg_options),
            val_per_class=self.args.val_per_class,
            metrics=metrics,
            seconds=seconds,
            commit=commit() if made_here else None,
            machine=(machine(self.args.threads) if made_here else None))

    def reported(self, rows: List[defs.SSLRow]) -> Dict[str, Dict]:
        """``--report``: the records of the rows whose evaluations have
        finished in the work dir, training nothing."""
        records = {}
        for row in rows:
            saved = osp.join(self.root, row.name, RECORD_FILE)
            if osp.isfile(saved):
                records[row.name] = read_json(saved)
            elif self.finished(row.name):
                # evaluate() only reads saved metrics once finished() holds.
                records[row.name] = self.record_of(row,
                                                   self.evaluate(row.name, ''),
                                                   None)
        return records

    def run(self) -> Dict[str, Dict]:
        """{row: record} of the rows in ``args.ssl_runs``."""
        rows = [r for r in defs.SSL_ROWS if r.name in self.args.ssl_runs]
        if self.args.report:
            return self.reported(rows)
        self.prepare_data()
        stage1 = self.train('synthpairs_decoder', defs.SSL_CONFIGS['decoder'])
        start = ('model.backbone.init_cfg.type=Pretrained',
                 f'model.backbone.init_cfg.checkpoint={stage1}',
                 'model.backbone.init_cfg.prefix=backbone.')
        records = {}
        for row in rows:
            saved = osp.join(self.root, row.name, RECORD_FILE)
            if osp.isfile(saved):
                records[row.name] = read_json(saved)
                continue
            started = time.time()
            if row.method is None:
                checkpoint = stage1
            else:
                options = row.options
                if row.method in defs.SSL_BASELINES:
                    options = (f'model.decoder.init_cfg.checkpoint={stage1}',
                               ) + options
                checkpoint = self.train(row.name, defs.SSL_CONFIGS[row.method],
                                        *start, *options)
            metrics = self.evaluate(row.name, checkpoint)
            if self.args.dry_run:
                continue
            record = self.record_of(
                row, metrics, wall_seconds(started, *self.work_dirs(row)))
            os.makedirs(osp.dirname(saved), exist_ok=True)
            with open(saved, 'w') as f:
                json.dump(record, f, indent=1)
            records[row.name] = record
            if self.on_finished:
                self.on_finished(record)
        self._say('done')
        return records
