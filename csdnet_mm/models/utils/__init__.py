from .gather import gather_padded

__all__ = ['gather_padded']
