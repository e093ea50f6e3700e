from .memory_queue_neck import MemoryQueueNeck
from .ssdp import SSDP

__all__ = ['MemoryQueueNeck', 'SSDP']
