"""The SSL suite's archive: a :class:`~csdnet_mm.benchmarks.records.RunArchive`
of suite ``ssl`` whose records are keyed ``seed<S>/<row>``; the tables read
it by seed and row, with the machine of each run."""
import sys
from typing import Dict, Iterable

from ..records import RunArchive, machine_label
from . import definitions as defs

SUITE = 'ssl'
PerSeed = Dict[int, Dict[str, Dict[str, float]]]


def key_of(seed: int, row: str) -> str:
    return f'seed{seed}/{row}'


def open_archive(path: str) -> RunArchive:
    """The archive at ``path`` (read once, so a bad file stops before any
    training)."""
    return RunArchive(path, SUITE)


def add_run(archive: RunArchive, record: Dict) -> None:
    """Archive a finished run. An archived run with the same metrics keeps
    its record (a rerun of a seed on one machine repeats its figures); one
    whose metrics differ is said, and replaced."""
    key = key_of(record['seed'], record['run'])
    old = archive.runs().get(key)
    if old is not None and old.get('metrics') == record['metrics']:
        return
    if old is not None:
        changed = ', '.join(f'{name} {old["metrics"].get(name)} -> {value}'
                            for name, value in record['metrics'].items()
                            if old['metrics'].get(name) != value)
        print(
            f'warning: seed {record["seed"]}, {record["run"]}: the '
            f'finished run\'s metrics differ from {archive.path}\'s '
            f'({changed}); keeping the run\'s',
            file=sys.stderr)
    archive.add(key, record)


def _by_seed(records: Iterable[Dict], field) -> Dict[int, Dict]:
    order = {row.name: i for i, row in enumerate(defs.SSL_ROWS)}
    per_seed: Dict[int, Dict] = {}
    for record in sorted(
            records, key=lambda r: (r['seed'], order.get(r['run'], 99))):
        per_seed.setdefault(record['seed'], {})[record['run']] = field(record)
    return per_seed


def per_seed_of(records: Iterable[Dict]) -> PerSeed:
    """{seed: {row: metrics}} in the suite's row order."""
    return _by_seed(records, lambda r: r['metrics'])


def machines_of(records: Iterable[Dict]) -> Dict[int, Dict[str, str]]:
    """{seed: {row: the label of the machine that made the run}}."""
    return _by_seed(records, lambda r: machine_label(r.get('machine')))
