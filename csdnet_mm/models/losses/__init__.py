from .ssdt_loss import SSDTLoss

__all__ = ['SSDTLoss']
