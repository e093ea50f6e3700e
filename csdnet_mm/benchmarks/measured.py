"""The README's "Measured" table: each headline figure rendered from its
archive under ``docs/results/``, with the command that made it and a link
to the full table."""
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

from .archives import (RESULTS, SSL_FIRST, SSL_RERUN, check_tasks,
                       csdnet_units, demo_runs, ssl_records)
from .realdata.ssl_archive import machines_of, per_seed_of
from .realdata.tables import paired_over, unit_metrics
from .records import machine_label
from .stats import Paired

SSL_ARCHIVES = (SSL_RERUN, SSL_FIRST)
ALLOCATOR = osp.join(RESULTS, 'cpu_allocator', '{}.json')
SYNTHPAIRS_STEP = osp.join(RESULTS, 'synthpairs_step',
                           'mocov2_vs_synthpairs-default.json')
BENCHMARKS = 'docs/benchmarks.md'


def _json(root: str, path: str) -> Dict:
    with open(osp.join(root, path)) as f:
        return json.load(f)


def demo_row(root: str) -> Tuple[str, str, str]:
    record = demo_runs(root)['resnet18_demo']
    curve = ', '.join(f'{line["accuracy/top1"]:.0f}'
                      for line in record['val_curve'])
    minutes, seconds = divmod(round(record['seconds']), 60)
    return (
        'demo training, stock ResNet-18 (random init), 30 epochs, one seed',
        '`python tools/train.py configs/demo/resnet18_demo.py` (from an '
        'empty `data/`, so it includes generating the set); archived with '
        '`python tools/analysis_tools/archive_run.py`',
        f'top-1 **{record["metrics"]["val/accuracy/top1"]:.1f} %** on the 100 '
        f'held-out images (chance 10 %); at each evaluation: {curve} %; '
        f'{minutes} min {seconds} s wall ({machine_label(record["machine"])}'
        f'; {record["note"]})')


def _pair(per_unit: Dict, a: str, b: str, key: str) -> Paired:
    return paired_over(per_unit, a, b, key, unit_metrics)[1]


def ablation_row(root: str) -> Tuple[str, str, str]:
    per_unit = csdnet_units(root)
    seeds = sorted({seed for _, _, seed in per_unit})
    stock = {
        k: _pair(per_unit, 'view', 'stock', f'{k}/top1')
        for k in ('val', 'test')
    }
    twice = {
        k: _pair(per_unit, 'view', 'stock_2x', f'{k}/top1')
        for k in ('val', 'test')
    }
    full = _pair(per_unit, 'full', 'stock_2x', 'val/top1')
    random = _pair(per_unit, 'view', 'random_view', 'val/top1')
    above = sum(v > 0 for v in stock['test'].values)
    return (
        'CSDNet per module on real images (few-shot Fashion-MNIST, ImageNet '
        'EfficientNet-Lite0 and MobileNetV2, two tasks) and the two controls',
        '`python tools/realdata_benchmark.py --suite csdnet-ablation --seeds '
        f'{" ".join(map(str, seeds))} --jobs 2 --threads 1 --archive '
        'docs/results/csdnet-ablation.json`',
        f'SSDP (re-weighting + view) − stock **{stock["val"].mean:+.2f}** '
        f'validation / **{stock["test"].mean:+.2f}** test top-1 ({above} of '
        f'{stock["test"].n} above on test), but **SSDP − stock at 2× epochs '
        f'{twice["val"]}** on validation (test {twice["test"].mean:+.2f}): '
        'the gain is that of as many image passes, not of the learned '
        f'region; full CSDNet − stock at 2× epochs {full}; SSDP − random '
        f'crop-and-zoom view {random}; {len(per_unit) // len(seeds)} units × '
        f'seeds {", ".join(map(str, seeds))} ([tables]({BENCHMARKS}'
        '#per-module---suite-csdnet-ablation))')


def check_row(root: str) -> Tuple[str, str, str]:
    tasks = check_tasks(root)
    picks = [t['recommendation']['variant'] for t in tasks.values()]
    verdict = (f'the check recommends the stock classifier on all '
               f'{len(tasks)} tasks'
               if set(picks) == {'stock'} else 'the check recommends ' +
               ', '.join(f'{v} on {task}' for task, v in zip(tasks, picks)))
    return (
        'will CSDNet help? the per-dataset check on three more real-image '
        'tasks (3 folds × 2 seeds, validation only)',
        '`python tools/csdnet_check.py <stock config> --folds 3 --seeds 0 1 '
        '...` per task; table: `python tools/analysis_tools/'
        'csdnet_check_across.py docs/results/csdnet_check/*.json`',
        f'{verdict}; no default moved on this evidence ([commands and '
        f'tables]({BENCHMARKS}#the-per-dataset-check-across-tasks))')


def _ssl_pair(records, a: str, b: str) -> Optional[str]:
    per_seed = per_seed_of(records)
    machines = machines_of(records)
    seeds = sorted(s for s in per_seed
                   if a in per_seed[s] and b in per_seed[s])
    if not seeds:
        return None
    cells = [
        paired_over(per_seed, a, b, f'linear{fraction}/test')[1]
        for fraction in (100, 50, 20)
    ]
    above = sum(v > 0 for d in cells for v in d.values)
    same = sum(machines[s][a] == machines[s][b] for s in seeds)
    seed_word = 'seed' if len(seeds) == 1 else 'seeds'
    return (' / '.join(f'{d.mean:+.2f}' for d in cells) +
            f' ({seed_word} {", ".join(map(str, seeds))}; {above} of '
            f'{len(seeds) * 3} above; {same} of {len(seeds)} {seed_word} '
            'with both runs on one machine)')


def ssl_row(root: str) -> Tuple[str, str, str]:
    parts = []
    for path in SSL_ARCHIVES:
        if not osp.isfile(osp.join(root, path)):
            continue
        records = ssl_records(root, path)
        pairs = [('SynthPairs-MoCo − MoCo v2', 'synthpairs', 'mocov2'),
                 ('SynthPairs-SimSiam − SimSiam', 'synthpairs_simsiam',
                  'simsiam')]
        found = [
            f'{label} **{text}**' for label, a, b in pairs
            if (text := _ssl_pair(records, a, b))
        ]
        if found:
            parts.append(f'`{path}`: ' + '; '.join(found))
    return (
        'SynthPairs against MoCo v2 and SimSiam in the SSL comparison '
        'protocol (ResNet-18 from random weights, 32 px, 8000-image '
        'Fashion-MNIST pool)',
        '`python tools/realdata_benchmark.py --suite ssl --seeds 0 1 2 '
        '--threads 1 --archive <archive>` (made in pieces with `--ssl-runs`)',
        'paired linear top-1, test, 100 / 50 / 20 % labels: ' +
        '. '.join(parts) + f' ([tables, machines and every diagnostic row]'
        f'({BENCHMARKS}#synthpairs-against-moco-v2-and-simsiam-'
        'toolsrealdata_benchmarkpy---suite-ssl))')


def step_row(root: str) -> Tuple[str, str, str]:

    def ratio(path: str) -> float:
        return _json(root, path)['ratio']['train_step_s']['median']

    cells = {
        name: ratio(ALLOCATOR.format(name))
        for name in ('demo_auto', 'demo_glibc_nommap', 'demo_off', 'r50_auto',
                     'r50_glibc_nommap', 'r50_off')
    }
    synthpairs = ratio(SYNTHPAIRS_STEP)
    return (
        'training-step cost on CPU with no environment variable set (the '
        'tools choose the allocator: tcmalloc where installed, else glibc '
        'tuned with `mallopt`), `--threads 1`, one training on the other '
        'core',
        '`python tools/benchmark.py A B --threads 1 ...`; reprinted by '
        '`python tools/analysis_tools/show_benchmark.py '
        'docs/results/cpu_allocator/*.json docs/results/synthpairs_step/'
        '*.json`',
        f'CSDNet / stock: demo **{cells["demo_auto"]:.2f}** (tcmalloc) / '
        f'**{cells["demo_glibc_nommap"]:.2f}** (glibc tuned) vs '
        f'{cells["demo_off"]:.2f} with glibc\'s defaults '
        f'(`CSDNET_MM_ALLOCATOR=off`); ResNet-50 384 px '
        f'**{cells["r50_auto"]:.2f}** / **{cells["r50_glibc_nommap"]:.2f}** '
        f'vs {cells["r50_off"]:.2f}; SynthPairs-MoCo / MoCo v2 (ResNet-18 '
        f'w32, 32 px, batch 128, tcmalloc): {synthpairs:.2f} '
        f'([commands and spreads]({BENCHMARKS}#benchmarks-toolsbenchmarkpy))')


ROWS: List[Callable[[str], Tuple[str, str, str]]] = [
    demo_row, ablation_row, check_row, ssl_row, step_row
]


def measured_table(root: str) -> str:
    lines = ['| what | command | result |', '|---|---|---|']
    lines += ['| ' + ' | '.join(row(root)) + ' |' for row in ROWS]
    return '\n'.join(lines)
