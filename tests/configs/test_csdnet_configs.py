"""CSDNet configs: they build, differ from their baselines only by the
method, and every option of docs/methods/csdnet.md is reachable from a
config."""
import ast
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import HOOKS, MODELS
from mmpretrain.structures import DataSample

from conftest import REPO_ROOT

init_default_scope('mmpretrain')

# One config per subset; the SynthPairs-initialised variant
# (csdnet_resnet50_synthpairs-pre_*.py) is tested with the SynthPairs
# configs.
CSDNET_R50 = sorted(
    osp.relpath(p, REPO_ROOT) for p in glob.glob(
        osp.join(REPO_ROOT, 'configs', 'csdnet', 'csdnet_resnet50_*.py'))
    if '_synthpairs-pre_' not in p)
DEMO = osp.join(REPO_ROOT, 'configs', 'demo',
                'csdnet_resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo.py')
METHOD_KEYS = {
    'type', 'neck', 'queue_neck', 'qc_loss', 'ssdt_loss', 'aug_cls_weight',
    'store_views'
}


def _load(path):
    return Config.fromfile(osp.join(REPO_ROOT, path))


def _subset(path):
    """'cotton80' of csdnet_resnet50_1xb8-160e_cotton80-384px.py, as the
    baselines spell it (soyageing_r1)."""
    data = osp.basename(path)[:-3].split('_')[-1]
    return data.rsplit('-', 1)[0].replace('-', '_')


def _full_method_demo():
    """The demo config with DDL added back, as its comment shows."""
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict(
        dict(
            model=dict(
                queue_neck=dict(type='MemoryQueueNeck', in_channels=256),
                qc_loss=dict(type='QueueContrastiveLoss'))))
    return cfg


def test_one_csdnet_config_per_subset_and_stage():
    names = {_subset(p) for p in CSDNET_R50}
    assert names == {
        'cotton80', 'soylocal', 'soygene', 'soyglobal', 'cub', 'soyageing_r1',
        'soyageing_r3', 'soyageing_r4', 'soyageing_r5', 'soyageing_r6'
    }


@pytest.mark.parametrize('path', CSDNET_R50)
def test_csdnet_config_is_its_baseline_plus_the_method(path):
    cfg = _load(path).to_dict()
    base = _load(
        osp.join('configs', 'baselines',
                 f'resnet50_{_subset(path)}.py')).to_dict()
    changed = {k for k in set(cfg) | set(base) if cfg.get(k) != base.get(k)}
    assert changed <= {'model', 'optim_wrapper', 'custom_hooks'}
    model_changed = {
        k
        for k in set(cfg['model']) | set(base['model'])
        if cfg['model'].get(k) != base['model'].get(k)
    }
    assert model_changed <= METHOD_KEYS
    assert cfg['model']['head'] == base['model']['head']
    assert cfg['model']['backbone'] == base['model']['backbone']
    assert cfg['custom_hooks'][0]['type'] == 'SSDPHook'
    keys = cfg['optim_wrapper'].get('paramwise_cfg', {}).get('custom_keys')
    base_keys = base['optim_wrapper'].get('paramwise_cfg',
                                          {}).get('custom_keys')
    if base_keys:  # UFG protocol: new layers at the head's multiplier.
        assert keys == {**base_keys, 'neck': base_keys['head']}
    else:  # CUB recipe: one learning rate for every layer.
        assert cfg['optim_wrapper'] == base['optim_wrapper']


def _assigned(path):
    """{name: value node} of a config file's top-level assignments."""
    with open(osp.join(REPO_ROOT, path)) as f:
        body = ast.parse(f.read()).body
    return {
        target.id: node.value
        for node in body if isinstance(node, ast.Assign)
        for target in node.targets
    }


@pytest.mark.parametrize('path', CSDNET_R50)
def test_method_part_is_written_once(path):
    """The method part (SSDPHook, the neck's multiplier) lives in
    configs/_base_/csdnet_method*.py; a config states only its own delta,
    and SoyAgeing R3-R6 (CSDNet and baseline) are R1 on other images."""
    assigned = _assigned(path)
    assert not {'custom_hooks', 'optim_wrapper'} & set(assigned)
    bases = ast.literal_eval(assigned['_base_'])
    stage = _subset(path)
    if stage.startswith('soyageing_r') and stage != 'soyageing_r1':
        r1 = osp.basename(path).replace(stage[-2:], 'r1')
        assert bases == f'./{r1}'
        baseline = f'configs/baselines/resnet50_{stage}.py'
        assert ast.literal_eval(
            _assigned(baseline)['_base_']) == './resnet50_soyageing_r1.py'
        assert set(_assigned(baseline)) == set(assigned) == {
            '_base_', 'data_root', 'train_dataloader', 'val_dataloader',
            'test_dataloader'
        }
    else:
        assert any(osp.basename(b).startswith('csdnet_method')
                   for b in bases), bases
        assert set(assigned) == {'_base_', 'model'}


@pytest.mark.parametrize('path', [
    'configs/csdnet/csdnet_resnet50_1xb8-160e_cotton80-384px.py',
    'configs/csdnet/csdnet_resnet50_8xb8-100e_cub-448px.py'
])
def test_r50_config_builds_with_spec_parameter_count(path):
    cfg = _load(path)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    count = sum(p.numel() for p in model.neck.parameters())
    assert count == 467_712  # dynamic kernel, r=16, C_b=64
    assert sum(p.numel() for p in model.queue_neck.parameters()) == 262_272


@pytest.mark.slow
def test_swin_mixin_config_runs_a_training_step():
    """CSDNet on MMPretrain's own Swin-L CUB config via `mmpretrain::`."""
    cfg = _load('configs/csdnet/swin-large_csdnet_cub-384px.py')
    assert cfg.model.backbone.type == 'SwinTransformer'
    assert cfg.visualizer == dict(
        type='UniversalVisualizer',
        vis_backends=[dict(type='LocalVisBackend')])
    cfg.model.backbone.init_cfg = None
    # 96 px instead of 384 keeps the CPU step short; Swin then needs to pad
    # its 3x3 last-stage map to the 12x12 window.
    cfg.model.backbone.pad_small_map = True
    model = MODELS.build(cfg.model).train()
    samples = [DataSample().set_gt_label(label) for label in (0, 199)]
    losses = model.loss(torch.randn(2, 3, 96, 96), samples)
    assert {'loss_cls', 'loss_cls_aug', 'loss_qc', 'loss_ssdt'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.neck.kernel_generator[0].weight.grad.abs().sum() > 0
    HOOKS.build(cfg.custom_hooks[0])


# (config key, value, where it lands in the built model)
SPEC_OPTIONS = [
    ('model.neck.kernel_type', 'per_location', 'neck.kernel_type'),
    ('model.neck.kernel_size', 5, 'neck.kernel_size'),
    ('model.neck.hidden_ratio', 8, 'neck.kernel_generator.0.out_features'),
    ('model.neck.reduce_channels', None, 'neck.reduce.__class__.__name__'),
    ('model.neck.pattern_norm', 'none', 'neck.pattern_norm'),
    ('model.neck.reweight', 'residual', 'neck.reweight_mode'),
    ('model.neck.threshold', 'fixed', 'neck.threshold'),
    ('model.neck.fixed_threshold', 0.3, 'neck.fixed_threshold'),
    ('model.neck.threshold', 'random', 'neck.threshold'),
    ('model.neck.random_threshold', (0.3, 0.7), 'neck.random_threshold'),
    ('model.neck.view_mode', 'keep', 'neck.view_mode'),
    ('model.neck.view_mode', 'erase', 'neck.view_mode'),
    ('model.neck.box_padding', 0.1, 'neck.box_padding'),
    ('model.neck.min_box_frac', 0.5, 'neck.min_box_frac'),
    ('model.aug_cls_weight', 0.5, 'aug_cls_weight'),
    ('model.queue_neck.feat_dim', 64, 'queue_neck.feat_dim'),
    ('model.queue_neck.proj_type', 'mlp',
     'queue_neck.projection.2.out_features'),
    ('model.queue_neck.proj_type', 'identity', 'queue_neck.feat_dim'),
    ('model.queue_neck.queue_len', 256, 'queue_neck.queue_len'),
    ('model.store_views', 'raw', 'store_views'),
    ('model.qc_loss.margin', 0.6, 'qc_loss.margin'),
    ('model.qc_loss.use_batch', False, 'qc_loss.use_batch'),
    ('model.qc_loss.reduction', 'balanced', 'qc_loss.reduction'),
    ('model.qc_loss.loss_weight', 0.5, 'qc_loss.loss_weight'),  # alpha
    ('model.ssdt_loss.temperature', 2.0, 'ssdt_loss.temperature'),
    ('model.ssdt_loss.direction', 'symmetric', 'ssdt_loss.direction'),
    ('model.ssdt_loss.loss_weight', 0.25, 'ssdt_loss.loss_weight'),  # beta
]


@pytest.mark.parametrize(
    'key, value, attribute',
    SPEC_OPTIONS,
    ids=[f'{k}={v}' for k, v, _ in SPEC_OPTIONS])
def test_every_spec_option_is_reachable_from_a_config(key, value, attribute):
    cfg = _full_method_demo()
    cfg.merge_from_dict({key: value})
    model = MODELS.build(cfg.model).train()
    target = model
    for part in attribute.split('.'):
        target = (
            target[int(part)] if part.isdigit() else getattr(target, part))
    # Where an option does not land as its own value, what it builds.
    expected = {
        'model.neck.hidden_ratio': 256 // 8,  # C / r hidden units
        'model.neck.reduce_channels': 'Identity',  # no 1x1 reduction
        'model.queue_neck.proj_type': 128,  # MLP C -> 512 -> feat_dim
    }.get(key, value)
    if key.endswith('proj_type') and value == 'identity':
        expected = 256  # the pooled feature itself
    assert target == expected
    # A small batch keeps the 26 cases short; every option's code path runs.
    samples = [DataSample().set_gt_label(label) for label in (0, 1)]
    losses = model.loss(torch.randn(2, 3, 32, 32), samples)
    sum(v for k, v in losses.items() if 'loss' in k).backward()


def test_hook_schedule_options_are_reachable_from_a_config():
    cfg = Config.fromfile(DEMO)
    cfg.custom_hooks[0].update(
        start=2, ramp=3, by_epoch=True, vis_interval=0, vis_images=2)
    hook = HOOKS.build(cfg.custom_hooks[0])
    assert (hook.start, hook.ramp, hook.by_epoch, hook.vis_interval,
            hook.vis_images) == (2, 3, True, 0, 2)
