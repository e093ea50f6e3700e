from .feature_decoder import FeatureDecoder
from .memory_queue_neck import MemoryQueueNeck
from .pooled_batchnorm_neck import PooledBatchNormNeck
from .ssdp import SSDP, normalize_pattern

__all__ = [
    'FeatureDecoder', 'MemoryQueueNeck', 'PooledBatchNormNeck', 'SSDP',
    'normalize_pattern'
]
