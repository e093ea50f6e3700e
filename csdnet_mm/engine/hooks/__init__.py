from .collapse_hook import CollapseHook
from .embedding_collapse_hook import EmbeddingCollapseHook
from .generated_pairs_hook import GeneratedPairsHook
from .model_visuals_hook import ModelVisualsHook
from .non_finite_loss_hook import NonFiniteLossHook
from .rng_state_hook import RNGStateHook
from .ssdp_hook import SSDPHook

__all__ = [
    'CollapseHook', 'EmbeddingCollapseHook', 'GeneratedPairsHook',
    'ModelVisualsHook', 'NonFiniteLossHook', 'RNGStateHook', 'SSDPHook'
]
