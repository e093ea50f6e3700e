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
from .ssl_archive import (add_run, key_of, machines_of, open_archive,
                          per_seed_of)
from .suites import CSDNetSuite, MainSuite, SSLSuite, ensure_weights
from .tables import per_unit_of, summarize, summarize_ssl, summarize_suite

__all__ = [
    'definitions', 'run', 'summarize', 'summarize_ssl', 'summarize_suite',
    'per_unit_of'
]


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
    per_seed = run_in_parallel(args, children, (WEIGHTS, ), {
        seed: MainSuite(args, seed, children, lock).run
        for seed in args.seeds
    })
    if per_seed is None:
        return 1
    if not args.dry_run:
        write_results(args.work_dir, {
            str(s): r
            for s, r in per_seed.items()
        }, summarize(per_seed))
    return 0


def run_csdnet_suite(args, children: ChildProcesses) -> int:
    """Train the suite's runs (each archived as it finishes with
    ``--archive``; the table then has the archive's runs of those units
    too), or with ``--report`` tabulate the archive alone."""
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
            sorted({BACKBONES[b].weights
                    for b in args.backbones}), {
                        unit:
                        CSDNetSuite(args, *unit, children, lock,
                                    archive.add if archive else None).run
                        for unit in units
                    })
        if per_unit is None:
            return 1
        if args.dry_run:
            return 0
        if archive:
            # The table also has the rows earlier calls archived (--runs
            # may have trained a few rows of these units only).
            archived = per_unit_of(archive.runs())
            per_unit = {
                unit: {
                    **archived.get(unit, {}),
                    **runs
                }
                for unit, runs in per_unit.items()
            }
    write_results(
        osp.join(args.work_dir, args.suite), {
            '/'.join(map(str, u)): r
            for u, r in per_unit.items()
        }, summarize_suite(args.suite, per_unit))
    return 0


def run_ssl_suite(args, children: ChildProcesses) -> int:
    """Train the rows (each archived as soon as its evaluations finish, so
    the runs finished before a failure or a stop outlive the work dir), or
    with ``--report`` tabulate the finished ones; either way the table is
    of the work dir's runs and the archive's of the seeds asked for."""
    archive = open_archive(args.archive) if args.archive else None
    archive_lock = threading.Lock()

    def archive_run(record: Dict) -> None:
        with archive_lock:
            add_run(archive, record)

    on_finished = archive_run if archive and not args.report else None
    lock = threading.Lock()
    per_seed = run_in_parallel(
        args, children, (), {
            seed: SSLSuite(args, seed, children, lock, on_finished).run
            for seed in args.seeds
        })
    if per_seed is None:
        return 1
    if args.dry_run:
        return 0
    records = {
        key_of(seed, name): record
        for seed, rows in per_seed.items()
        for name, record in rows.items()
    }
    if archive:
        for record in records.values():
            add_run(archive, record)  # also those --report found
        records = {
            key: record
            for key, record in archive.runs().items()
            if record['seed'] in args.seeds and record['run'] in args.ssl_runs
        }
    table = per_seed_of(records.values())
    write_results(
        osp.join(args.work_dir, 'ssl'), {
            str(s): r
            for s, r in table.items()
        }, summarize_ssl(table, machines_of(records.values())))
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
