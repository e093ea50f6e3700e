import math

import pytest

from csdnet_mm.benchmarks.stats import Paired, paired, recommend, t95


def test_paired_interval_is_the_student_t_interval_of_the_mean():
    d = paired([3.0, 5.0, 7.0], [1.0, 2.0, 3.0])  # differences 2, 3, 4
    assert d.values == (2.0, 3.0, 4.0)
    assert d.mean == 3.0 and d.sd == 1.0
    assert d.half_width == pytest.approx(4.303 / math.sqrt(3))
    assert d.low == pytest.approx(3.0 - 4.303 / math.sqrt(3))
    assert str(d) == '+3.00 ± 1.00 (95 % CI +0.52..+5.48)'
    assert Paired((1.0, )).half_width == math.inf
    assert t95(1) == 12.706 and t95(30) == 2.042 and t95(31) == 1.96
    with pytest.raises(ValueError):
        paired([1.0], [1.0, 2.0])


STOCK = [60.0, 62.0, 58.0, 61.0, 59.0, 60.0]


def _shift(values, by):
    return [v + b for v, b in zip(values, by)]


def test_helps_when_a_variant_is_above_stock_and_the_controls():
    results = dict(
        stock=STOCK,
        stock_2x=_shift(STOCK, [0, 1, -1, 0, 1, -1]),
        ssdp=_shift(STOCK, [4, 5, 3, 4, 6, 4]),
        full=_shift(STOCK, [2, 3, 1, 2, 2, 2]))
    verdict = recommend(results, 'stock', ['ssdp', 'full'], ['stock_2x'])
    assert (verdict.kind, verdict.variant) == ('helps', 'ssdp')
    assert verdict.text.startswith('use ssdp: +4.33')


def test_extra_compute_when_a_control_does_as_well():
    results = dict(
        stock=STOCK,
        stock_2x=_shift(STOCK, [4, 5, 4, 4, 5, 4]),
        ssdp=_shift(STOCK, [4, 5, 3, 4, 6, 4]))
    verdict = recommend(results, 'stock', ['ssdp'], ['stock_2x'])
    assert (verdict.kind, verdict.variant) == ('extra-compute', 'stock_2x')
    assert 'use stock_2x' in verdict.text


def test_hurts_when_every_variant_is_below_stock():
    results = dict(
        stock=STOCK,
        ssdp=_shift(STOCK, [-3, -4, -2, -3, -5, -3]),
        full=_shift(STOCK, [-1, -2, -1, -2, -1, -1]))
    verdict = recommend(results, 'stock', ['ssdp', 'full'])
    assert (verdict.kind, verdict.variant) == ('hurts', 'stock')
    assert 'down to ssdp: -3.33' in verdict.text


def test_no_difference_when_intervals_straddle_zero():
    results = dict(
        stock=STOCK,
        ssdp=_shift(STOCK, [3, -2, 4, -3, 1, -1]),
        full=_shift(STOCK, [-4, -2, -1, -2, -1, -1]))
    verdict = recommend(results, 'stock', ['ssdp', 'full'])
    assert (verdict.kind, verdict.variant) == ('no-difference', 'stock')
    assert 'best, ssdp: +0.33' in verdict.text


def test_across_tasks_sorts_by_the_worst_task(tmp_path):
    from csdnet_mm.benchmarks import across
    tasks = {
        'a': dict(stock=[60, 62], ssdp=[70, 70], full=[61, 63]),
        'b': dict(stock=[50, 50], ssdp=[48, 48], full=[51, 52])
    }
    paths = []
    for name, scores in tasks.items():
        paths.append(str(tmp_path / f'{name}.json'))
        with open(paths[-1], 'w') as f:
            f.write(__import__('json').dumps(dict(scores=scores)))
    lines = across.table(across.load(paths)).splitlines()
    assert lines[0] == '| variant − stock | a | b | worst task | mean over ' \
        'tasks |'
    # full: +1 / +1.5, worst +1; ssdp: +9 / -2, worst -2 despite its mean.
    assert lines[2] == ('| full | +1.00 ± 0.00 (n = 2) | +1.50 ± 0.71 '
                        '(n = 2) | +1.00 | +1.25 |')
    assert lines[3].startswith('| ssdp | +9.00') and lines[3].endswith(
        '| -2.00 | +3.50 |')
    pooled = across.pooled_pairs(across.load(paths), [('ssdp', 'full')])
    # ssdp - full over the 4 units: 9, 7, -3, -4.
    assert pooled.splitlines()[2] == (
        '| ssdp − full | +2.25 ± 6.70 (95 % CI -8.41..+12.91) | 4 | 2 |')
