from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


@contextmanager
def preserved_bn_stats(*modules: nn.Module) -> Iterator[None]:
    """Restore BN running statistics after the block.

    For an auxiliary forward pass (e.g. the Grad-CAM scoring pass) that must
    use train-mode batch statistics, as the training pass does, without
    moving the running statistics that inference relies on.
    """
    saved = []
    for module in modules:
        for bn in module.modules():
            if isinstance(bn, _BatchNorm) and bn.track_running_stats:
                saved.append(
                    (bn, bn.running_mean.clone(), bn.running_var.clone(),
                     bn.num_batches_tracked.clone()))
    try:
        yield
    finally:
        # Through `.data`: BN's backward holds the running-statistics
        # tensors of earlier passes and refuses a bumped version counter,
        # though it never reads them in train mode.
        for bn, mean, var, tracked in saved:
            bn.running_mean.data.copy_(mean)
            bn.running_var.data.copy_(var)
            bn.num_batches_tracked.data.copy_(tracked)
