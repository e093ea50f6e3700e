import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import csdnet_mm  # noqa: F401
from csdnet_mm.errors import UserInputError
from csdnet_mm.evaluation import LeaveOneOutRetrieval
from csdnet_mm.models.retrievers import EmbeddingRetriever

# ResNet_CIFAR-18 with base_channels=16 ends in 16 * 8 = 128 channels.
CHANNELS = 128
BACKBONE = dict(
    type='ResNet_CIFAR',
    depth=18,
    base_channels=16,
    stem_channels=16,
    out_indices=(3, ))


def _build(**overrides):
    init_default_scope('mmpretrain')
    cfg = dict(type='EmbeddingRetriever', backbone=dict(BACKBONE))
    cfg.update(overrides)
    return MODELS.build(cfg)


def _build_moco():
    init_default_scope('mmpretrain')
    return MODELS.build(
        dict(
            type='MoCo',
            queue_len=8,
            feat_dim=32,
            momentum=0.001,
            backbone=dict(BACKBONE),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=CHANNELS,
                hid_channels=64,
                out_channels=32,
                with_avg_pool=True),
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='CrossEntropyLoss'),
                temperature=0.2)))


def _inputs(size=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(size, 3, 32, 32, generator=gen)


def test_build_defaults():
    model = _build()
    assert isinstance(model, EmbeddingRetriever)
    assert type(model.data_preprocessor).__name__ == 'ClsDataPreprocessor'
    assert type(model.neck).__name__ == 'GlobalAveragePooling'
    assert model.forward(_inputs(), mode='tensor').shape == (3, CHANNELS)


def test_predict_sets_unit_norm_embeddings():
    model = _build().eval()
    with torch.no_grad():
        # Without data samples new ones are made.
        out = model(_inputs(), mode='predict')
        assert len(out) == 3 and all(isinstance(s, DataSample) for s in out)
        emb = torch.stack([s.embedding for s in out])
        assert emb.shape == (3, CHANNELS) and not emb.requires_grad
        assert torch.allclose(emb.norm(dim=1), torch.ones(3), atol=1e-5)
        # Given data samples keep their labels.
        samples = [DataSample().set_gt_label(i) for i in range(3)]
        out = model(_inputs(), samples, mode='predict')
        assert out is samples and out[2].gt_label.tolist() == [2]
        assert torch.allclose(out[0].embedding, emb[0])


def test_test_step_feeds_the_retrieval_metric():
    # What tools/test.py does: preprocess, predict, metric.process.
    model = _build().eval()
    gen = torch.Generator().manual_seed(1)
    images = [
        torch.randint(0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8)
        for _ in range(4)
    ]
    samples = [DataSample().set_gt_label(i % 2) for i in range(4)]
    outputs = model.test_step(dict(inputs=images, data_samples=samples))
    metric = LeaveOneOutRetrieval()
    metric.process(None, [s.to_dict() for s in outputs])
    result = metric.evaluate(4)
    assert set(result) == {
        'retrieval/rank1', 'retrieval/rank5', 'retrieval/mAP'
    }
    # Each query has one relevant item among 3 others: always in top 5.
    assert result['retrieval/rank5'] == 100.0


def test_loads_moco_checkpoint_backbone(tmp_path):
    moco = _build_moco().eval()
    state = moco.state_dict()
    # A SynthPairs checkpoint also holds its decoder.
    state['decoder.conv.weight'] = torch.zeros(3, 8, 3, 3)
    assert any(k.startswith('encoder_k.') for k in state)

    model = _build().eval()
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == []
    assert 'decoder.conv.weight' in unexpected
    assert any(k.startswith('encoder_k.') for k in unexpected)
    assert any(k.startswith('neck.') for k in unexpected)
    assert not any(k.startswith('backbone.') for k in unexpected)

    # The same through mmengine's loader, as the Runner of tools/test.py
    # calls it (strict=False), from a file.
    path = str(tmp_path / 'moco.pth')
    torch.save(dict(state_dict=state, meta=dict()), path)
    model = _build().eval()
    load_checkpoint(model, path, map_location='cpu', strict=False)
    x = _inputs()
    with torch.no_grad():
        expected = F.normalize(moco.backbone(x)[-1].mean(dim=(2, 3)), dim=1)
        emb = torch.stack([s.embedding for s in model(x, mode='predict')])
    assert torch.allclose(emb, expected, atol=1e-5)


def test_backbone_pretrained_init_cfg(tmp_path):
    moco = _build_moco()
    path = str(tmp_path / 'moco.pth')
    torch.save(dict(state_dict=moco.state_dict(), meta=dict()), path)
    backbone = dict(
        BACKBONE,
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix='backbone.'))
    model = _build(backbone=backbone)
    model.init_weights()
    for key, value in moco.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key


def test_loss_mode_is_rejected():
    model = _build()
    samples = [DataSample().set_gt_label(0) for _ in range(3)]
    with pytest.raises(UserInputError, match='evaluation-only') as e:
        model(_inputs(), samples, mode='loss')
    assert "prefix='backbone.'" in str(e.value)


def test_unpooled_features_are_reported():
    model = _build(neck=None)
    with pytest.raises(UserInputError, match='GlobalAveragePooling'):
        model(_inputs(), mode='tensor')
