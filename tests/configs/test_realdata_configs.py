"""configs/fashion_mnist: each method config is its baseline plus the
method's delta only, sizes fit EfficientNet-Lite0 at 128 px, and every model
part names real arguments (the whole chain runs in
tests/tools/test_realdata_benchmark.py)."""
import glob
import inspect
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import csdnet_mm  # noqa: F401
from conftest import REPO_ROOT

pytest.importorskip('efficientnet_lite_pytorch')

FM = osp.join(REPO_ROOT, 'configs', 'fashion_mnist')
STOCK = 'efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py'
CSDNET = 'csdnet_efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot.py'
MOBILENET = 'mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot.py'
CSDNET_MOBILENET = 'csdnet_mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot.py'
MOCO = 'mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py'
DECODER = 'synthpairs-decoder_efficientnet-lite0_1xb32-adam-10e_fmnist8.py'
SYNTHPAIRS = 'synthpairs-mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8.py'
LINEAR = 'efficientnet-lite0_1xb16-linear-steplr-30e_fmnist8-10shot.py'
RETRIEVAL = 'efficientnet-lite0_retrieval_fmnist8.py'
EFFICIENTNET = [STOCK, CSDNET, MOCO, DECODER, SYNTHPAIRS, LINEAR, RETRIEVAL]
# The SSL suite's low-resolution protocol (random-weight start, 32 px).
LOWRES = {
    key: f'{name}_fmnist8-32px{suffix}.py'
    for key, name, suffix in (
        ('moco', 'mocov2_resnet18-cifar-w32_1xb128-coslr-20e',
         ''), ('decoder',
               'synthpairs-decoder_resnet18-cifar-w32_1xb128-adam-5e', ''),
        ('synthpairs', 'synthpairs-mocov2_resnet18-cifar-w32_1xb128-coslr-20e',
         ''), ('simsiam', 'simsiam_resnet18-cifar-w32_1xb128-coslr-20e', ''),
        ('synthpairs_simsiam',
         'synthpairs-simsiam_resnet18-cifar-w32_1xb128-coslr-20e',
         ''), ('linear', 'resnet18-cifar-w32_1xb64-linear-steplr-30e', ''),
        ('linear50', 'resnet18-cifar-w32_1xb64-linear-steplr-30e', '_50pct'),
        ('linear20', 'resnet18-cifar-w32_1xb64-linear-steplr-30e',
         '_20pct'), ('retrieval', 'resnet18-cifar-w32_retrieval', ''))
}
ALL = EFFICIENTNET + [MOBILENET, CSDNET_MOBILENET]
WEIGHTS = 'checkpoints/efficientnet-lite0_in1k_mmpretrain.pth'
MOBILENET_WEIGHTS = 'checkpoints/mobilenetv2_in1k_deepsort_mmpretrain.pth'


def _load(name):
    return Config.fromfile(osp.join(FM, name))


def _build(cfg):
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(model_cfg)


def _changed(a, b):
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def test_config_list_is_complete():
    assert {osp.basename(p) for p in glob.glob(osp.join(FM, '*.py'))} == \
        set(ALL) | set(LOWRES.values())


@pytest.mark.parametrize('name', ALL)
def test_parts_name_real_arguments_and_start_from_the_package_weights(name):
    cfg = _load(name)

    def check(part, where):
        if isinstance(part, dict):
            cls = MODELS.get(part['type']) if 'type' in part else None
            params = inspect.signature(cls.__init__).parameters if cls \
                else {}
            if params and not any(p.kind == p.VAR_KEYWORD
                                  for p in params.values()):
                unknown = set(part) - set(params) - {'type'}
                assert not unknown, f'{where}: {cls.__name__} has {unknown}'
            for key, value in part.items():
                check(value, f'{where}.{key}')

    check(cfg.model.to_dict(), 'model')
    if name in EFFICIENTNET:
        assert cfg.model.backbone.type == 'EfficientNetLite'
        assert cfg.model.backbone.init_cfg.checkpoint == WEIGHTS
        # The ImageNet weights expect [-1, 1] inputs.
        assert cfg.data_preprocessor.mean == [127.5] * 3
        assert cfg.data_preprocessor.std == [127.5] * 3
    else:
        assert cfg.model.backbone.type == 'MobileNetV2'
        assert cfg.model.backbone.init_cfg.checkpoint == MOBILENET_WEIGHTS
        assert cfg.data_preprocessor.mean == [123.675, 116.28, 103.53]


@pytest.mark.parametrize('stock_name,csdnet_name',
                         [(STOCK, CSDNET), (MOBILENET, CSDNET_MOBILENET)])
def test_csdnet_is_the_stock_config_plus_the_method(stock_name, csdnet_name):
    stock, csdnet = _load(stock_name), _load(csdnet_name)
    assert _changed(stock.to_dict(), csdnet.to_dict()) == {
        'model', 'optim_wrapper', 'custom_hooks'
    }
    assert _changed(stock.model, csdnet.model) == {
        'type', 'neck', 'queue_neck', 'qc_loss', 'ssdt_loss'
    }
    assert csdnet.model.neck.in_channels == 1280
    assert csdnet.optim_wrapper.optimizer == stock.optim_wrapper.optimizer
    # The two backbones share data, schedule and seed.
    assert _changed(_load(STOCK).to_dict(), stock.to_dict()) <= {
        'model', 'pretrained', 'data_preprocessor'
    }
    # One training step of the built model at the configs' 128 px.
    model = _build(csdnet).train()
    samples = [DataSample().set_gt_label(i % 8) for i in range(4)]
    losses = model.loss(torch.randn(4, 3, 128, 128), samples)
    assert {'loss_qc', 'loss_ssdt'} <= set(losses)


def test_synthpairs_is_mocov2_plus_the_method_and_fits_its_data():
    moco, decoder, stage2 = _load(MOCO), _load(DECODER), _load(SYNTHPAIRS)
    assert _changed(moco.to_dict(), stage2.to_dict()) == {
        'stage1_checkpoint', 'model', 'train_pipeline', 'train_dataloader',
        'custom_hooks'
    }
    assert _changed(moco.model, stage2.model) <= {
        'type', 'decoder', 'perturbation', 'gen_loss', 'rec_weight',
        'gen_weight', 'gen_grad_to_decoder', 'gen_source', 'gradcam_positive'
    }
    # A run's work dir is named after its config.
    assert stage2.model.decoder.init_cfg.checkpoint == \
        f'work_dirs/{DECODER[:-3]}/epoch_10.pth'
    assert decoder.train_cfg.max_epochs == 10
    for key in ('in_channels', 'out_size', 'base_channels', 'num_upsample'):
        assert stage2.model.decoder[key] == decoder.model.decoder[key], key
    size = stage2.model.decoder.out_size
    assert stage2.clean_pipeline == [dict(type='Resize', scale=(size, size))]
    batch = moco.train_dataloader.batch_size
    assert moco.model.queue_len % batch == 0
    assert stage2.model.perturbation.bank_size >= batch


def test_evaluations_freeze_or_only_read_the_encoder():
    linear = _load(LINEAR)
    model = _build(linear).train()
    trainable = {
        n.split('.')[0]
        for n, p in model.named_parameters() if p.requires_grad
    }
    assert trainable == {'head'}
    retrieval = _load(RETRIEVAL)
    assert retrieval.train_cfg is None and retrieval.test_evaluator.type == \
        'LeaveOneOutRetrieval'


def test_lowres_synthpairs_is_mocov2_plus_the_method_from_one_start():
    moco, decoder, stage2 = (
        _load(LOWRES[k]) for k in ('moco', 'decoder', 'synthpairs'))
    assert _changed(moco.to_dict(), stage2.to_dict()) == {
        'stage1_checkpoint', 'model', 'train_pipeline', 'train_dataloader',
        'custom_hooks'
    }
    assert _changed(moco.model,
                    stage2.model) == {'type', 'decoder', 'perturbation'}
    # Stage 1 decodes the encoder every SSL run starts from, at the size
    # stage 2 reconstructs.
    assert decoder.model.backbone == moco.model.backbone
    for key in ('in_channels', 'out_size', 'base_channels', 'num_upsample'):
        assert stage2.model.decoder[key] == decoder.model.decoder[key], key
    assert stage2.model.decoder.in_channels == moco.model.neck.in_channels
    # Stage 1's checkpoint, where tools/train.py writes it for its config.
    assert stage2.model.decoder.init_cfg.checkpoint == \
        f"work_dirs/{LOWRES['decoder'][:-3]}/epoch_5.pth"
    assert stage2.clean_pipeline == [dict(type='Resize', scale=(32, 32))]
    assert moco.model.queue_len % moco.train_dataloader.batch_size == 0
    # One SynthPairs step at 32 px (the decoder's checkpoint left out).
    stage2.model.decoder.init_cfg = None
    model = _build(stage2).train()
    views = [torch.randn(4, 3, 32, 32) for _ in range(3)]
    losses = model.loss(views, [DataSample() for _ in range(4)])
    assert {'loss_ssl', 'loss_rec', 'loss_gen'} <= set(losses)


def test_lowres_simsiam_shares_mocov2s_budget_and_adds_the_method():
    moco, simsiam, stage2 = (
        _load(LOWRES[k]) for k in ('moco', 'simsiam', 'synthpairs_simsiam'))
    # The protocol's two SSL methods differ in the model and SimSiam's
    # constant predictor lr only: same data, views, start, schedule, seed.
    assert _changed(moco.to_dict(), simsiam.to_dict()) == {
        'model', 'optim_wrapper', 'custom_hooks'
    }
    assert simsiam.model.backbone == moco.model.backbone
    assert simsiam.optim_wrapper.optimizer == moco.optim_wrapper.optimizer
    assert simsiam.custom_hooks[0].lr == moco.optim_wrapper.optimizer.lr
    assert simsiam.custom_hooks[1] == dict(type='EmbeddingCollapseHook')
    # SynthPairs-SimSiam adds what SynthPairs-MoCo adds to MoCo v2.
    synthpairs = _load(LOWRES['synthpairs'])
    assert _changed(simsiam.to_dict(), stage2.to_dict()) == {
        'stage1_checkpoint', 'model', 'train_pipeline', 'train_dataloader',
        'custom_hooks'
    }
    assert _changed(simsiam.model,
                    stage2.model) == {'type', 'decoder', 'perturbation'}
    for key in ('decoder', 'perturbation'):
        assert stage2.model[key] == synthpairs.model[key], key
    for key in ('stage1_checkpoint', 'train_pipeline', 'train_dataloader'):
        assert stage2[key] == synthpairs[key], key
    assert stage2.custom_hooks == simsiam.custom_hooks + \
        synthpairs.custom_hooks
    # One SynthPairs-SimSiam step at 32 px (the decoder's checkpoint left
    # out).
    stage2.model.decoder.init_cfg = None
    model = _build(stage2).train()
    views = [torch.randn(4, 3, 32, 32) for _ in range(3)]
    losses = model.loss(views, [DataSample() for _ in range(4)])
    assert {'loss_ssl', 'loss_rec', 'loss_gen'} <= set(losses)


def test_lowres_evaluations_share_the_encoder_and_subset_the_labels():
    moco = _load(LOWRES['moco'])
    linear = _load(LOWRES['linear'])
    model = _build(linear).train()
    trainable = {
        n.split('.')[0]
        for n, p in model.named_parameters() if p.requires_grad
    }
    assert trainable == {'head'}
    retrieval = _load(LOWRES['retrieval'])
    for cfg in (linear, retrieval):
        assert {k: v for k, v in cfg.model.backbone.items()
                if k not in ('frozen_stages', 'init_cfg')} == \
            moco.model.backbone
    assert linear.val_dataloader.dataset.split == 'val'
    assert linear.test_dataloader.dataset.split == 'test'
    for key, fraction in (('linear50', 0.5), ('linear20', 0.2)):
        cfg = _load(LOWRES[key])
        assert cfg.train_dataloader.dataset.type == 'LabelSubsetDataset'
        assert cfg.train_dataloader.dataset.fraction == fraction
        assert cfg.train_dataloader.dataset.dataset == \
            linear.train_dataloader.dataset


@pytest.mark.parametrize(
    'name',
    sorted(
        osp.basename(p) for p in glob.glob(
            osp.join(REPO_ROOT, 'configs', 'fashion_mnist', '*.py'))))
def test_fashion_mnist_configs_validate_on_val_and_test_on_test(name):
    """Options are chosen on the val split; test images are read by
    tools/test.py only."""
    cfg = _load(name)
    for loader, split in (('val_dataloader', 'val'), ('test_dataloader',
                                                      'test')):
        if not cfg.get(loader):
            continue
        dataset = cfg[loader].dataset
        while 'dataset' in dataset:  # wrappers (label subsets)
            dataset = dataset.dataset
        assert dataset.split == split, (name, loader)
