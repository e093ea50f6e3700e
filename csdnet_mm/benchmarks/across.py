"""Which setting holds across data sets: the per-dataset checks side by side.

A default is chosen by its worst task (the lowest mean paired difference to
the stock classifier over the tasks), not by its best mean on one task.
"""
import json
import os.path as osp
import statistics
from typing import Dict, List, Sequence

from . import stats


def load(paths: Sequence[str]) -> Dict[str, Dict]:
    """Each archived ``check.json`` by task name (its file name)."""
    tasks = {}
    for path in paths:
        with open(path) as f:
            tasks[osp.splitext(osp.basename(path))[0]] = json.load(f)
    return tasks


def table(tasks: Dict[str, Dict], baseline: str = 'stock') -> str:
    """Rows: variants run on every task; columns: each task's paired
    validation difference to ``baseline`` (mean ± sd, n), then the worst and
    the mean of the task means. Rows sorted by the worst task."""
    names: List[str] = [
        n for n in next(iter(tasks.values()))['scores']
        if n != baseline and all(n in t['scores'] for t in tasks.values())
    ]
    rows = []
    for name in names:
        diffs = {
            task: stats.paired(t['scores'][name], t['scores'][baseline])
            for task, t in tasks.items()
        }
        means = [d.mean for d in diffs.values()]
        rows.append((min(means), statistics.mean(means), name, diffs))
    rows.sort(key=lambda row: (-row[0], -row[1]))
    header = ' | '.join(tasks)
    lines = [
        f'| variant − {baseline} | {header} | worst task | mean over '
        'tasks |', '|---' * (len(tasks) + 3) + '|'
    ]
    for worst, mean, name, diffs in rows:
        cells = ' | '.join(f'{d.mean:+.2f} ± {d.sd:.2f} (n = {d.n})'
                           for d in diffs.values())
        lines.append(f'| {name} | {cells} | {worst:+.2f} | {mean:+.2f} |')
    verdicts = ['', 'Each task\'s recommendation (validation only):']
    verdicts += [
        f'* {task}: {t["recommendation"]["text"]}'
        for task, t in tasks.items() if 'recommendation' in t
    ]
    return '\n'.join(lines + verdicts)


def pooled_pairs(tasks: Dict[str, Dict],
                 pairs: Sequence[Sequence[str]]) -> str:
    """For each (a, b): the paired difference a - b over every unit of every
    task that ran both (the test of one default against another)."""
    lines = [
        '| a − b, every unit of every task | mean ± sd (95 % CI) | n | '
        'tasks |', '|---|---|---|---|'
    ]
    for a, b in pairs:
        ran = [
            t for t in tasks.values() if a in t['scores'] and b in t['scores']
        ]
        if not ran:
            continue
        diff = stats.paired([v for t in ran for v in t['scores'][a]],
                            [v for t in ran for v in t['scores'][b]])
        lines.append(f'| {a} − {b} | {diff} | {diff.n} | {len(ran)} |')
    return '\n'.join(lines)
