"""What a benchmark run is archived with: its machine, its commit, and one
JSON archive per suite that every run is added to as soon as it finishes."""
import contextlib
import datetime
import fcntl
import glob
import json
import os
import os.path as osp
import platform
import subprocess
from typing import Dict, Optional, Sequence

ARCHIVE_FORMAT = 1


def commit() -> Optional[str]:
    """The plugin checkout's commit, when it is a git checkout."""
    here = osp.dirname(osp.abspath(__file__))
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'],
                             cwd=here,
                             capture_output=True,
                             text=True,
                             timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def machine(threads: Optional[int] = None,
            env: Optional[Dict[str, str]] = None) -> Dict:
    """The machine and stack a result was measured on.

    Args:
        threads (int, optional): ``OMP_NUM_THREADS`` the runs were given.
        env (dict, optional): The runs' environment (default: this
            process's), for the CPU allocator they put in effect.
    """
    import mmengine
    import mmpretrain
    import torch

    from ..allocator import planned
    info = dict(
        cpu=platform.processor() or platform.machine(),
        cores=os.cpu_count(),
        threads=threads,
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        mmpretrain=mmpretrain.__version__,
        allocator=planned(env))
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(0)
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    info['cpu'] = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def machines_line(records) -> str:
    """'Machine: ...' naming each machine of some records once."""
    labels = sorted({machine_label(r.get('machine')) for r in records})
    return 'Machine: ' + '; '.join(labels)


def machine_label(info: Optional[Dict]) -> str:
    """One line naming a run's machine (a record's ``machine``). Runs made
    before runs carried machine records hold only a ``label``."""
    if not info:
        return 'machine not recorded'
    if 'label' in info:
        return info['label']
    device = info.get('gpu') or info.get('cpu', 'unknown CPU')
    threads = info.get('threads')
    return (f'{device}, {info.get("cores")} cores' +
            (f', {threads} thread(s) per run' if threads else '') +
            f', torch {info.get("torch")}, allocator {info.get("allocator")}')


class RunArchive:
    """A suite's archive: ``{"suite", "format", "runs": {key: record}}``.

    Each record holds a run's metrics at full precision, its config and
    options, seed, commit, machine and wall time. :meth:`add` re-reads the
    file under a lock before writing, so several threads, or several suite
    commands running side by side, add to one archive without losing a
    record.

    Args:
        path (str): The JSON file (created on the first :meth:`add`).
        suite (str): The suite's name; a file of another suite is refused.
    """

    def __init__(self, path: str, suite: str):
        self.path, self.suite = path, suite
        self.runs()  # a bad file stops before any training

    def runs(self) -> Dict[str, Dict]:
        """The archived records by key ({} for a new file)."""
        if not osp.isfile(self.path):
            return {}
        try:
            with open(self.path) as f:
                data = json.load(f)
            suite, runs = data['suite'], data['runs']
        except (ValueError, KeyError, TypeError) as e:
            raise SystemExit(
                f'error: {self.path} is not a run archive ({e!r}); expected '
                '{"suite": ..., "format": 1, "runs": {...}} as the benchmark '
                'writes it: restore the file (git checkout) or name a new '
                'one') from e
        if suite != self.suite:
            raise SystemExit(f'error: {self.path} archives suite {suite!r}, '
                             f'not {self.suite!r}: name another file')
        return runs

    @contextlib.contextmanager
    def _locked(self):
        """Hold the archive against other threads and processes: an
        advisory ``flock`` on a sidecar file (the JSON itself is replaced),
        opened per call, so threads of one process exclude each other too."""
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        with open(f'{self.path}.lock', 'a') as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def add(self, key: str, record: Dict) -> None:
        """Add (or replace) one run's record."""
        with self._locked():
            runs = self.runs()
            runs[key] = record
            tmp = f'{self.path}.{os.getpid()}.tmp'
            with open(tmp, 'w') as f:
                json.dump(
                    dict(suite=self.suite, format=ARCHIVE_FORMAT, runs=runs),
                    f,
                    indent=1,
                    sort_keys=True)
                f.write('\n')
            os.replace(tmp, self.path)


def analysis_record(args, figures: Dict) -> Dict:
    """The ``--out`` record of a checkpoint analysis tool (the arguments of
    ``tool_utils.checkpoint_analysis_parser``): its figures with the config,
    checkpoint, options, batches and seed, commit and machine that gave
    them, so that a figure rendered from it names its run."""
    import torch
    return dict(
        config=args.config,
        checkpoint=args.checkpoint,
        options=[f'{k}={v}' for k, v in (args.cfg_options or {}).items()],
        batches=args.batches,
        seed=args.seed,
        figures=figures,
        commit=commit(),
        machine=machine(torch.get_num_threads()))


def write_analysis_record(args, figures: Dict) -> None:
    """Write :func:`analysis_record` to ``args.out`` when one is named."""
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(analysis_record(args, figures), f, indent=1)


def _check_options(dumped: Optional[str], options: Sequence[str],
                   work_dir: str) -> None:
    """Refuse ``key=value`` options the dumped config does not have."""
    from mmengine.config import Config

    from ..errors import UserInputError
    from ..tool_utils import parse_cfg_options
    if dumped is None:
        raise UserInputError(f'{work_dir}: no dumped config to check the '
                             'options against')
    cfg = Config.fromfile(dumped).to_dict()
    wanted = parse_cfg_options(options)
    for key, value in wanted.items():
        node = cfg
        for part in key.split('.'):
            if isinstance(node, dict):
                node = node.get(part, _MISSING)
            elif isinstance(node, (list, tuple)) and part.isdigit():
                node = node[int(part)] if int(part) < len(node) else _MISSING
            else:
                node = _MISSING
        if node is _MISSING or node != value:
            found = 'not set' if node is _MISSING else f'{node!r}'
            raise UserInputError(
                f'{dumped}: {key} is {found}, not {value!r}: pass the '
                '--cfg-options the training had')


# MMEngine names each run's folder in its work dir by the run's local start
# time.
RUN_FOLDER_TIME = '%Y%m%d_%H%M%S'


def run_seconds(*work_dirs: str) -> Optional[float]:
    """The wall time of the MMEngine runs in ``work_dirs``, summed over
    every run folder: each piece of a resumed training and each test, from
    the run's start (its folder's name) to the last write in its folder, so
    a run trained in several pieces counts every piece, an interrupted one
    included. None when no run folder is found."""
    total, found = 0.0, False
    for work_dir in filter(osp.isdir, work_dirs):
        for name in sorted(os.listdir(work_dir)):
            folder = osp.join(work_dir, name)
            try:
                started = datetime.datetime.strptime(name, RUN_FOLDER_TIME)
            except ValueError:
                continue
            written = [
                osp.getmtime(osp.join(parent, f))
                for parent, _, files in os.walk(folder) for f in files
            ]
            if written:
                total += max(written) - started.timestamp()
                found = True
    return round(total, 1) if found else None


_MISSING = object()


def training_record(
        work_dir: str,
        threads: Optional[int] = None,
        note: Optional[str] = None,
        options: Sequence[str] = (),
) -> Dict:
    """The archive record of a finished ``tools/train.py`` run, made on the
    machine that trained it: its config, final validation metrics (and
    ``tools/test.py``'s test metrics, when written), the validation
    accuracy logged at each evaluation, wall time (from the run folder's
    start time to the final metrics), commit and machine.

    Args:
        work_dir (str): The run's work dir.
        threads (int, optional): ``OMP_NUM_THREADS`` it ran with.
        note (str, optional): What else ran beside it, or anything else a
            reader of the figure needs.
        options (Sequence[str]): The ``--cfg-options`` the training had
            (``key=value``); each is checked against the config the run
            dumped, so a record cannot name options the run did not have.
    """
    from ..errors import UserInputError
    from ..tool_utils import FINAL_METRICS_FILE, TEST_METRICS_FILE
    from .scalars import find_scalars, read_scalars
    final = osp.join(work_dir, FINAL_METRICS_FILE)
    if not osp.isfile(final):
        raise UserInputError(
            f'{work_dir}: no {FINAL_METRICS_FILE}; archive a work dir of a '
            'finished tools/train.py run (it writes that file at the end)')
    with open(final) as f:
        record = dict(metrics={f'val/{k}': v for k, v in json.load(f).items()})
    test = osp.join(work_dir, TEST_METRICS_FILE)
    if osp.isfile(test):
        with open(test) as f:
            record['metrics'].update({
                f'test/{k}': v
                for k, v in json.load(f).items()
            })
    configs = sorted(glob.glob(osp.join(work_dir, '*.py')))
    record['config'] = osp.basename(configs[0]) if configs else None
    if options:
        _check_options(configs[0] if configs else None, options, work_dir)
        record['options'] = list(options)
    scalars = find_scalars(work_dir)
    record['val_curve'] = [{
        k: v
        for k, v in line.items() if k == 'step' or '/' in k
    } for line in read_scalars(scalars) if 'iter' not in line]
    run_folder = osp.basename(osp.dirname(osp.dirname(scalars)))
    try:
        started = datetime.datetime.strptime(run_folder, RUN_FOLDER_TIME)
        record['seconds'] = round(osp.getmtime(final) - started.timestamp(), 1)
    except ValueError:
        record['seconds'] = None
    record.update(commit=commit(), machine=machine(threads), note=note)
    return record
