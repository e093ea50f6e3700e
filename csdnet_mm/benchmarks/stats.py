"""Paired differences over seeds and folds, and the verdict drawn from them.

One definition of the spread for every table: the sample standard
deviation (n - 1), with a two-sided 95 % Student-t interval of the mean.
"""
import math
import statistics
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(df: int) -> float:
    """Two-sided 95 % quantile of Student's t with ``df`` degrees of
    freedom (the normal 1.96 beyond 30)."""
    if df < 1:
        raise ValueError(f't95: degrees of freedom must be >= 1, got {df}')
    return _T95[df - 1] if df <= len(_T95) else 1.96


@dataclass(frozen=True)
class Paired:
    """Mean of paired differences ``values`` with its 95 % interval."""
    values: tuple

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.mean(self.values)

    @property
    def sd(self) -> float:
        return statistics.stdev(self.values) if self.n > 1 else 0.0

    @property
    def half_width(self) -> float:
        """Half the 95 % interval; infinite for a single pair."""
        if self.n < 2:
            return math.inf
        return t95(self.n - 1) * self.sd / math.sqrt(self.n)

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def __str__(self) -> str:
        interval = ('n = 1, no interval' if self.n < 2 else
                    f'95 % CI {self.low:+.2f}..{self.high:+.2f}')
        return f'{self.mean:+.2f} ± {self.sd:.2f} ({interval})'


def paired(a: Sequence[float], b: Sequence[float]) -> Paired:
    """Differences ``a[i] - b[i]`` of two runs on the same units."""
    if len(a) != len(b) or not a:
        raise ValueError(f'paired: need equal, non-empty lists, got '
                         f'{len(a)} and {len(b)} values')
    return Paired(tuple(x - y for x, y in zip(a, b)))


def mean_sd(values: Sequence[float]) -> str:
    """``mean ± sample sd`` with two decimals."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} ± {sd:.2f}'


@dataclass(frozen=True)
class Recommendation:
    """The check's verdict: ``kind`` is ``'helps'``, ``'extra-compute'``,
    ``'no-difference'`` or ``'hurts'``; ``variant`` is what to train."""
    kind: str
    variant: str
    text: str


def recommend(
        results: Dict[str, List[float]],
        baseline: str,
        candidates: Sequence[str],
        controls: Sequence[str] = (),
) -> Recommendation:
    """Choose what to train from validation scores on shared units.

    ``results`` maps each variant to its score per unit (fold x seed, the
    same order for every variant). A candidate *helps* when the 95 %
    interval of its paired difference to ``baseline`` lies above 0; the
    best such candidate (highest mean difference) is recommended only if it
    also lies above every control that ran (the stock classifier given the
    same passes or the same kind of second view): otherwise its gain is
    extra compute or augmentation and the best control is recommended.
    When every candidate's interval lies below 0 CSDNet *hurts*; otherwise
    nothing separates and the baseline, the cheapest, is recommended.
    """
    base = results[baseline]
    diffs = {
        name: paired(results[name], base)
        for name in candidates if name in results
    }
    if not diffs:
        raise ValueError('recommend: none of the candidates has results')
    helping = [name for name, d in diffs.items() if d.low > 0]
    if helping:
        best = max(helping, key=lambda name: diffs[name].mean)
        ran = [c for c in controls if c in results]
        beaten = {c: paired(results[best], results[c]) for c in ran}
        unbeaten = [c for c, d in beaten.items() if d.low <= 0]
        if not unbeaten:
            return Recommendation(
                'helps', best,
                f'use {best}: {diffs[best]} points over {baseline}' +
                ''.join(f'; {beaten[c]} over {c}' for c in ran))
        control = max(unbeaten, key=lambda c: statistics.mean(results[c]))
        return Recommendation(
            'extra-compute', control,
            f'{best} beats {baseline} ({diffs[best]}) but not {control} '
            f'({beaten[control]}): its gain is what {control} gets without '
            f'CSDNet; use {control}')
    if all(d.high < 0 for d in diffs.values()):
        worst = min(diffs, key=lambda name: diffs[name].mean)
        return Recommendation(
            'hurts', baseline,
            f'use {baseline}: every CSDNet variant is below it (down to '
            f'{worst}: {diffs[worst]})')
    best: Optional[str] = max(diffs, key=lambda name: diffs[name].mean)
    return Recommendation(
        'no-difference', baseline,
        f'use {baseline}: no variant separates from it (best, {best}: '
        f'{diffs[best]}); more folds or seeds narrow the interval')
