from .nt_xent_loss import NTXentLoss
from .queue_contrastive_loss import QueueContrastiveLoss
from .ssdt_loss import SSDTLoss

__all__ = ['NTXentLoss', 'QueueContrastiveLoss', 'SSDTLoss']
