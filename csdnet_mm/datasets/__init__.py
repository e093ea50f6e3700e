from .demo_data import ensure_demo_ufg, generate_demo_ufg
from .fashion_mnist_fewshot import prepare_fashion_mnist_fewshot
from .label_subset import LabelSubsetDataset
from .ufg import UFG_NUM_CLASSES, UFGDataset
from .ufg_demo import UFGDemoDataset

__all__ = [
    'LabelSubsetDataset', 'UFGDataset', 'UFGDemoDataset', 'UFG_NUM_CLASSES',
    'ensure_demo_ufg', 'generate_demo_ufg', 'prepare_fashion_mnist_fewshot'
]
