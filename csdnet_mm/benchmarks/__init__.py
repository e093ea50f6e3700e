"""Benchmark machinery the tools share: validation folds, variants of a
stock config, paired statistics and the per-dataset CSDNet check."""
from .check import Check, CheckPlan
from .stats import Paired, Recommendation, paired, recommend
from .variants import Variant, default_variants

__all__ = [
    'Check', 'CheckPlan', 'Paired', 'Recommendation', 'Variant',
    'default_variants', 'paired', 'recommend'
]
