"""The printed reports of ``tools/benchmark.py``: the comparison table and
the ``--profile`` breakdown."""


def format_profile(profile: dict) -> str:
    """The ``--profile`` report printed after the table."""
    lines = [
        f"Profile (torch.profiler, {profile['time']} per operator, one "
        'call each after warm-up)'
    ]
    for kind, label in (('train_step', 'train step'), ('inference',
                                                       'inference')):
        part = profile[kind]
        ratio = 'n/a' if part['ratio'] is None else f"{part['ratio']:.3f}"
        lines.append(f"{label}: A {part['total_a_s'] * 1e3:.1f} ms, B "
                     f"{part['total_b_s'] * 1e3:.1f} ms, B/A {ratio}; "
                     'largest B - A:')
        width = max([len(row['op']) for row in part['top']] + [8])
        for row in part['top']:
            delta = (row['b_s'] - row['a_s']) * 1e3
            share = (f"{row['b_s'] / row['a_s']:.2f}x"
                     if row['a_s'] else 'B only')
            lines.append(f"  {row['op'].ljust(width)}  A "
                         f"{row['a_s'] * 1e3:9.1f} ms  B "
                         f"{row['b_s'] * 1e3:9.1f} ms  B-A {delta:+9.1f} ms"
                         f'  ({share})')
    return '\n'.join(lines)


def format_table(results: dict) -> str:
    """The printed report: one row per measure, A, B, B/A and spread."""

    def seconds(summary):
        return f"{summary['median'] * 1e3:.1f} ms ±{summary['std'] * 1e3:.1f}"

    def count(value, unit=''):
        if value is None:
            return 'n/a'
        for scale, suffix in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
            if abs(value) >= scale:
                return f'{value / scale:.2f} {suffix}{unit}'
        return f'{value} {unit}'.strip()

    def ratio(value):
        return 'n/a' if value is None else f'{value:.3f}'

    a, b, r = results['a'], results['b'], results['ratio']
    rows = [('measure', 'A', 'B', 'B/A', 'B/A spread (min-max, per rep)')]
    for name, label in (('train_step_s', 'train step (median)'),
                        ('inference_s', 'inference (median)')):
        rows.append((label, seconds(a[name]), seconds(b[name]),
                     ratio(r[name]['median']),
                     f"{r[name]['min']:.3f}-{r[name]['max']:.3f}"))
    if 'page_faults_per_step' in a:
        fa, fb = a['page_faults_per_step'], b['page_faults_per_step']
        rows.append(('minor page faults / train step', count(round(fa)),
                     count(round(fb)), ratio(fb / fa if fa else None), ''))
    rows.append(('peak train memory', count(a['peak_train_bytes'], 'B'),
                 count(b['peak_train_bytes'],
                       'B'), ratio(r['peak_train_bytes']), ''))
    for name, label in (('params', 'parameters (all)'),
                        ('params_inference', 'parameters (inference)'),
                        ('params_backbone', 'parameters (backbone)'),
                        ('flops_backbone', 'FLOPs backbone (1 image)'),
                        ('flops_inference', 'FLOPs inference (1 image)')):
        rows.append(
            (label, count(a[name]), count(b[name]), ratio(r.get(name)), ''))
    rows.append(('queue/bank updates, share of a step',
                 f"{a['state_update_share'] * 100:.2f} %",
                 f"{b['state_update_share'] * 100:.2f} %", '', ''))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        '  '.join(cell.ljust(width) for cell, width in zip(row, widths))
        for row in rows
    ]
    lines.insert(1, '  '.join('-' * w for w in widths))
    extra = results['extra_params_vs_a_backbone']
    lines.append(f"A = {a['config']}")
    lines.append(f"B = {b['config']}")
    if extra is not None:
        lines.append('B inference parameters beyond A: '
                     f'{extra * 100:.2f} % of A\'s backbone')
    return '\n'.join(lines)
