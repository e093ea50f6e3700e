"""SynthPairs real-data configs (docs/methods/synthpairs.md): they parse,
their models build, stage 2 is its MoCo v2 / SimSiam baseline plus the
SynthPairs delta only, and the stages and evaluations point at each other.

Building is cheap (no init_weights, so no download); each distinct model
type is built once, the other configs are only parsed.
"""
import copy
import glob
import inspect
import os.path as osp

import mmpretrain
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, HOOKS, MODELS
from mmpretrain.structures import DataSample

import csdnet_mm  # noqa: F401  (registers the plugin's modules)
from conftest import REPO_ROOT
from test_csdnet_configs import _load

init_default_scope('mmpretrain')

MMPRETRAIN_CONFIGS = osp.join(
    osp.dirname(mmpretrain.__file__), '.mim', 'configs')

# name in file names -> (dataset base, class, data_root, SSL/linear train
# split, classes)
DATASET_INFO = {
    'cub': ('cub', 'CUB', 'data/CUB_200_2011', 'train', 200),
    'cars':
    ('stanford_cars', 'StanfordCars', 'data/stanfordcars', 'train', 196),
    'aircraft':
    ('fgvc_aircraft', 'FGVCAircraft', 'data/fgvc_aircraft', 'trainval', 100),
}
NAMES = list(DATASET_INFO)

SP = 'configs/synthpairs/'
BENCH = SP + 'benchmarks/'
BASELINE = 'configs/baselines/{}_resnet50_4xb32-coslr-100e_{}.py'
DECODER = SP + 'synthpairs-decoder_resnet50_4xb32-adam-200e_{}.py'
STAGE2 = SP + 'synthpairs-{}_resnet50_4xb32-coslr-100e_{}.py'
LINEAR = BENCH + 'resnet50_linear-steplr-100e_{}{}.py'
RETRIEVAL = BENCH + 'resnet50_retrieval_{}.py'
CSDNET_COTTON80 = 'configs/csdnet/csdnet_resnet50_1xb8-160e_cotton80-384px.py'
CHAIN = ('configs/csdnet/'
         'csdnet_resnet50_synthpairs-pre_1xb8-160e_cotton80-384px.py')
SSL_DATA = 'configs/_base_/datasets/{}_mocov2_bs32_224.py'
METHODS = ('mocov2', 'simsiam')

ALL_CONFIGS = sorted(
    [SSL_DATA.format(DATASET_INFO[n][0]) for n in NAMES] +
    [BASELINE.format(m, n) for m in METHODS
     for n in NAMES] + [DECODER.format(n) for n in NAMES + ['cotton80']] +
    [STAGE2.format(m, n) for m in METHODS
     for n in NAMES] + [STAGE2.format('mocov2', 'cotton80')] +
    [LINEAR.format(n, p) for n in NAMES for p in ('', '_50pct', '_20pct')] +
    [RETRIEVAL.format(n) for n in NAMES] + [CHAIN] + [
        'configs/_base_/schedules/ssl_sgd_coslr_100e.py',
        'configs/_base_/schedules/simsiam_sgd_coslr_100e.py',
        'configs/_base_/models/mocov2_resnet50.py',
        'configs/_base_/models/simsiam_resnet50.py',
        'configs/_base_/schedules/decoder_adam_200e.py',
        'configs/_base_/models/synthpairs-decoder_resnet50.py',
        'configs/_base_/models/synthpairs-mocov2_resnet50.py',
        'configs/_base_/models/synthpairs-simsiam_resnet50.py',
    ])
SSL_CONFIGS = [
    c for c in ALL_CONFIGS
    if c.startswith(('configs/baselines', SP + 'synthpairs-'))
]

# Keys of the SynthPairs delta: model arguments and top-level variables.
SYNTHPAIRS_MODEL_KEYS = {
    'type', 'decoder', 'perturbation', 'gen_loss', 'rec_weight', 'gen_weight',
    'gen_grad_to_decoder', 'gen_source', 'gradcam_positive', 'gen_loss_type',
    'keep_bn_stats'
}
SYNTHPAIRS_VARIABLES = {'stage1_checkpoint'}


def _changed(a: dict, b: dict) -> set:
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def _option(part: dict, name: str):
    """``part[name]``, or the registered module's default where the config
    leaves it out."""
    if name in part:
        return part[name]
    return inspect.signature(MODELS.get(
        part['type']).__init__).parameters[name].default


def _clean_resize(pipeline: list) -> list:
    """The transforms of the clean image in a stage-1 or stage-2 pipeline."""
    multiview = [t for t in pipeline if t['type'] == 'MultiView']
    if multiview:
        return multiview[0]['transforms'][1]
    return [t for t in pipeline if t['type'] == 'Resize']


def _built_model(cfg):
    """Build `cfg.model` as the Runner does (top-level preprocessor)."""
    model_cfg = copy.deepcopy(cfg.model)
    if 'data_preprocessor' in cfg:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(model_cfg)


def test_config_list_is_complete():
    on_disk = {
        osp.relpath(p, REPO_ROOT)
        for pattern in ('configs/synthpairs/*.py',
                        'configs/synthpairs/benchmarks/*.py',
                        'configs/baselines/mocov2_*.py',
                        'configs/baselines/simsiam_*.py')
        for p in glob.glob(osp.join(REPO_ROOT, pattern))
    }
    assert on_disk <= set(ALL_CONFIGS)


@pytest.mark.parametrize('path', ALL_CONFIGS)
def test_config_parses_and_names_real_arguments(path):
    """Every model part's keys are arguments of its registered class, so
    a typo cannot wait for the first GPU run to surface."""
    cfg = _load(path)
    if 'model' not in cfg:
        return

    def check(part, where):
        if not isinstance(part, dict):
            return
        cls = MODELS.get(part.get('type', '')) if 'type' in part else None
        if cls is not None:
            params = inspect.signature(cls.__init__).parameters
            if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
                unknown = set(part) - set(params) - {'type', '_scope_'}
                assert not unknown, f'{where}: {cls.__name__} has no {unknown}'
        for key, value in part.items():
            check(value, f'{where}.{key}')

    check(cfg.model.to_dict(), 'model')


def test_ssl_data_is_mocov2_augmentation_on_each_dataset(tmp_path):
    ref = Config.fromfile(
        osp.join(MMPRETRAIN_CONFIGS,
                 '_base_/datasets/imagenet_bs32_mocov2.py'))
    # StanfordCars checks its annotation file before the lazy init.
    (tmp_path / 'cars_annos.mat').touch()
    for name, (base, cls, root, split, _) in DATASET_INFO.items():
        cfg = _load(SSL_DATA.format(base))
        assert cfg.view_pipeline == ref.view_pipeline
        assert cfg.train_pipeline == ref.train_pipeline
        assert cfg.data_preprocessor == ref.data_preprocessor
        assert cfg.clean_pipeline == [dict(type='Resize', scale=(224, 224))]
        loader = cfg.train_dataloader
        assert (loader.batch_size, loader.num_workers) == (32, 8)
        assert loader.persistent_workers and loader.drop_last
        assert (loader.dataset.type, loader.dataset.data_root,
                loader.dataset.split) == (cls, root, split)
        # The class accepts the split (checked before any file is read).
        dataset = copy.deepcopy(loader.dataset.to_dict())
        dataset.update(lazy_init=True, pipeline=[])
        if cls == 'StanfordCars':
            dataset['data_root'] = str(tmp_path)
        assert len(DATASETS.build(dataset).metainfo['classes']) == \
            DATASET_INFO[name][4]


@pytest.mark.parametrize('name', NAMES)
def test_baselines_are_stock_mmpretrain_with_the_paper_protocol(name):
    ref = Config.fromfile(
        osp.join(MMPRETRAIN_CONFIGS,
                 'mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'))
    moco = _load(BASELINE.format('mocov2', name))
    for part in ('neck', 'head'):
        assert moco.model[part] == ref.model[part]
    assert {
        k: moco.model[k]
        for k in ('type', 'queue_len', 'feat_dim', 'momentum')
    } == dict(
        type='MoCo', queue_len=65536, feat_dim=128, momentum=0.001)
    assert moco.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9)
    assert moco.param_scheduler[0].type == 'CosineAnnealingLR'
    assert moco.train_cfg.max_epochs == 100 == moco.param_scheduler[0].T_max
    assert moco.auto_scale_lr == dict(base_batch_size=128)

    ref = Config.fromfile(
        osp.join(MMPRETRAIN_CONFIGS,
                 'simsiam/simsiam_resnet50_8xb32-coslr-100e_in1k.py'))
    simsiam = _load(BASELINE.format('simsiam', name))
    bn = dict(type='BN')
    # The necks see pooled vectors: BN1d is what SyncBN amounts to there.
    expect_neck = dict(ref.model.neck, norm_cfg=dict(type='BN1d'))
    expect_head = copy.deepcopy(ref.model.head)
    expect_head.predictor.norm_cfg = dict(type='BN1d')
    assert simsiam.model.neck == expect_neck
    assert simsiam.model.head == expect_head
    assert simsiam.optim_wrapper == ref.optim_wrapper
    # Plus the plugin's watch for SimSiam's constant-output collapse, which
    # reads the projector output and changes nothing in training.
    assert simsiam.custom_hooks == ref.custom_hooks + [
        dict(type='EmbeddingCollapseHook')
    ]
    assert simsiam.param_scheduler == ref.param_scheduler
    assert simsiam.train_dataloader == moco.train_dataloader
    for cfg in (moco, simsiam):
        init = cfg.model.backbone.init_cfg
        assert init.type == 'Pretrained' and init.prefix == 'backbone'
        assert init.checkpoint.endswith(
            'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
        assert cfg.model.backbone.norm_cfg == bn


@pytest.mark.parametrize('method, name',
                         [(m, n) for m in METHODS for n in NAMES])
def test_stage2_is_its_baseline_plus_synthpairs(method, name):
    cfg = _load(STAGE2.format(method, name)).to_dict()
    base = _load(BASELINE.format(method, name)).to_dict()
    assert _changed(cfg, base) <= {
        'model', 'train_dataloader', 'train_pipeline', 'custom_hooks'
    } | SYNTHPAIRS_VARIABLES
    assert _changed(cfg['model'], base['model']) <= SYNTHPAIRS_MODEL_KEYS
    assert cfg['model']['type'] == {
        'mocov2': 'SynthPairsMoCo',
        'simsiam': 'SynthPairsSimSiam'
    }[method]
    # The loader differs only by the pipeline: [t(x), t'(x)] + clean.
    assert _changed(cfg['train_dataloader'],
                    base['train_dataloader']) == {'dataset'}
    assert _changed(cfg['train_dataloader']['dataset'],
                    base['train_dataloader']['dataset']) == {'pipeline'}
    pipeline = cfg['train_dataloader']['dataset']['pipeline']
    assert [t['type'] for t in pipeline
            ] == ['LoadImageFromFile', 'MultiView', 'PackInputs']
    assert pipeline[1]['num_views'] == [2, 1]
    assert pipeline[1]['transforms'] == [
        cfg['view_pipeline'], cfg['clean_pipeline']
    ]
    assert cfg['custom_hooks'] == base.get(
        'custom_hooks', []) + [dict(type='GeneratedPairsHook')]
    # Stage 1 of the same data set feeds the decoder, from its last epoch.
    init = cfg['model']['decoder']['init_cfg']
    assert init == dict(
        type='Pretrained',
        prefix='decoder.',
        checkpoint='work_dirs/synthpairs-decoder_resnet50_4xb32-adam-'
        f'200e_{name}/epoch_200.pth')
    # The ResNet-50 decoder is FeatureDecoder's default.
    assert cfg['model']['decoder'] == dict(
        type='FeatureDecoder', init_cfg=init)
    if method == 'simsiam':
        assert _option(cfg['model'], 'gen_loss_type') == 'ntxent'
        assert _option(cfg['model'], 'keep_bn_stats') is True


@pytest.mark.parametrize('name', NAMES + ['cotton80'])
def test_stage1_trains_the_decoder_of_stage2(name):
    cfg = _load(DECODER.format(name))
    stage2 = _load(STAGE2.format('mocov2', name))
    assert cfg.model.type == 'DecoderPretrain'
    assert _option(cfg.model, 'freeze_backbone')
    # The frozen encoder is the one stage 2 starts from.
    assert cfg.model.backbone == stage2.model.backbone
    decoder = dict(stage2.model.decoder)
    decoder.pop('init_cfg')
    assert cfg.model.decoder == decoder
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert cfg.train_cfg.max_epochs == 200
    # epoch_200.pth is written (and kept) for stage 2.
    assert 200 % cfg.default_hooks.checkpoint.interval == 0
    assert cfg.train_dataloader.batch_size * 4 == 128
    assert [t.type for t in cfg.train_dataloader.dataset.pipeline
            ] == ['LoadImageFromFile', 'Resize', 'PackInputs']
    assert cfg.train_dataloader.dataset == dict(
        stage2.train_dataloader.dataset,
        pipeline=cfg.train_dataloader.dataset.pipeline)
    assert cfg.custom_hooks[0].type == 'GeneratedPairsHook'


@pytest.mark.parametrize(
    'path', [c for c in ALL_CONFIGS if c.startswith(SP + 'synthpairs-')])
def test_decoder_makes_images_of_the_clean_view_size(path):
    cfg = _load(path)
    resize = _clean_resize(cfg.train_dataloader.dataset.pipeline)
    size = _option(cfg.model.decoder, 'out_size')
    assert resize == [dict(type='Resize', scale=(size, size))]
    assert size == 224


@pytest.mark.parametrize('path', SSL_CONFIGS)
def test_queue_fits_the_global_batch(path):
    cfg = _load(path)
    loader = cfg.train_dataloader
    assert loader.batch_size == 32 and loader.drop_last  # 4 GPUs x 32
    if cfg.model.type in ('MoCo', 'SynthPairsMoCo'):
        assert cfg.model.queue_len % 128 == 0


def test_cotton80_chain():
    stage1 = _load(DECODER.format('cotton80'))
    stage2 = _load(STAGE2.format('mocov2', 'cotton80'))
    cotton = _load('configs/_base_/datasets/cotton80_bs8_384.py')
    ref = cotton.train_dataloader.dataset
    for cfg in (stage1, stage2):
        dataset = cfg.train_dataloader.dataset
        assert (dataset.type, dataset.data_root, dataset.subset,
                dataset.split) == (ref.type, ref.data_root, ref.subset,
                                   'train')
    assert stage2.model.decoder.init_cfg.checkpoint == (
        'work_dirs/synthpairs-decoder_resnet50_4xb32-adam-200e_cotton80/'
        'epoch_200.pth')
    # 240 training images: a queue of ~11 keys per image like the paper's
    # CUB run, and a bank holding the training set.
    assert stage2.model.queue_len % 128 == 0
    assert stage2.model.queue_len <= 240 * 16
    assert stage2.model.perturbation.bank_size == 240

    chain = _load(CHAIN).to_dict()
    csdnet = _load(CSDNET_COTTON80).to_dict()
    assert _changed(chain, csdnet) == {'model', 'ssl_checkpoint'}
    assert _changed(chain['model'], csdnet['model']) == {'backbone'}
    init = chain['model']['backbone'].pop('init_cfg')
    csdnet['model']['backbone'].pop('init_cfg')
    assert chain['model']['backbone'] == csdnet['model']['backbone']
    assert init == dict(
        type='Pretrained',
        prefix='backbone.',
        checkpoint='work_dirs/synthpairs-mocov2_resnet50_4xb32-coslr-100e_'
        'cotton80/epoch_100.pth')
    assert stage2.train_cfg.max_epochs == 100
    assert 100 % stage2.default_hooks.checkpoint.interval == 0


@pytest.mark.parametrize('name', NAMES)
def test_linear_evaluation(name, tmp_path):
    _, cls, root, split, classes = DATASET_INFO[name]
    cfg = _load(LINEAR.format(name, ''))
    assert cfg.model.type == 'ImageClassifier'
    assert cfg.model.backbone.frozen_stages == 4
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='', prefix='backbone.')
    assert cfg.model.head.num_classes == classes
    assert cfg.data_preprocessor.num_classes == classes
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=30., momentum=0.9, weight_decay=0.)
    assert cfg.param_scheduler == [
        dict(
            type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
    ]
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.train_dataloader.batch_size * 4 == 128
    assert cfg.auto_scale_lr == dict(base_batch_size=128)
    train, test = cfg.train_dataloader.dataset, cfg.test_dataloader.dataset
    assert (train.type, train.data_root, train.split) == (cls, root, split)
    assert (test.type, test.data_root, test.split) == (cls, root, 'test')
    assert cfg.val_dataloader == cfg.test_dataloader
    assert [t.type for t in train.pipeline] == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs'
    ]
    assert train.pipeline[1].scale == 224
    assert [(t.type, t.get('scale', t.get('crop_size')))
            for t in test.pipeline[1:3]] == [('ResizeEdge', 256),
                                             ('CenterCrop', 224)]
    assert cfg.test_evaluator == dict(type='Accuracy', topk=(1, 5))
    (tmp_path / 'cars_annos.mat').touch()
    dataset = dict(test.to_dict(), lazy_init=True, pipeline=[])
    if cls == 'StanfordCars':
        dataset['data_root'] = str(tmp_path)
    DATASETS.build(dataset)

    for suffix, fraction in (('_50pct', 0.5), ('_20pct', 0.2)):
        sub = _load(LINEAR.format(name, suffix)).to_dict()
        full = cfg.to_dict()
        assert _changed(sub, full) == {'train_dataloader'}
        assert sub['train_dataloader']['dataset'] == dict(
            type='LabelSubsetDataset',
            fraction=fraction,
            seed=0,
            dataset=full['train_dataloader']['dataset'])


@pytest.mark.parametrize('name', NAMES)
def test_retrieval_evaluation(name):
    _, cls, root, _, _ = DATASET_INFO[name]
    cfg = _load(RETRIEVAL.format(name))
    linear = _load(LINEAR.format(name, ''))
    assert cfg.model.type == 'EmbeddingRetriever'
    assert cfg.model.neck == dict(type='GlobalAveragePooling')
    assert cfg.test_evaluator == dict(type='LeaveOneOutRetrieval', topk=(1, 5))
    # The linear evaluation's test split and transform.
    assert cfg.test_dataloader.dataset == linear.test_dataloader.dataset
    assert cfg.test_dataloader.dataset.split == 'test'
    # tools/test.py: the Runner wants each of these groups all set or all
    # unset; only the test group is needed.
    for group in (('train_dataloader', 'train_cfg', 'optim_wrapper'),
                  ('val_dataloader', 'val_cfg', 'val_evaluator')):
        assert not any(cfg.get(key) for key in group)
    assert cfg.test_cfg is not None and cfg.test_dataloader is not None


def test_each_model_type_builds():
    """One config per model type, built as the Runner would (no weights
    are loaded: init_weights is not called)."""
    cases = {
        BASELINE.format('mocov2', 'cub'): 'MoCo',
        BASELINE.format('simsiam', 'cars'): 'SimSiam',
        DECODER.format('aircraft'): 'DecoderPretrain',
        STAGE2.format('mocov2', 'cub'): 'SynthPairsMoCo',
        STAGE2.format('simsiam', 'aircraft'): 'SynthPairsSimSiam',
        LINEAR.format('cars', '_20pct'): 'ImageClassifier',
        RETRIEVAL.format('cub'): 'EmbeddingRetriever',
    }
    hooks = {}
    for path, type_name in cases.items():
        cfg = _load(path)
        model = _built_model(cfg)
        assert type(model).__name__ == type_name
        for hook in cfg.get('custom_hooks', []):
            hooks.setdefault(hook.type, hook)
        if hasattr(model, 'decoder'):
            count = sum(p.numel() for p in model.decoder.parameters())
            assert count == 54_250_387  # 54.25 M, docs/methods/synthpairs.md
        if type_name == 'SynthPairsMoCo':
            assert model.queue.shape == (128, 65536)
            assert model.perturbation.feat_bank.shape == (4096, 2048)
        if type_name == 'DecoderPretrain':
            assert not any(p.requires_grad
                           for p in model.backbone.parameters())
        if type_name == 'ImageClassifier':
            assert not any(p.requires_grad
                           for p in model.backbone.parameters())
            assert model.head.fc.out_features == 196
        del model
    for hook in hooks.values():
        hook = copy.deepcopy(hook)
        hook.pop('priority', None)  # taken by Runner.register_hook
        HOOKS.build(hook)
    assert set(hooks) == {
        'SimSiamHook', 'EmbeddingCollapseHook', 'GeneratedPairsHook'
    }


def _small_ssl_cfg(path):
    """An SSL config unchanged except for no weight loading and 64 px
    images (the decoder then starts at 2x2 instead of 7x7)."""
    cfg = _load(path)
    cfg.model.backbone.init_cfg = None
    cfg.model.decoder.init_cfg = None
    cfg.model.decoder.out_size = 64
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('method', METHODS)
def test_synthpairs_cub_runs_a_training_step(method):
    """The CUB stage-2 config's model, optimiser and preprocessor on CPU
    (batch 2 at 64 px): every option of the config is accepted."""
    cfg = _small_ssl_cfg(STAGE2.format(method, 'cub'))
    torch.manual_seed(0)
    model = _built_model(cfg).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decoder_before = model.decoder.fc.weight.detach().clone()
    backbone_before = model.backbone.conv1.weight.detach().clone()
    queue = model.queue.clone() if method == 'mocov2' else None
    # MultiView [2, 1] after default_collate: 3 views of (N, 3, H, W) uint8.
    data = dict(
        inputs=[
            torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
            for _ in range(3)
        ],
        data_samples=[DataSample() for _ in range(2)])
    log_vars = model.train_step(data, optim_wrapper)
    assert {
        'loss', 'loss_ssl', 'loss_rec', 'loss_gen', 'noise_std_g',
        'lowvar_frac', 'bank_fill'
    } <= set(log_vars)
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(model.decoder.fc.weight, decoder_before)
    assert not torch.equal(model.backbone.conv1.weight, backbone_before)
    if queue is not None:
        assert not torch.equal(model.queue, queue)
    assert int(model.perturbation.bank_count) == 2


def test_checkpoints_flow_from_stage1_to_the_evaluations(tmp_path):
    """decoder.* of a stage-1 checkpoint reaches stage 2's decoder; the
    backbone.* of a stage-2 checkpoint reaches the linear classifier, the
    retriever (loaded as tools/test.py does) and the CSDNet chain."""
    from mmengine.runner import load_checkpoint

    def save(model, name):
        path = str(tmp_path / name)
        torch.save(dict(state_dict=model.state_dict()), path)
        return path

    stage1 = _small_ssl_cfg(DECODER.format('cub'))
    stage1_model = _built_model(stage1)
    stage1_path = save(stage1_model, 'stage1.pth')

    stage2 = _small_ssl_cfg(STAGE2.format('mocov2', 'cub'))
    stage2.model.decoder.init_cfg = _load(STAGE2.format(
        'mocov2', 'cub')).model.decoder.init_cfg
    stage2.model.decoder.init_cfg.checkpoint = stage1_path
    stage2_model = _built_model(stage2)
    stage2_model.decoder.init_weights()
    for key, value in stage1_model.decoder.state_dict().items():
        assert torch.equal(stage2_model.decoder.state_dict()[key], value)
    del stage1_model
    stage2_path = save(stage2_model, 'stage2.pth')
    expected = stage2_model.backbone.state_dict()
    del stage2_model

    def assert_loaded(backbone):
        for key, value in backbone.state_dict().items():
            assert torch.equal(value, expected[key]), key

    for path in (LINEAR.format('cub', '_50pct'), CHAIN):
        cfg = _load(path)
        cfg.model.backbone.init_cfg.checkpoint = stage2_path
        if cfg.model.type == 'CSDNet':  # only its backbone is needed here
            backbone = MODELS.build(cfg.model.backbone)
        else:
            backbone = _built_model(cfg).backbone
        backbone.init_weights()
        assert_loaded(backbone)

    retriever = _built_model(_load(RETRIEVAL.format('cub')))
    load_checkpoint(retriever, stage2_path, strict=False)
    assert_loaded(retriever.backbone)
