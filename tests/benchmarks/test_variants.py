import pytest
from mmengine.config import Config

from csdnet_mm.benchmarks.variants import (RANDOM_VIEW, STOCK, STOCK_2X,
                                           CSDNetParts, apply_variant,
                                           csdnet_variants, queue_length,
                                           scale_schedule, set_epochs)
from csdnet_mm.errors import UserInputError


def _cfg():
    return Config(
        dict(
            model=dict(
                type='ImageClassifier',
                backbone=dict(type='ResNet'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead')),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
            train_cfg=dict(by_epoch=True, max_epochs=30, val_interval=30),
            param_scheduler=[
                dict(type='LinearLR', begin=0, end=5, by_epoch=True),
                dict(type='MultiStepLR', milestones=[10, 20], by_epoch=True),
                dict(type='CosineAnnealingLR', T_max=30, begin=0, end=30)
            ],
            custom_hooks=[dict(type='EMAHook')]))


PARTS = CSDNetParts(in_channels=512, train_images=40, batch_size=16)
VARIANTS = {v.name: v for v in csdnet_variants()}


def test_stock_is_the_config_and_2x_doubles_loop_and_schedulers():
    cfg = _cfg()
    assert apply_variant(cfg, STOCK, None).to_dict() == cfg.to_dict()
    doubled = apply_variant(cfg, STOCK_2X, None)
    assert doubled.train_cfg.max_epochs == 60
    assert doubled.train_cfg.val_interval == 60
    linear, steps, cosine = doubled.param_scheduler
    assert (linear.begin, linear.end) == (0, 10)
    assert steps.milestones == [20, 40]
    assert (cosine.T_max, cosine.end) == (60, 60)
    assert cfg.train_cfg.max_epochs == 30  # the input is left alone


def test_set_epochs_scales_the_schedule_and_needs_epochs():
    cfg = _cfg()
    set_epochs(cfg, 15)
    assert cfg.train_cfg.max_epochs == 15
    assert cfg.param_scheduler[2].T_max == 15
    iters = Config(dict(train_cfg=dict(max_iters=100)))
    with pytest.raises(UserInputError, match='max_epochs'):
        set_epochs(iters, 10)
    scale_schedule(iters, 2)
    assert iters.train_cfg.max_iters == 200


def test_full_variant_is_csdnet_with_every_part_and_the_queue_rule():
    full = apply_variant(_cfg(), VARIANTS['full'], PARTS)
    assert full.model.type == 'CSDNet'
    assert full.model.neck.to_dict() == dict(type='SSDP', in_channels=512)
    assert full.model.queue_neck.queue_len == 80  # both views of 40
    assert full.model.qc_loss.type == 'QueueContrastiveLoss'
    assert full.model.ssdt_loss.type == 'SSDTLoss'
    assert full.custom_hooks[-1].to_dict() == dict(
        type='SSDPHook', vis_interval=0)
    assert full.custom_hooks[0].type == 'EMAHook'
    assert 'csdnet_mm' in full.custom_imports.imports
    assert 'paramwise_cfg' not in full.optim_wrapper


def test_neck_multiplier_and_parts_per_variant():
    ten = apply_variant(_cfg(), VARIANTS['ssdp_neck10x'], PARTS)
    assert ten.optim_wrapper.paramwise_cfg.custom_keys.neck.lr_mult == 10.0
    assert 'queue_neck' not in ten.model and 'ssdt_loss' not in ten.model
    ssdt = apply_variant(_cfg(), VARIANTS['ssdp_ssdt'], PARTS)
    assert 'ssdt_loss' in ssdt.model and 'queue_neck' not in ssdt.model


def test_random_view_control_has_no_reweighting_and_random_boxes():
    cfg = apply_variant(_cfg(), RANDOM_VIEW, PARTS)
    assert cfg.model.neck.to_dict() == dict(
        type='SSDP', in_channels=512, reweight='none', box_placement='random')
    assert 'queue_neck' not in cfg.model and 'ssdt_loss' not in cfg.model


def test_queue_holds_one_epoch_capped_and_at_least_a_step():
    assert queue_length(40, 16) == 80  # both views of every image
    assert queue_length(40, 16, views=1) == 40
    assert queue_length(8, 16) == 32
    assert queue_length(5000, 16) == 1024
    assert queue_length(5000, 16, cap=256) == 256


def test_extra_rows_change_one_default_each():
    from csdnet_mm.benchmarks.variants import EXTRA_VARIANTS
    rows = {
        v.name: apply_variant(_cfg(), v, PARTS).model
        for v in EXTRA_VARIANTS
    }
    assert rows['full_queue1024'].queue_neck.queue_len == 1024
    assert rows['full_ssdt0.5'].ssdt_loss.loss_weight == 0.5
    assert rows['full_ssdt2'].ssdt_loss.loss_weight == 2.0
    assert rows['full_box0.5'].neck.min_box_frac == 0.5
    assert 'loss_weight' not in rows['full_box0.5'].ssdt_loss
