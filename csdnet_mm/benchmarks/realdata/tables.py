"""Markdown tables of the suites' results: mean ± sample std over the
seeds with each seed's value, and paired differences."""
import statistics
from typing import Callable, Dict, Hashable, Iterable, List, Optional, Tuple

from ..stats import Paired, mean_sd, paired
from . import definitions as defs


def mean_std(values: List[float]) -> str:
    """'mean ± sample std' (n - 1 in the denominator), 2 decimals; the value
    alone for one seed."""
    return f'{values[0]:.2f}' if len(values) == 1 else mean_sd(values)


def summarize(per_seed: Dict[int, Dict[str, Dict[str, float]]]) -> str:
    """A markdown table: mean +- std over the seeds, then each seed."""
    seeds = sorted(per_seed)
    seeds_text = seed_list(seeds)

    def values(run: str, key: str) -> List[float]:
        return [per_seed[s][run][key] for s in seeds]

    def cell_of(run: str, key: str) -> str:
        return cell(values(run, key))

    lines = [
        f'Seeds {seeds_text}; mean ± sample std (per-seed values).', '',
        '| 10-shot fine-tuning | test top-1 (%) |', '|---|---|'
    ]
    for run, label in defs.CLASSIFIER_ROWS:
        lines.append(f'| {label} | {cell_of(run, "accuracy/top1")} |')
    lines += [
        '',
        '| encoder | ' + ' | '.join(m[2] for m in defs.ENCODER_METRICS) + ' |',
        '|---' * (len(defs.ENCODER_METRICS) + 1) + '|'
    ]
    for encoder, label in defs.ENCODER_ROWS:
        cells = [
            cell_of(f'{encoder}_{run}', key)
            for run, key, _ in defs.ENCODER_METRICS
        ]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def cell(values: List[float]) -> str:
    """'mean ± std (each value)'."""
    return f'{mean_std(values)} (' + ' / '.join(f'{v:.1f}'
                                                for v in values) + ')'


def seed_list(seeds: List[int]) -> str:
    return ' / '.join(map(str, seeds))


def summarize_suite(suite: str, per_unit: Dict[Tuple[str, str, int],
                                               Dict]) -> str:
    """Markdown tables, one per backbone and task: mean ± sample std over
    the seeds with each seed's value; the ablation also gives each row's
    paired difference to the stock classifier.

    Args:
        suite (str): ``csdnet-ablation`` or ``csdnet-stability``.
        per_unit (dict): ``{(backbone, task, seed): {run: record}}``; a
            record has ``metrics`` (``val/top1``, ``test/top1``) or
            ``collapsed_at``.
    """
    units = sorted({(b, t) for b, t, _ in per_unit})
    # The rows every unit has (``--runs`` may have narrowed a call).
    rows = [
        r for r in defs.suite_rows(suite)
        if all(r.name in u for u in per_unit.values())
    ]
    ablation = suite == 'csdnet-ablation'
    lines = []
    for backbone, task in units:
        seeds = sorted(s for b, t, s in per_unit if (b, t) == (backbone, task))
        results = [per_unit[(backbone, task, s)] for s in seeds]
        lines += [
            '', f'**{backbone}, {task}** — seeds ' + seed_list(seeds) +
            '; mean ± sample std (per-seed values)', ''
        ]
        if ablation:
            lines += [
                '| run | val top-1 (%) | test top-1 (%) | '
                'test − stock (paired) |', '|---|---|---|---|'
            ]
        else:
            lines += ['| run | val top-1 (%) |', '|---|---|']
        for row in rows:
            records = [r[row.name] for r in results]
            collapsed = [r for r in records if 'collapsed_at' in r]
            if collapsed:
                its = ', '.join(str(int(r['collapsed_at'])) for r in collapsed)
                cells = [
                    f'collapsed on {len(collapsed)} of {len(records)} '
                    f'seeds (stopped at iteration {its})'
                ]
                if ablation:
                    cells += ['–', '–']
            else:
                cells = [cell([r['metrics']['val/top1'] for r in records])]
                if ablation:
                    test = [r['metrics']['test/top1'] for r in records]
                    cells.append(cell(test))
                    if all('metrics' in r.get('stock', {}) for r in results):
                        stock = [
                            r['stock']['metrics']['test/top1'] for r in results
                        ]
                        cells.append(
                            cell([a - b for a, b in zip(test, stock)]))
                    else:  # --runs left the stock classifier out
                        cells.append('–')
            lines.append(f'| {row.label} | ' + ' | '.join(cells) + ' |')
    if ablation and len(units) > 1:
        lines += overall_rows(rows, units, per_unit)
    return '\n'.join(lines).strip()


def overall_rows(rows, units, per_unit) -> List[str]:
    """One table over every backbone and task: each row's validation
    top-1 averaged over the units (each unit's mean over its seeds, so every
    task weighs the same), the row defaults are chosen on; and its paired
    test difference to the stock classifier over every unit and seed."""

    def unit_mean(name, key, unit):
        return statistics.mean(r[name]['metrics'][key]
                               for (b, t, _), r in per_unit.items()
                               if (b, t) == unit)

    lines = [
        '', f'**All {len(units)} backbone × task units** — validation '
        'top-1 averaged over the units (each unit its mean over the '
        'seeds); paired test difference to stock over every unit and '
        'seed', '', '| run | val top-1, mean over units (%) | '
        'test − stock, all runs (mean ± std, n) |', '|---|---|---|'
    ]
    for row in rows:
        if any('collapsed_at' in r[row.name] for r in per_unit.values()):
            lines.append(f'| {row.label} | collapsed in some runs | – |')
            continue
        val = statistics.mean(
            unit_mean(row.name, 'val/top1', u) for u in units)
        if not all('metrics' in r.get('stock', {}) for r in per_unit.values()):
            lines.append(f'| {row.label} | {val:.2f} | – |')
            continue
        diffs = [
            r[row.name]['metrics']['test/top1'] -
            r['stock']['metrics']['test/top1'] for r in per_unit.values()
        ]
        lines.append(f'| {row.label} | {val:.2f} | {mean_std(diffs)}, '
                     f'n = {len(diffs)} |')
    return lines


def unit_metrics(record: Dict) -> Dict[str, float]:
    """A CSDNet suite record's metrics (none for a collapsed run)."""
    return record.get('metrics', {})


def paired_over(
    groups: Dict[Hashable, Dict[str, Dict]],
    a: str,
    b: str,
    key: str,
    metrics_of: Callable[[Dict], Dict[str, float]] = dict,
) -> Tuple[List[Hashable], Optional[Paired]]:
    """The groups (units or seeds: ``{group: {run: record}}``) whose runs
    ``a`` and ``b`` both have metric ``key``, and the paired difference
    a − b over them (None when no group has both). ``metrics_of`` reads a
    record's metrics (the SSL suite's per-seed rows are metrics already;
    a CSDNet suite record: ``unit_metrics``)."""
    both = [
        g for g in sorted(groups) if key in metrics_of(groups[g].get(a, {}))
        and key in metrics_of(groups[g].get(b, {}))
    ]
    if not both:
        return both, None
    return both, paired([metrics_of(groups[g][a])[key] for g in both],
                        [metrics_of(groups[g][b])[key] for g in both])


def pooled_pairs(per_unit: Dict[Tuple[str, str, int], Dict],
                 pairs: List[Tuple[str, str]]) -> str:
    """For each (a, b): the paired difference a − b on validation (what a
    choice is made on) and on test, over every unit and seed that ran
    both; mean ± sd, 95 % t interval, n, and how many are above zero."""
    lines = [
        '| a − b, every unit and seed | validation top-1 | '
        'test top-1 | n | a above b (val / test) |', '|---|---|---|---|---|'
    ]
    for a, b in pairs:
        diffs = [
            paired_over(per_unit, a, b, key, unit_metrics)[1]
            for key in ('val/top1', 'test/top1')
        ]
        if None in diffs:
            continue
        above = [str(sum(v > 0 for v in diff.values)) for diff in diffs]
        lines.append(f'| {a} − {b} | ' + ' | '.join(map(str, diffs)) +
                     f' | {diffs[0].n} | ' + ' / '.join(above) + ' |')
    return '\n'.join(lines)


def per_unit_of(runs: Dict[str, Dict]) -> Dict[Tuple[str, str, int], Dict]:
    """An archive's records (``RunArchive.runs()``) by (backbone, task,
    seed), then run."""
    per_unit: Dict[Tuple[str, str, int], Dict] = {}
    for record in runs.values():
        unit = (record['backbone'], record['task'], record['seed'])
        per_unit.setdefault(unit, {})[record['run']] = record
    return per_unit


def machine_letters(labels: Iterable[str]) -> Dict[str, str]:
    """A letter per machine label, in the labels' sorted order, so that a
    machine has the same letter in every table over the same machines."""
    return {
        label: chr(ord('A') + i)
        for i, label in enumerate(sorted(set(labels)))
    }


def summarize_ssl(per_seed: Dict[int, Dict[str, Dict[str, float]]],
                  machines: Optional[Dict[int, Dict[str, str]]] = None) -> str:
    """Markdown tables: each encoder's linear top-1 at the three label
    fractions and retrieval over the seeds it has results for; the paired
    linear differences of the SynthPairs rows to the SSL method they add to
    (MoCo v2, SimSiam) and of the diagnostic rows to their method's default
    (SynthPairs-MoCo); then the same linear tables on the validation split,
    the figures options and defaults are chosen by.

    ``machines`` ({seed: {row: label}}) names the machine of each run: one
    line when every run had the same, otherwise a column of per-seed
    letters (a paired row's: the row's, then its baseline's)."""
    letters = machine_letters(
        label for rows in (machines or {}).values() for label in rows.values())
    labels_used = list(letters)
    machine_column = len(labels_used) > 1

    def where(seeds: List[int], names: Tuple[str, ...]) -> str:
        return ' / '.join(''.join(letters[machines[s][n]] for n in names)
                          for s in seeds)

    def table(first_column: str,
              metrics: List[Tuple[str, str]],
              rows: List[Tuple[str, str]],
              baseline: Optional[str] = None) -> List[str]:
        """(label, run) rows, each over the seeds where the run (and the
        baseline it is paired with) has every metric; [] if none."""
        names = () if baseline is None else (baseline, )
        lines = []
        for label, name in rows:
            seeds = [
                s for s in sorted(per_seed)
                if all(key in per_seed[s].get(n, {}) for n in (name, ) + names
                       for key, _ in metrics)
            ]
            if seeds:
                lines.append(f'| {label} | ' + ' | '.join(
                    cell([
                        per_seed[s][name][key] -
                        (per_seed[s][baseline][key] if baseline else 0.0)
                        for s in seeds
                    ]) for key, _ in metrics) + f' | {seed_list(seeds)} |' +
                             (f' {where(seeds, (name, ) + names)} |'
                              if machine_column else ''))
        if not lines:
            return []
        extra = ' machine |' if machine_column else ''
        return [
            '', f'| {first_column} | ' + ' | '.join(m[1] for m in metrics) +
            ' | seeds |' + extra, '|---' *
            (len(metrics) + 2 + machine_column) + '|'
        ] + lines

    labels = {r.name: r.label for r in defs.SSL_ROWS}
    linear = [m for m in defs.SSL_METRICS if m[0].startswith('linear')]
    validation = [(f'linear{p}/val', f'linear {p} % (val)')
                  for p in defs.SSL_LINEAR]
    every_row = [(r.label, r.name) for r in defs.SSL_ROWS]
    # Each SynthPairs row against the SSL method it adds to; a diagnostic
    # row (its method's config with an option changed) also against that
    # method's default.
    paired: Dict[str, List[Tuple[str, str]]] = {}
    for row in defs.SSL_ROWS:
        baselines = [defs.SSL_BASELINES.get(row.method)]
        if row.method in defs.SSL_BASELINES and row.name != row.method:
            baselines.append(row.method)
        for baseline in filter(None, baselines):
            paired.setdefault(baseline, []).append((row.label, row.name))
    lines = [
        'Mean ± sample std over the seeds of the column "seeds" '
        '(per-seed values, in that order); test split.'
    ]
    if machine_column:
        lines.append('Machines (column "machine": per seed, in the same '
                     'order; a paired row gives its run\'s letter, then its '
                     'baseline\'s): ' +
                     '; '.join(f'{letter} = {label}'
                               for label, letter in letters.items()) + '.')
    elif labels_used:
        lines.append(f'Every run: {labels_used[0]}.')
    lines += table('encoder', defs.SSL_METRICS, every_row)
    val_lines = table('encoder', validation, every_row)
    for baseline, rows in paired.items():
        title = f'encoder − {labels[baseline]} (paired)'
        lines += table(title, linear, rows, baseline)
        val_lines += table(title, validation, rows, baseline)
    if val_lines:
        lines += [
            '', 'Validation split (options and defaults are chosen '
            'on it), linear top-1.'
        ] + val_lines
    return '\n'.join(lines)


def ssl_pairs(per_seed: Dict[int, Dict[str, Dict[str, float]]],
              machines: Dict[int, Dict[str, str]],
              pairs: List[Tuple[str, str]]) -> str:
    """For each (a, b): the paired difference a − b over the seeds that ran
    both, per metric: mean, 95 % t interval and how many seeds are above
    zero; the validation columns are what options are chosen on. The last
    column counts the seeds whose two runs share a machine."""
    labels = {r.name: r.label for r in defs.SSL_ROWS}
    metrics = ([(f'linear{p}/test', f'linear {p} % (test)')
                for p in defs.SSL_LINEAR] + [('retrieval/rank1', 'rank-1'),
                                             ('retrieval/mAP', 'mAP')] +
               [(f'linear{p}/val', f'linear {p} % (val)')
                for p in defs.SSL_LINEAR])
    lines = [
        '| a − b | ' + ' | '.join(m[1] for m in metrics) +
        ' | seeds | same machine |', '|---' * (len(metrics) + 3) + '|'
    ]
    for a, b in pairs:
        seeds = [
            s for s in sorted(per_seed)
            if a in per_seed[s] and b in per_seed[s]
        ]
        if not seeds:
            continue
        cells = []
        for key, _ in metrics:
            have, diff = paired_over(per_seed, a, b, key)
            if len(have) < len(seeds):
                cells.append('–')
                continue
            interval = ('' if diff.n < 2 else
                        f' ({diff.low:+.1f}..{diff.high:+.1f})')
            above = sum(v > 0 for v in diff.values)
            cells.append(f'{diff.mean:+.2f}{interval}, {above}/{diff.n}')
        same = sum(machines[s][a] == machines[s][b] for s in seeds)
        lines.append(f'| {labels[a]} − {labels[b]} | ' + ' | '.join(cells) +
                     f' | {seed_list(seeds)} | {same} of {len(seeds)} |')
    return '\n'.join(lines)


def ssl_campaigns(
    later: Dict[int, Dict[str, Dict[str, float]]],
    earlier: Dict[int, Dict[str, Dict[str, float]]],
    earlier_machines: Dict[int, Dict[str, str]],
    names: Tuple[str, str] = ('later', 'earlier')
) -> str:
    """How far one archive's runs are from another's of the same row and
    seed: per row, the difference later − earlier on each test metric over
    the seeds both hold (mean ± std, per-seed values) and each of those
    seeds' machine in the earlier archive (a letter, explained below the
    table); ``names`` name the two archives in the header. Validation is
    left out: a campaign that fixed the split changed its figures by
    design."""
    metrics = [m for m in defs.SSL_METRICS if m[0] != 'retrieval/rank5']
    lines = [
        f'| row: {names[0]} − {names[1]} | ' +
        ' | '.join(m[1] for m in metrics) + f' | seeds | {names[1]}\'s '
        'machine |', '|---' * (len(metrics) + 3) + '|'
    ]
    shared = []
    for row in defs.SSL_ROWS:
        seeds = [
            s for s in sorted(later)
            if s in earlier and row.name in later[s] and row.name in earlier[s]
        ]
        if seeds:
            shared.append((row, seeds))
    letters = machine_letters(earlier_machines[s][row.name]
                              for row, seeds in shared for s in seeds)
    for row, seeds in shared:
        cells = [
            cell([
                later[s][row.name][key] - earlier[s][row.name][key]
                for s in seeds
            ]) for key, _ in metrics
        ]
        where = [letters[earlier_machines[s][row.name]] for s in seeds]
        lines.append(f'| {row.label} | ' + ' | '.join(cells) +
                     f' | {seed_list(seeds)} | {" / ".join(where)} |')
    if not letters:
        return 'The two archives hold no run of one row and seed in common.'
    return '\n'.join(lines) + f'\n\nMachines of the {names[1]}: ' + '; '.join(
        f'{letter} = {label}' for label, letter in letters.items()) + '.'
