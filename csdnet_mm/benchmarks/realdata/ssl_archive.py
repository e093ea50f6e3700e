"""The SSL suite's archive: ``{"<seed>": {"<row>": {"<metric>": value}}}``
(the CSDNet suites use :class:`~csdnet_mm.benchmarks.records.RunArchive`)."""
import json
import os
import os.path as osp
import sys
from typing import Dict

from . import definitions as defs

PerSeed = Dict[int, Dict[str, Dict[str, float]]]


def read_archive(path: str) -> PerSeed:
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


def merge_archive(per_seed: PerSeed,
                  path: str) -> PerSeed:
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
    order = [r.name for r in defs.SSL_ROWS]
    tabulated = {}
    for seed in per_seed:
        runs = merged.get(seed, {})
        tabulated[seed] = {name: runs[name] for name in order if name in runs}
    return tabulated
