import copy
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...errors import UserInputError


@MODELS.register_module()
class EmbeddingRetriever(BaseModel):
    """An evaluation-only model that turns images into retrieval embeddings.

    ``predict`` sets ``embedding`` (the L2-normalised pooled feature, a 1-D
    tensor) on every data sample, which is what
    :class:`~csdnet_mm.evaluation.LeaveOneOutRetrieval` reads. The model
    has no head and no loss: train with another config, then evaluate its
    checkpoint with this one.

    Loading weights: the module names are ``backbone`` and ``neck`` as in
    ``ImageClassifier`` and ``MoCo``, so ``tools/test.py CONFIG CHECKPOINT``
    with a MoCo / SynthPairs / classifier checkpoint loads ``backbone.*``
    directly; the test tool loads with ``strict=False``, so extra keys
    (``encoder_k.*``, ``decoder.*``, a projection neck, queues, heads) are
    only logged as unexpected. Alternatively give the backbone
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
    Keep ``neck`` parameter-free (pooling) when the checkpoint's neck is a
    projection you do not want to evaluate.

    Args:
        backbone (dict): The backbone config.
        neck (dict, optional): The neck config; its last output must be
            (N, d). Defaults to ``dict(type='GlobalAveragePooling')``.
        data_preprocessor (dict, optional): The data preprocessor config;
            the type defaults to ``'ClsDataPreprocessor'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = dict(type='GlobalAveragePooling'),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = copy.deepcopy(data_preprocessor) or {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        elif not isinstance(data_preprocessor, nn.Module):
            raise TypeError('data_preprocessor should be a `dict` or '
                            '`nn.Module` instance, but got '
                            f'{type(data_preprocessor)}')
        super().__init__(
            init_cfg=init_cfg, data_preprocessor=data_preprocessor)

        if not isinstance(backbone, nn.Module):
            backbone = MODELS.build(backbone)
        if neck is not None and not isinstance(neck, nn.Module):
            neck = MODELS.build(neck)
        self.backbone = backbone
        self.neck = neck

        # Same hook as ImageClassifier, for backbones that rename
        # third-party checkpoint keys.
        if hasattr(self.backbone, '_checkpoint_filter'):
            self._register_load_state_dict_pre_hook(
                self.backbone._checkpoint_filter)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Return the pooled features (N, d) of the last neck output."""
        x = self.backbone(inputs)
        if self.neck is not None:
            x = self.neck(x)
        if isinstance(x, (tuple, list)):
            x = x[-1]
        if x.dim() != 2:
            raise UserInputError(
                'EmbeddingRetriever: the features are '
                f'{tuple(x.shape)}, not (N, d); set '
                "neck=dict(type='GlobalAveragePooling') to pool them.")
        return x

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """``'tensor'``: pooled features (N, d), not normalised;
        ``'predict'``: data samples with ``embedding``. ``'loss'`` is not
        supported (evaluation-only model)."""
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            raise UserInputError(
                'EmbeddingRetriever is an evaluation-only model and has no '
                'loss. Train a model with another config (e.g. a MoCo / '
                'SynthPairs or classifier config), then evaluate its '
                'checkpoint with this config via tools/test.py CONFIG '
                'CHECKPOINT, or load the backbone with '
                "init_cfg=dict(type='Pretrained', checkpoint=..., "
                "prefix='backbone.').")
        raise RuntimeError(f'Invalid mode "{mode}".')

    def predict(
            self,
            inputs: torch.Tensor,
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """Set ``embedding`` (L2-normalised, detached, on CPU) on each data
        sample; new :class:`DataSample` objects are made if none are
        given."""
        feats = F.normalize(self.extract_feat(inputs).float(), dim=1)
        feats = feats.detach().cpu()
        if data_samples is None:
            data_samples = [DataSample() for _ in range(feats.size(0))]
        for data_sample, feat in zip(data_samples, feats):
            data_sample.set_field(feat, 'embedding')
        return data_samples
