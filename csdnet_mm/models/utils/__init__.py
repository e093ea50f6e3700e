from .bn_stats import preserved_bn_stats
from .feature_perturbation import FeaturePerturbation, minmax_normalize
from .gather import all_gather_with_grad, gather_padded

__all__ = [
    'FeaturePerturbation', 'all_gather_with_grad', 'gather_padded',
    'minmax_normalize', 'preserved_bn_stats'
]
