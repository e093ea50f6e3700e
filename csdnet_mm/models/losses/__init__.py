from .queue_contrastive_loss import QueueContrastiveLoss
from .ssdt_loss import SSDTLoss

__all__ = ['QueueContrastiveLoss', 'SSDTLoss']
