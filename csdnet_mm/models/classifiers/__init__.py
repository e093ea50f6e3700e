from .csdnet import CSDNet

__all__ = ['CSDNet']
