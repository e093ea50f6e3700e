"""The result tables of the docs, regenerated from the archives under
``docs/results/``.

Each :class:`Block` is a span of a markdown file between
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` whose text a function
renders from archives alone. ``python tools/analysis_tools/report.py``
rewrites every block; ``--check`` lists the blocks whose committed text
differs (a test runs it), so a table cannot drift from its runs.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

from . import across
from .archives import (RESULTS, SSL_FIRST, SSL_RERUN, check_tasks,
                       csdnet_units, demo_runs, ssl_records)
from .checkpoint_figures import diagnostics_table, loss_gradient_table
from .measured import measured_table
from .realdata.ssl_archive import machines_of, per_seed_of
from .realdata.tables import (cell, pooled_pairs, seed_list, ssl_campaigns,
                              ssl_pairs, summarize_ssl, summarize_suite)
from .records import machines_line

# The pooled pairs of the check-across table: one default against another.
CHECK_PAIRS = (('full_neck10x', 'full'), ('ssdp_neck10x', 'ssdp'),
               ('full_queue1024', 'full'), ('full_ssdt0.5', 'full'),
               ('full_ssdt2', 'full'), ('full_box0.5', 'full'),
               ('ssdp', 'random_view'), ('ssdp', 'stock_2x'), ('full', 'ssdp'))


@dataclass(frozen=True)
class Block:
    """A generated span of a markdown file.

    Args:
        path (str): The file, relative to the repository root.
        name (str): The marker name.
        render (Callable[[str], str]): The block's text from the archives
            under a repository root.
    """
    path: str
    name: str
    render: Callable[[str], str]

    def markers(self):
        return (f'<!-- {self.name}:start -->\n', f'<!-- {self.name}:end -->')


def check_across(root: str) -> str:
    tasks = check_tasks(root)
    return across.table(tasks) + '\n\n' + across.pooled_pairs(
        tasks, CHECK_PAIRS)


def ssl_tables(root: str, archive: str = SSL_FIRST) -> str:
    records = ssl_records(root, archive)
    if not records:
        return f'`{archive}` holds no run yet.'
    return summarize_ssl(per_seed_of(records), machines_of(records))


def ssl_rerun_tables(root: str) -> str:
    return ssl_tables(root, SSL_RERUN)


# What the SSL readings compare: each SSL method against the start, the
# SynthPairs rows against the method they add to, the diagnostic rows
# against the default, and the two SSL methods with each other.
SSL_PAIRS = (('mocov2', 'start'), ('simsiam', 'start'), ('simsiam', 'mocov2'),
             ('synthpairs', 'mocov2'), ('synthpairs_simsiam', 'simsiam'),
             ('synthpairs_simsiam',
              'mocov2'), ('synthpairs_simsiam',
                          'synthpairs'), ('synthpairs_gradcam', 'mocov2'),
             ('synthpairs_lowvar', 'mocov2'), ('synthpairs_random', 'mocov2'),
             ('synthpairs_detach', 'mocov2'), ('synthpairs_gen0', 'mocov2'),
             ('synthpairs_gen0_rec0',
              'mocov2'), ('synthpairs_gradcam',
                          'synthpairs'), ('synthpairs_lowvar', 'synthpairs'),
             ('synthpairs_random',
              'synthpairs'), ('synthpairs_detach',
                              'synthpairs'), ('synthpairs_gen0', 'synthpairs'),
             ('synthpairs_gen0_rec0',
              'synthpairs'), ('synthpairs_gradcam',
                              'synthpairs_lowvar'), ('synthpairs_gen0_rec0',
                                                     'synthpairs_gen0'))

# The cheaper option against the default it would replace, and against
# the baseline both add to.
DETACH_PAIRS = (('synthpairs_detach', 'synthpairs'), ('synthpairs_detach',
                                                      'mocov2'))


def ssl_pair_table(root: str,
                   archive: str = SSL_FIRST,
                   pairs: Tuple[Tuple[str, str], ...] = SSL_PAIRS) -> str:
    records = ssl_records(root, archive)
    return ssl_pairs(per_seed_of(records), machines_of(records), pairs)


def campaign_table(root: str) -> str:
    """The one-machine rerun against the first campaign, row by row and
    seed by seed: whether a run made again on another machine repeats."""
    first = ssl_records(root, SSL_FIRST)
    return ssl_campaigns(
        per_seed_of(ssl_records(root, SSL_RERUN)), per_seed_of(first),
        machines_of(first), ('rerun', 'first campaign'))


# Each module against what it adds to, SSDP against the two controls and
# full CSDNet against the stock classifier and the longer schedule.
ABLATION_PAIRS = (('reweight', 'stock'), ('view', 'stock'), ('view',
                                                             'reweight'),
                  ('view_ssdt', 'view'), ('view_ssdt_aug_to_raw', 'view'),
                  ('view_ssdt', 'view_ssdt_aug_to_raw'), ('view_ddl', 'view'),
                  ('full', 'view'), ('full', 'stock'), ('view', 'stock_2x'),
                  ('full', 'stock_2x'), ('view', 'random_view'),
                  ('stock_2x', 'stock'), ('random_view', 'stock'))


def ablation_tables(root: str) -> str:
    per_unit = csdnet_units(root)
    return (summarize_suite('csdnet-ablation', per_unit) + '\n\n' +
            pooled_pairs(per_unit, ABLATION_PAIRS))


def stability_tables(root: str) -> str:
    per_unit = csdnet_units(root, 'csdnet-stability')
    stopped = [
        f'* {backbone}, {task}, seed {seed}, `{name}`: {record["collapse"]}'
        for (backbone, task, seed), runs in sorted(per_unit.items())
        for name, record in sorted(runs.items()) if record.get('collapse')
    ]
    text = summarize_suite('csdnet-stability', per_unit)
    if stopped:
        text += ('\n\nWhat `CollapseHook` found in each run it stopped (from '
                 'the run\'s record):\n\n' + '\n'.join(stopped))
    return text


# The CSDNet README's summary: the stock classifier, SSDP, the longer
# schedule and the full method, test top-1 per backbone and task.
CSDNET_RESULT_ROWS = (('stock', 'stock `ImageClassifier`'),
                      ('view', 'SSDP (re-weighting + view)'),
                      ('stock_2x', 'stock at 2× epochs'),
                      ('full', 'CSDNet (SSDP + DDL + SSDT)'))


def csdnet_results(root: str) -> str:
    per_unit = csdnet_units(root)
    rows = [(name, label) for name, label in CSDNET_RESULT_ROWS
            if all(name in runs for runs in per_unit.values())]
    lines = [
        '| backbone, task | seeds | ' +
        ' | '.join(label for _, label in rows) + ' |',
        '|---' * (len(rows) + 2) + '|'
    ]
    for backbone, task in sorted({(b, t) for b, t, _ in per_unit}):
        seeds = sorted(s for b, t, s in per_unit if (b, t) == (backbone, task))
        cells = [
            cell([
                per_unit[(backbone, task, s)][name]['metrics']['test/top1']
                for s in seeds
            ]) for name, _ in rows
        ]
        lines.append(f'| {backbone}, {task} | {seed_list(seeds)} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


CSDNET_PAIRS = (('view', 'stock'), ('full', 'stock'), ('view', 'stock_2x'),
                ('full', 'stock_2x'), ('view', 'random_view'))


def csdnet_pairs(root: str) -> str:
    return pooled_pairs(csdnet_units(root), CSDNET_PAIRS)


# The demo runs of the CSDNet README, by their archive keys.
CSDNET_DEMO_ROWS = (('resnet18_demo', 'stock `resnet18_demo.py`'),
                    ('csdnet_r18_demo', 'CSDNet, SSDP + SSDT '
                     '(`csdnet_r18_demo.py`)'), ('csdnet_r18_demo_ddl',
                                                 'CSDNet, SSDP + DDL + SSDT'))


def demo_table(root: str) -> str:
    """The archived demo runs: held-out top-1 at each evaluation, wall time
    and what ran beside each."""
    runs = demo_runs(root)
    lines = [
        '| run | options | top-1 at each evaluation (epoch: %) | wall | '
        'beside it |', '|---|---|---|---|---|'
    ]
    shown = []
    for key, label in CSDNET_DEMO_ROWS:
        record = runs.get(key)
        if record is None:
            continue
        shown.append(record)
        curve = ' / '.join(f'{line["step"]}: {line["accuracy/top1"]:.0f}'
                           for line in record['val_curve'][:-1])
        last = record['val_curve'][-1]
        curve += (f' / {last["step"]}: '
                  f'**{record["metrics"]["val/accuracy/top1"]:.1f}**')
        options = ' '.join(f'`{o}`' for o in record.get('options', ())) or '–'
        minutes, seconds = divmod(round(record['seconds']), 60)
        lines.append(f'| {label} | {options} | {curve} | {minutes} min '
                     f'{seconds} s | {record["note"]} |')
    return '\n'.join(lines) + '\n\n' + machines_line(shown)


# tools/benchmark.py results, in the order of the docs' cost table; the
# SynthPairs rows are also the table of its method page.
SYNTHPAIRS_STEP_RESULTS = tuple(
    osp.join(RESULTS, 'synthpairs_step', f'{name}.json')
    for name in ('mocov2_vs_synthpairs-default',
                 'mocov2_vs_synthpairs-detach_clean_generated',
                 'synthpairs-default_vs_detach_clean_generated'))
COST_RESULTS = tuple(
    osp.join(RESULTS, 'cpu_allocator', f'{pair}_{mode}.json')
    for pair in ('demo', 'r50')
    for mode in ('auto', 'glibc_nommap', 'off')) + SYNTHPAIRS_STEP_RESULTS


def _faults(count: float) -> str:
    return f'{count / 1000:.1f} k' if count >= 1000 else f'{count:.0f}'


def cost_table(root: str, results: Tuple[str, ...] = COST_RESULTS) -> str:
    """Each archived ``tools/benchmark.py --out`` result as one row."""
    lines = [
        '| A → B | batch, input | allocator in effect | train step A → B '
        '(ms) | train B/A (spread) | inference B/A | peak train memory '
        'B/A | extra parameters (% of A\'s backbone) | page faults / '
        'step A, B | file |', '|---' * 10 + '|'
    ]
    for path in results:
        with open(osp.join(root, path)) as f:
            result = json.load(f)
        a, b, ratio, setup = (result['a'], result['b'], result['ratio'],
                              result['setup'])
        step = ratio['train_step_s']
        names = ' → '.join(
            f'`{osp.basename(side["config"])}`' +
            ''.join(f' `{k}={v}`'
                    for k, v in setup.get(f'cfg_options_{key}', {}).items())
            for key, side in (('a', a), ('b', b)))
        lines.append(
            f'| {names} | {setup["batch_size"]}, '
            f'{"×".join(map(str, setup["input_size"]))} px | '
            f'{setup.get("allocator_in_effect", "not recorded")} | '
            f'{a["train_step_s"]["median"] * 1000:.1f} → '
            f'{b["train_step_s"]["median"] * 1000:.1f} | '
            f'{step["median"]:.3f} ({step["min"]:.3f}–{step["max"]:.3f}) | '
            f'{ratio["inference_s"]["median"]:.3f} | '
            f'{ratio["peak_train_bytes"]:.3f} | '
            f'{100 * result["extra_params_vs_a_backbone"]:.2f} | '
            f'{_faults(a["page_faults_per_step"])}, '
            f'{_faults(b["page_faults_per_step"])} | '
            f'`{osp.relpath(path, RESULTS)}` |')
    return '\n'.join(lines)


GPU_CHECK = osp.join(RESULTS, 'gpu_check_h200.md')


def gpu_check_summary(root: str) -> str:
    """From ``tools/gpu_check.py``'s archived summaries: each run's result
    and device line, then the benchmark table it printed."""
    with open(osp.join(root, GPU_CHECK)) as f:
        text = f.read()
    lines = []
    for section in text.split('\n## ')[1:]:
        title = section.splitlines()[0]
        device = [x for x in section.splitlines() if x.startswith('device:')]
        result = [x for x in section.splitlines() if x.startswith('result:')]
        if device and result:
            lines.append(f'* {title}: **{result[0][len("result: "):]}**; '
                         f'{device[0]}')
    table = text[text.rindex('\nBenchmarks ('):].strip().splitlines()
    rows = [x for x in table[1:] if x.startswith('|')]
    return '\n'.join(lines + ['', table[0], ''] + rows)


BLOCKS = (
    Block('README.md', 'measured', measured_table),
    Block('docs/benchmarks.md', 'cost-table', cost_table),
    Block('docs/benchmarks.md', 'gpu-check', gpu_check_summary),
    Block('docs/benchmarks.md', 'check-across', check_across),
    Block('docs/benchmarks.md', 'csdnet-ablation', ablation_tables),
    Block('docs/benchmarks.md', 'csdnet-stability', stability_tables),
    Block('docs/benchmarks.md', 'ssl-tables', ssl_tables),
    Block('docs/benchmarks.md', 'ssl-pairs', ssl_pair_table),
    Block('docs/benchmarks.md', 'ssl-rerun', ssl_rerun_tables),
    Block('docs/benchmarks.md', 'ssl-rerun-pairs',
          lambda root: ssl_pair_table(root, SSL_RERUN)),
    Block('docs/benchmarks.md', 'ssl-campaigns', campaign_table),
    Block('configs/csdnet/README.md', 'csdnet-results', csdnet_results),
    Block('configs/csdnet/README.md', 'csdnet-pairs', csdnet_pairs),
    Block('configs/csdnet/README.md', 'csdnet-demo', demo_table),
    Block('docs/methods/csdnet.md', 'loss-gradients', loss_gradient_table),
    Block('docs/methods/synthpairs.md', 'synthpairs-step',
          lambda root: cost_table(root, SYNTHPAIRS_STEP_RESULTS)),
    Block('docs/methods/synthpairs.md', 'synthpairs-diagnostics',
          diagnostics_table),
    Block('docs/methods/synthpairs.md', 'synthpairs-detach',
          lambda root: ssl_pair_table(root, SSL_RERUN, DETACH_PAIRS)),
)


def _span(text: str, block: Block, path: str):
    start, end = block.markers()
    if start not in text or end not in text:
        raise ValueError(f'{path}: markers {start.strip()} ... '
                         f'{end.strip()} not found: put them around the '
                         f'table {block.name} renders')
    a = text.index(start) + len(start)
    return a, text.index(end, a)  # the block's text ends with a newline


def stale(root: str) -> List[str]:
    """The blocks (``path#name``) whose committed text differs from what
    the archives give."""
    found = []
    for block in BLOCKS:
        path = osp.join(root, block.path)
        with open(path) as f:
            text = f.read()
        a, b = _span(text, block, path)
        if text[a:b] != block.render(root) + '\n':
            found.append(f'{block.path}#{block.name}')
    return found


def write(root: str) -> Dict[str, bool]:
    """Rewrite every block; ``{path#name: changed}``."""
    changed = {}
    for block in BLOCKS:
        path = osp.join(root, block.path)
        with open(path) as f:
            text = f.read()
        a, b = _span(text, block, path)
        new = text[:a] + block.render(root) + '\n' + text[b:]
        changed[f'{block.path}#{block.name}'] = new != text
        with open(path, 'w') as f:
            f.write(new)
    return changed
