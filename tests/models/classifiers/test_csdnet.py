import copy

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.classifiers import CSDNet

init_default_scope('mmpretrain')

CHANNELS = 64
NUM_CLASSES = 5


def _cfg(**overrides):
    cfg = dict(
        type='CSDNet',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            base_channels=8,
            stem_channels=8,
            out_indices=(3, )),
        neck=dict(type='SSDP', in_channels=CHANNELS),
        head=dict(
            type='LinearClsHead',
            num_classes=NUM_CLASSES,
            in_channels=CHANNELS,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        queue_neck=dict(
            type='MemoryQueueNeck',
            in_channels=CHANNELS,
            queue_len=32,
            feat_dim=16),
        qc_loss=dict(type='QueueContrastiveLoss'),
        ssdt_loss=dict(type='SSDTLoss'),
        data_preprocessor=dict(
            type='ClsDataPreprocessor',
            num_classes=NUM_CLASSES,
            mean=[127.5] * 3,
            std=[64.] * 3,
            to_rgb=True))
    cfg.update(overrides)
    return cfg


def _batch(size=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(size, 3, 32, 32, generator=gen)
    labels = [i % NUM_CLASSES for i in range(size)]
    samples = [DataSample().set_gt_label(label) for label in labels]
    return inputs, samples, torch.tensor(labels)


def _build(**overrides):
    torch.manual_seed(0)
    model = MODELS.build(_cfg(**overrides))
    model.init_weights()
    return model


def test_inference_is_the_stock_image_classifier_path():
    assert CSDNet.predict is ImageClassifier.predict
    assert CSDNet.extract_feat is ImageClassifier.extract_feat
    assert CSDNet.forward is ImageClassifier.forward
    csdnet = _build().eval()
    stock_cfg = _cfg(type='ImageClassifier')
    for key in ('queue_neck', 'qc_loss', 'ssdt_loss'):
        stock_cfg.pop(key)
    stock = MODELS.build(stock_cfg).eval()
    missing, unexpected = stock.load_state_dict(
        csdnet.state_dict(), strict=False)
    assert not missing
    assert all(k.startswith('queue_neck.') for k in unexpected)
    inputs, samples, _ = _batch()
    with torch.no_grad():
        ours = csdnet.predict(inputs, copy.deepcopy(samples))
        theirs = stock.predict(inputs, copy.deepcopy(samples))
        feats = csdnet.extract_feat(inputs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.pred_score, b.pred_score)
    # The neck's output is the SSDP-re-weighted, pooled raw view.
    x = csdnet.backbone(inputs)[-1]
    expected = csdnet.neck.reweight(x, csdnet.neck.pattern_map(x))
    torch.testing.assert_close(feats[0], expected.mean(dim=(2, 3)))


def test_full_loss_terms_and_every_parameter_gets_gradient():
    model = _build().train()
    inputs, samples, _ = _batch()
    losses = model.loss(inputs, samples)
    assert {
        'loss_cls', 'loss_cls_aug', 'loss_qc', 'loss_ssdt', 'queue_fill',
        'mask_area', 'box_area', 'ssdp_degenerate'
    } <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    # find_unused_parameters=False in DDP needs every parameter used.
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert not unused


def test_queue_holds_both_views_of_the_batch_after_the_step():
    model = _build().train()
    inputs, samples, labels = _batch()
    queue = model.queue_neck
    losses = model.loss(inputs, samples)
    assert int(queue.queue_ptr) == 2 * len(labels)
    assert queue.queue_labels[:8].tolist() == labels.repeat(2).tolist()
    assert losses['queue_fill'].item() == pytest.approx(8 / 32)
    # Stored rows are unit vectors without gradient.
    norms = queue.queue[:8].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(8))
    assert not queue.queue.requires_grad


def test_store_views_raw_keeps_only_the_raw_view():
    model = _build(store_views='raw').train()
    inputs, samples, labels = _batch()
    model.loss(inputs, samples)
    assert int(model.queue_neck.queue_ptr) == len(labels)


def test_queue_loss_sees_the_queue_before_the_current_batch():
    model = _build(ssdt_loss=None).train()
    inputs, samples, _ = _batch()
    calls = []
    original = model.qc_loss.forward

    def spy(features, labels, queue, queue_labels):
        calls.append((queue_labels >= 0).sum().item())
        return original(features, labels, queue, queue_labels)

    model.qc_loss.forward = spy
    model.loss(inputs, samples)
    model.loss(inputs, samples)
    assert calls == [0, 8]


def test_scheduled_weights_scale_terms_but_keep_them_computed():
    model = _build().train()
    model.qc_scale = 0.0
    model.ssdt_scale = 0.0
    inputs, samples, _ = _batch()
    losses = model.loss(inputs, samples)
    assert losses['loss_qc'].item() == 0
    assert losses['loss_ssdt'].item() == 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # Scaled by 0, the queue term still reaches the projection (so DDP
    # sees it used), with a zero gradient.
    proj = model.queue_neck.projection.weight
    assert torch.equal(proj.grad, torch.zeros_like(proj))


def test_ssdp_inactive_trains_on_the_raw_view_only():
    model = _build().train()
    model.ssdp_active = False
    inputs, samples, _ = _batch()
    losses = model.loss(inputs, samples)
    assert 'loss_cls_aug' not in losses and 'loss_ssdt' not in losses
    assert int(model.queue_neck.queue_ptr) == 4


@pytest.mark.parametrize('parts, expected', [
    (dict(queue_neck=None,
          qc_loss=None), {'loss_cls', 'loss_cls_aug', 'loss_ssdt'}),
    (dict(neck=dict(type='GlobalAveragePooling'),
          ssdt_loss=None), {'loss_cls', 'loss_qc'}),
    (dict(ssdt_loss=None, queue_neck=None,
          qc_loss=None), {'loss_cls', 'loss_cls_aug'}),
])
def test_each_part_is_optional(parts, expected):
    model = _build(**parts).train()
    inputs, samples, _ = _batch()
    losses = model.loss(inputs, samples)
    assert {k for k in losses if 'loss' in k} == expected
    sum(v for k, v in losses.items() if 'loss' in k).backward()


def test_aug_cls_weight_scales_the_augmented_view_loss():
    inputs, samples, _ = _batch()
    full = _build().train().loss(inputs, samples)
    half = _build(aug_cls_weight=0.5).train().loss(inputs, samples)
    torch.testing.assert_close(half['loss_cls_aug'],
                               0.5 * full['loss_cls_aug'])


def test_keep_visuals_returns_the_batch_mask_and_view():
    model = _build().train()
    model.keep_visuals = True
    inputs, samples, _ = _batch()
    model.loss(inputs, samples)
    visuals = model.last_visuals
    assert visuals['images'].shape == inputs.shape
    assert visuals['view'].shape == inputs.shape
    assert visuals['mask'].shape == (4, 32, 32)
    assert visuals['pattern'].shape[:2] == (4, 1)


@pytest.mark.parametrize('parts, message', [
    (dict(neck=dict(type='GlobalAveragePooling')), 'needs neck'),
    (dict(qc_loss=None), 'set both or neither'),
    (dict(store_views='aug'), 'store_views'),
    (dict(train_cfg=dict(augments=dict(type='Mixup', alpha=0.8))),
     'hard labels'),
])
def test_inconsistent_parts_raise_clear_errors(parts, message):
    with pytest.raises(UserInputError, match=message):
        MODELS.build(_cfg(**parts))
