"""Parameters and FLOPs of a model and of the path a deployed model runs."""
import copy
from typing import Optional

import torch
import torch.nn as nn
from mmpretrain.models import ImageClassifier


def count_parameters(module: Optional[nn.Module]) -> int:
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters())


class InferencePath(nn.Module):
    """What a deployed model runs on a preprocessed image batch: a
    classifier's backbone, neck and head (logits); otherwise (SSL
    algorithms) ``extract_feat``, the encoder that downstream tasks use."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor):
        if isinstance(self.model, ImageClassifier):
            return self.model.head(self.model.extract_feat(images))
        return self.model.extract_feat(images)


def flops(module: nn.Module, images: torch.Tensor) -> Optional[int]:
    """Forward FLOPs (multiply-adds counted once, as MMPretrain's
    ``get_flops``) of ``module`` on ``images``; None if it cannot be
    traced."""
    from mmengine.analysis import FlopAnalyzer
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(module, (images, ))
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            return int(analyzer.total())
    except Exception:  # noqa: BLE001 (tracing limits are not our errors)
        return None


def inference_parameters(model: nn.Module, images: torch.Tensor) -> int:
    """Parameters the inference path depends on, found by autograd (a copy
    of the model with every parameter trainable, one backward pass), so
    momentum encoders, decoders and training-only necks are not counted."""
    probe = copy.deepcopy(model).eval()
    for param in probe.parameters():
        param.requires_grad_(True)
        param.grad = None
    outputs = InferencePath(probe)(images)
    if torch.is_tensor(outputs):
        outputs = (outputs, )
    sum(o.float().sum() for o in outputs if torch.is_tensor(o)).backward()
    return sum(p.numel() for p in probe.parameters() if p.grad is not None)
