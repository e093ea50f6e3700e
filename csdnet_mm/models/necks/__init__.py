from .feature_decoder import FeatureDecoder
from .memory_queue_neck import MemoryQueueNeck
from .ssdp import SSDP, normalize_pattern

__all__ = ['FeatureDecoder', 'MemoryQueueNeck', 'SSDP', 'normalize_pattern']
