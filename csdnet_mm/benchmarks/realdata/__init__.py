"""The few-shot Fashion-MNIST suites of ``tools/realdata_benchmark.py``:
stock vs CSDNet and the SSL chain (``main``), CSDNet per module
(``csdnet-ablation``), across learning rates (``csdnet-stability``), and
SynthPairs against MoCo v2 and SimSiam (``ssl``)."""
import json
import os
import os.path as osp
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Optional

from ..records import RunArchive
from ..runner import ChildProcesses, StepFailed
from . import definitions
from .definitions import BACKBONES, SUITES, WEIGHTS
from .ssl_archive import merge_archive, read_archive
from .suites import CSDNetSuite, MainSuite, SSLSuite, ensure_weights
from .tables import per_unit_of, summarize, summarize_ssl, summarize_suite

__all__ = ['definitions', 'run', 'summarize', 'summarize_ssl',
           'summarize_suite', 'per_unit_of', 'merge_archive', 'read_archive']


def run_in_parallel(args, children: ChildProcesses, weights,
                    jobs: Dict[object, Callable]) -> Optional[Dict]:
    """Convert the weights, run ``jobs`` on ``args.jobs`` threads and return
    {key: result}; None (with the error printed) when a step failed."""
    try:
        ensure_weights(args.dry_run, weights, cwd=args.cwd)
        with children.stopped_by_sigterm(), ThreadPoolExecutor(
                max_workers=args.jobs) as pool:
            futures = {key: pool.submit(job) for key, job in jobs.items()}
            return {key: f.result() for key, f in futures.items()}
    except StepFailed as e:
        print(f'error: {e}', file=sys.stderr)
        return None


def write_results(out_dir: str, results: Dict, table: str) -> None:
    """Print the table; write it and the raw results to ``out_dir``."""
    print(table)
    # A report on a fresh clone has no work dir yet.
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    with open(osp.join(out_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')


def run_main_suite(args, children: ChildProcesses) -> int:
    lock = threading.Lock()
    per_seed = run_in_parallel(
        args, children, (WEIGHTS, ),
        {seed: MainSuite(args, seed, children, lock).run
         for seed in args.seeds})
    if per_seed is None:
        return 1
    if not args.dry_run:
        write_results(args.work_dir, {str(s): r for s, r in per_seed.items()},
                      summarize(per_seed))
    return 0


def run_csdnet_suite(args, children: ChildProcesses) -> int:
    """Train the suite's runs (each archived as it finishes with
    ``--archive``), or with ``--report`` tabulate the archive alone."""
    archive = RunArchive(args.archive, args.suite) if args.archive else None
    if args.report:
        per_unit = per_unit_of(archive.runs())
    else:
        # Seed-major, so that an interrupted suite has every backbone and
        # task at the seeds it finished.
        units = [(b, t, s) for s in args.seeds for b in args.backbones
                 for t in args.tasks]
        lock = threading.Lock()
        per_unit = run_in_parallel(
            args, children,
            sorted({BACKBONES[b].weights for b in args.backbones}),
            {unit: CSDNetSuite(args, *unit, children, lock,
                               archive.add if archive else None).run
             for unit in units})
        if per_unit is None:
            return 1
        if args.dry_run:
            return 0
    write_results(osp.join(args.work_dir, args.suite),
                  {'/'.join(map(str, u)): r for u, r in per_unit.items()},
                  summarize_suite(args.suite, per_unit))
    return 0


def run_ssl_suite(args, children: ChildProcesses) -> int:
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
        args, children, (),
        {seed: SSLSuite(args, seed, children, lock, on_evaluated).run
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


def run(args, children: Optional[ChildProcesses] = None) -> int:
    """Run ``args.suite`` (options as ``tools/realdata_benchmark.py``
    parses them); the exit status."""
    children = children or ChildProcesses()
    if args.suite == 'ssl':
        return run_ssl_suite(args, children)
    if args.suite in SUITES:
        return run_csdnet_suite(args, children)
    return run_main_suite(args, children)
