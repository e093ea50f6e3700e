from .ssdp_hook import SSDPHook

__all__ = ['SSDPHook']
