from .memory_queue_neck import MemoryQueueNeck
from .ssdp import SSDP, normalize_pattern

__all__ = ['MemoryQueueNeck', 'SSDP', 'normalize_pattern']
