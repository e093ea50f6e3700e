from typing import Dict, List, Optional, Tuple

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...errors import UserInputError, check_choice


@MODELS.register_module()
class CSDNet(ImageClassifier):
    """CSDNet: contrastive self-distillation for ultra-fine-grained
    classification (arXiv:2311.06056; the method as implemented here is
    described in docs/methods/csdnet.md).

    Only training differs from :class:`ImageClassifier`: the raw view goes
    backbone -> SSDP neck -> head; SSDP's pattern map turns the batch into
    an augmented view that goes through the same network; then

    ``L = L_cls(raw) + aug_cls_weight * L_cls(aug) + alpha * L_qc
    + beta * L_ssdt``.

    ``extract_feat`` and ``predict`` are inherited unchanged, so inference
    is the raw view through the SSDP neck (re-weighting included). Every
    part is optional: without an ``SSDP`` neck there is no augmented view
    (nor ``loss_cls_aug``), without ``queue_neck`` no L_qc, without
    ``ssdt_loss`` no L_ssdt. ``SSDPHook`` drives ``ssdp_active``,
    ``qc_scale`` and ``ssdt_scale`` from the runner's iteration.

    Args:
        backbone (dict): Backbone; its last output must be a feature map.
        neck (dict, optional): Usually ``SSDP``; any other neck (e.g.
            ``GlobalAveragePooling``) trains without the augmented view.
        head (dict, optional): Classification head.
        queue_neck (dict, optional): ``MemoryQueueNeck`` (DDL projection and
            queue); its ``in_channels`` is the pooled feature size.
        qc_loss (dict, optional): ``QueueContrastiveLoss`` (alpha is its
            ``loss_weight``). Needs ``queue_neck``.
        ssdt_loss (dict, optional): ``SSDTLoss`` (beta is its
            ``loss_weight``). Needs an ``SSDP`` neck.
        aug_cls_weight (float): w_aug, weight of the augmented view's
            classification loss. Defaults to 1.0.
        store_views (str): What the queue stores: ``'both'`` views or the
            ``'raw'`` view only. Defaults to ``'both'``.
        pretrained, train_cfg, data_preprocessor, init_cfg: As in
            :class:`ImageClassifier`.
    """

    STORE_VIEWS = ('both', 'raw')

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 queue_neck: Optional[dict] = None,
                 qc_loss: Optional[dict] = None,
                 ssdt_loss: Optional[dict] = None,
                 aug_cls_weight: float = 1.0,
                 store_views: str = 'both',
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        check_choice('CSDNet', 'store_views', store_views, self.STORE_VIEWS)
        if ssdt_loss is not None and not self.with_ssdp:
            raise UserInputError(
                'CSDNet: ssdt_loss distils the SSDP view into the raw view, '
                'so it needs neck=dict(type="SSDP", ...); the neck is '
                f'{type(self.neck).__name__ if self.with_neck else None}. '
                'Add an SSDP neck or set ssdt_loss=None.')
        if (qc_loss is None) != (queue_neck is None):
            raise UserInputError(
                'CSDNet: queue_neck and qc_loss work together (the loss '
                'contrasts against the queue); set both or neither.')
        if queue_neck is not None and (train_cfg or {}).get('augments'):
            raise UserInputError(
                'CSDNet: train_cfg.augments (Mixup/CutMix) makes soft '
                'labels, but the queue-contrastive loss needs hard labels. '
                'Remove train_cfg.augments or the queue.')
        self.queue_neck = MODELS.build(queue_neck) if queue_neck else None
        self.qc_loss = MODELS.build(qc_loss) if qc_loss else None
        self.ssdt_loss = MODELS.build(ssdt_loss) if ssdt_loss else None
        self.aug_cls_weight = aug_cls_weight
        self.store_views = store_views
        # Set every iteration by SSDPHook from runner.iter, so they need no
        # checkpointing and resume is exact.
        self.ssdp_active = True
        self.qc_scale = 1.0
        self.ssdt_scale = 1.0
        # SSDPHook asks for the last view on the iterations it draws.
        self.keep_visuals = False
        self.last_visuals: Optional[Dict[str, torch.Tensor]] = None

    @property
    def with_ssdp(self) -> bool:
        return self.with_neck and hasattr(self.neck, 'make_view')

    def _forward_view(
        self, inputs: torch.Tensor
    ) -> Tuple[Tuple[torch.Tensor], torch.Tensor, Optional[torch.Tensor]]:
        """(neck features, logits, pattern map or None) of one view."""
        x = self.backbone(inputs)
        pattern = None
        if self.with_ssdp:
            feats, pattern = self.neck.forward_with_pattern(x)
            feats = (feats, )
        elif self.with_neck:
            feats = self.neck(x)
        else:
            feats = x
        return feats, self.head(feats), pattern

    def _cls_loss(self, logits: torch.Tensor, data_samples: List[DataSample],
                  suffix: str, weight: float) -> Dict[str, torch.Tensor]:
        # ClsHead's private ``_get_loss(cls_score, data_samples)`` on
        # purpose: the public ``head.loss(feats, data_samples)`` runs the
        # head's forward itself, but the logits are needed here as well
        # (SSDT distils the augmented view's logits into the raw view's),
        # so the public call would run the head twice per view -- extra
        # cost, and a head with dropout would give the classification and
        # the SSDT losses different logits. ``_get_loss`` is what
        # ``ClsHead.loss`` calls (soft ``gt_score`` from batch augments,
        # accuracy with ``cal_acc``); MMPretrain 1.2.0 defines it on
        # ``ClsHead`` (and so its subclasses) and ``MultiLabelClsHead``.
        losses = self.head._get_loss(logits, data_samples)
        renamed = {}
        for key, value in losses.items():
            if key == 'loss':
                renamed['loss_cls' + suffix] = value * weight
            else:
                renamed[key + suffix] = value
        return renamed

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        if not isinstance(inputs, torch.Tensor):
            return super().loss(inputs, data_samples)

        feats, logits, pattern = self._forward_view(inputs)
        losses = self._cls_loss(logits, data_samples, '', 1.0)
        if pattern is not None:
            gate = torch.sigmoid(pattern.detach().float())
            losses['gate_mean'] = gate.mean()
            losses['gate_min'] = gate.min()

        aug = None
        if pattern is not None and self.ssdp_active:
            view, stats, mask = self.neck.make_view(
                inputs, pattern, return_mask=True)
            losses.update(stats)
            aug = self._forward_view(view)
            losses.update(
                self._cls_loss(aug[1], data_samples, '_aug',
                               self.aug_cls_weight))
            if self.ssdt_loss is not None:
                losses['loss_ssdt'] = self.ssdt_scale * self.ssdt_loss(
                    logits, aug[1])
            if self.keep_visuals:
                self.last_visuals = dict(
                    images=inputs.detach(),
                    pattern=pattern.detach(),
                    mask=mask,
                    view=view)

        if self.queue_neck is not None:
            labels = torch.cat([s.gt_label for s in data_samples])
            embeddings = [self.queue_neck(feats)]
            if aug is not None:
                embeddings.append(self.queue_neck(aug[0]))
            anchors = torch.cat(embeddings)
            anchor_labels = labels.repeat(len(embeddings))
            # The loss sees the queue as it was before this batch.
            losses['loss_qc'] = self.qc_scale * self.qc_loss(
                anchors, anchor_labels, self.queue_neck.queue.clone(),
                self.queue_neck.queue_labels.clone())
            stored = anchors if self.store_views == 'both' \
                else embeddings[0]
            self.queue_neck.enqueue(stored.detach(),
                                    anchor_labels[:len(stored)])
            losses['queue_fill'] = anchors.new_tensor(
                self.queue_neck.fill_ratio)
        return losses
