from .memory_queue_neck import MemoryQueueNeck

__all__ = ['MemoryQueueNeck']
