import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.necks import FeatureDecoder

init_default_scope('mmpretrain')

CHANNELS = 64
SIZE = 32
BACKBONE = dict(
    type='ResNet_CIFAR',
    depth=18,
    base_channels=8,
    stem_channels=8,
    out_indices=(3, ))
DECODER = dict(
    type='FeatureDecoder',
    in_channels=CHANNELS,
    out_size=SIZE,
    base_channels=32,
    num_upsample=2)
PREPROCESSOR = dict(
    type='SelfSupDataPreprocessor',
    mean=[127.5] * 3,
    std=[64.] * 3,
    to_rgb=True)


def _moco(**overrides):
    cfg = dict(
        type='SynthPairsMoCo',
        backbone=BACKBONE,
        neck=dict(
            type='MoCoV2Neck',
            in_channels=CHANNELS,
            hid_channels=CHANNELS,
            out_channels=16),
        head=dict(
            type='ContrastiveHead',
            loss=dict(type='CrossEntropyLoss'),
            temperature=0.2),
        decoder=DECODER,
        perturbation=dict(type='FeaturePerturbation', bank_size=12),
        queue_len=16,
        feat_dim=16,
        data_preprocessor=PREPROCESSOR)
    cfg.update(overrides)
    return MODELS.build(cfg)


def _simsiam(**overrides):
    cfg = dict(
        type='SynthPairsSimSiam',
        backbone=BACKBONE,
        neck=dict(
            type='NonLinearNeck',
            in_channels=CHANNELS,
            hid_channels=32,
            out_channels=32,
            num_layers=3,
            with_last_bn_affine=False,
            with_avg_pool=True),
        head=dict(
            type='LatentPredictHead',
            loss=dict(type='CosineSimilarityLoss'),
            predictor=dict(
                type='NonLinearNeck',
                in_channels=32,
                hid_channels=8,
                out_channels=32,
                with_avg_pool=False,
                with_last_bn=False,
                with_last_bias=True)),
        decoder=DECODER,
        perturbation=dict(type='FeaturePerturbation', bank_size=12),
        data_preprocessor=PREPROCESSOR)
    cfg.update(overrides)
    return MODELS.build(cfg)


def _views(batch=4, size=SIZE):
    torch.manual_seed(0)
    return [torch.randn(batch, 3, size, size) for _ in range(3)]


def _grads_of(model, losses, key):
    model.zero_grad(set_to_none=True)
    losses[key].backward(retain_graph=True)
    return {
        name: p.grad is not None and bool(p.grad.abs().sum() > 0)
        for name, p in model.named_parameters()
    }


def _touched(grads, prefix):
    return any(v for k, v in grads.items() if k.startswith(prefix))


@pytest.mark.parametrize('build', [_moco, _simsiam])
def test_gradient_routing(build):
    """Who receives gradient from which loss (docs/methods/synthpairs.md,
    "Which tensors get gradients")."""
    model = build()
    losses = model.loss(_views(), None)
    # The Grad-CAM pass wrote no parameter gradient.
    assert all(p.grad is None for p in model.parameters())
    assert {'loss_ssl', 'loss_rec', 'loss_gen'} <= set(losses)
    ssl = _grads_of(model, losses, 'loss_ssl')
    rec = _grads_of(model, losses, 'loss_rec')
    gen = _grads_of(model, losses, 'loss_gen')
    for grads in (ssl, rec, gen):
        assert _touched(grads, 'backbone.')
        assert not _touched(grads, 'encoder_k.')
    assert _touched(ssl, 'neck.') and _touched(gen, 'neck.')
    assert not _touched(rec, 'neck.')
    assert _touched(rec, 'decoder.')
    assert not _touched(ssl, 'decoder.') and not _touched(gen, 'decoder.')


def test_gen_grad_to_decoder_option():
    model = _moco(gen_grad_to_decoder=True, gen_source='decode')
    losses = model.loss(_views(), None)
    assert _touched(_grads_of(model, losses, 'loss_gen'), 'decoder.')
    with pytest.raises(UserInputError, match='gen_source'):
        _moco(gen_grad_to_decoder=True, gen_source='reuse')


def test_decoder_outside_momentum_encoder_and_buffers_in_checkpoint():
    model = _moco()
    keys = model.state_dict().keys()
    assert not any(k.startswith('encoder_k.') and 'decoder' in k for k in keys)
    for key in ('perturbation.feat_bank', 'perturbation.bank_ptr',
                'perturbation.bank_count', 'queue', 'queue_ptr'):
        assert key in keys


def test_bank_and_queue_update_and_round_trip():
    model = _moco()
    model.loss(_views(), None)
    model.loss(_views(), None)
    assert int(model.perturbation.bank_count) == 8
    assert int(model.queue_ptr) == 8
    restored = _moco()
    restored.load_state_dict(model.state_dict())
    assert torch.equal(restored.perturbation.feat_bank,
                       model.perturbation.feat_bank)
    assert int(restored.perturbation.bank_ptr) == 8
    assert torch.equal(restored.queue, model.queue)


def test_bank_holds_clean_features():
    from csdnet_mm.models.selfsup.synthpairs_base import pool_features
    model = _moco()
    views = _views()
    model.loss(views, None)
    # Train-mode BN normalises with batch statistics, so the same batch
    # through the unchanged backbone gives the stored rows again.
    expected = pool_features(model.backbone(views[2]))
    assert torch.allclose(
        model.perturbation.feat_bank[:4], expected, atol=1e-5)
    assert torch.all(model.perturbation.feat_bank[4:] == 0)


@pytest.mark.parametrize('mode', ['both', 'gradcam', 'lowvar', 'random'])
def test_noise_ablations_reachable(mode):
    model = _moco(
        perturbation=dict(
            type='FeaturePerturbation', bank_size=12, noise_mode=mode))
    losses = model.loss(_views(), None)
    assert torch.isfinite(losses['loss_gen'])
    assert ('noise_std_g' in losses) == (mode in ('both', 'gradcam'))
    assert ('lowvar_frac' in losses) == (mode in ('both', 'lowvar'))


def test_gradcam_positive_query_and_weights():
    model = _moco(gradcam_positive='query', rec_weight=0., gen_weight=0.)
    losses = model.loss(_views(), None)
    assert losses['loss_rec'] == 0 and losses['loss_gen'] == 0
    with pytest.raises(UserInputError, match='gradcam_positive'):
        _moco(gradcam_positive='keys')


def test_simsiam_keeps_bn_stats_of_gradcam_pass():
    model = _simsiam()
    z = torch.rand(4, CHANNELS)
    bn = model.neck.bn0
    before = bn.running_mean.clone()
    with model.gradcam_context():
        model.perturbation.gradcam_scores(
            z, lambda leaf: model.head.loss(
                model.project_vector(leaf), torch.randn(4, 32)))
    assert torch.equal(bn.running_mean, before)
    model = _simsiam(keep_bn_stats=False)
    bn = model.neck.bn0
    before = bn.running_mean.clone()
    with model.gradcam_context():
        model.perturbation.gradcam_scores(
            z, lambda leaf: model.head.loss(
                model.project_vector(leaf), torch.randn(4, 32)))
    assert not torch.equal(bn.running_mean, before)


def test_simsiam_pair_loss_option():
    model = _simsiam(gen_loss_type='simsiam')
    losses = model.loss(_views(), None)
    # The SimSiam loss is a negative cosine in [-1, 1], times gen_weight.
    assert -0.5 <= losses['loss_gen'].item() <= 0.5


def test_input_errors():
    model = _moco()
    with pytest.raises(UserInputError, match='num_views=\\[2, 1\\]'):
        model.loss(_views()[:2], None)
    with pytest.raises(UserInputError, match='Resize the clean view'):
        model.loss(_views()[:2] + [torch.randn(4, 3, 16, 16)], None)
    # A queue the global batch does not divide: a message, not an assert.
    model = _moco(queue_len=18)
    with pytest.raises(
            UserInputError,
            match='queue_len=18 must be a multiple of the global '
            'batch 4 .* model.queue_len=20'):
        model.loss(_views(), None)


def test_visuals_kept_on_request():
    model = _moco()
    model.loss(_views(), None)
    assert model.last_visuals is None
    model.keep_visuals = True
    model.loss(_views(), None)
    assert set(model.last_visuals) == {'images', 'recon', 'perturbed'}
    assert model.last_visuals['perturbed'].shape == (4, 3, SIZE, SIZE)


def test_decoder_pretrain_freezes_encoder_and_learns():
    model = MODELS.build(
        dict(
            type='DecoderPretrain',
            backbone=BACKBONE,
            decoder=DECODER,
            data_preprocessor=PREPROCESSOR))
    model.train()
    assert not model.backbone.training and model.decoder.training
    backbone_state = {
        k: v.clone()
        for k, v in model.backbone.state_dict().items()
    }
    images = _views()[0]
    optimizer = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-2)
    first = None
    for _ in range(5):
        loss = model.loss([images], None)['loss_rec']
        first = first if first is not None else float(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < first
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, backbone_state[key]), key


def test_decoder_parameter_counts_and_output():
    # docs/methods/synthpairs.md, "Stage 1": 54.25 M / 26.43 M / 13.04 M.
    counts = [
        sum(p.numel() for p in FeatureDecoder(base_channels=c).parameters())
        for c in (512, 256, 128)
    ]
    assert counts == [54_250_387, 26_429_107, 13_044_819]
    decoder = FeatureDecoder(
        in_channels=8,
        out_size=16,
        base_channels=8,
        num_upsample=2,
        output_act='sigmoid')
    z = torch.randn(3, 8, 1, 1)
    out = decoder(z)
    assert out.shape == (3, 3, 16, 16)
    # The sigmoid head is the plain decoder's output through a sigmoid.
    plain = FeatureDecoder(
        in_channels=8, out_size=16, base_channels=8, num_upsample=2)
    plain.load_state_dict(decoder.state_dict())
    torch.testing.assert_close(out, torch.sigmoid(plain(z)))
    with pytest.raises(UserInputError, match='multiple of'):
        FeatureDecoder(out_size=100, num_upsample=5)


def test_sigmoid_decoder_maps_to_normalised_space():
    model = _moco(decoder=dict(DECODER, output_act='sigmoid'))
    image = model.decode(torch.randn(2, CHANNELS))
    # [0, 1] * 255 normalised by mean 127.5, std 64 -> [-1.99, 1.99].
    assert image.min() >= -127.5 / 64 and image.max() <= 127.5 / 64


# detach_clean_generated: the cases of the generated pair's forward (MoCo,
# SimSiam with both L_gen forms, D(z) decoded again with gradient into D,
# and no train-mode BN in the encoder, where nothing mixes the rows).
DETACH_CASES = [
    (_moco, {}),
    (_simsiam, {}),
    (_simsiam, dict(gen_loss_type='simsiam')),
    (_moco, dict(gen_source='decode', gen_grad_to_decoder=True)),
    (_moco, dict(backbone=dict(BACKBONE, norm_eval=True))),
]


def _default_and_detached(build, overrides):
    torch.manual_seed(1)
    default = build(**overrides).train()
    detached = build(detach_clean_generated=True, **overrides).train()
    detached.load_state_dict(default.state_dict())
    return default, detached


def _step(model):
    # The same noise draws for both models.
    torch.manual_seed(3)
    return model.loss(_views(), None)


def _gen_grads(model, losses):
    model.zero_grad(set_to_none=True)
    losses['loss_gen'].backward()
    return {
        name: p.grad.clone()
        for name, p in model.named_parameters() if p.grad is not None
    }


@pytest.mark.parametrize('build,overrides', DETACH_CASES)
def test_detach_clean_generated_keeps_the_forward(build, overrides):
    default, detached = _default_and_detached(build, overrides)
    losses, losses_detached = _step(default), _step(detached)
    assert losses.keys() == losses_detached.keys()
    for key in losses:
        assert torch.equal(losses[key], losses_detached[key]), key
    # BN running statistics (moved once, by the 2N batch), bank and queue.
    state = detached.state_dict()
    for key, value in default.state_dict().items():
        assert torch.equal(value, state[key]), key


def _joint_pass_clean_constant(model):
    """Reference for the option: the default joint pass over the 2N images
    with D(z)'s rows detached at every BN input and at the output."""
    from torch.nn.modules.batchnorm import _BatchNorm

    from csdnet_mm.models.selfsup.synthpairs_base import module_hooks

    def embed_pair(gen_a, gen_b):
        n = len(gen_a)
        norms = [
            m for m in list(model.backbone.modules()) +
            list(model.neck.modules()) if isinstance(m, _BatchNorm)
        ]

        def detach_clean(module, args):
            x = args[0]
            return (torch.cat([x[:n].detach(), x[n:]]), )

        with module_hooks(norms, pre=detach_clean):
            emb = model.embed(torch.cat([gen_a, gen_b]))
        return emb[:n].detach(), emb[n:]

    return embed_pair


def _relative_error(got, expected):
    return float((got - expected).abs().max() / expected.abs().max())


@pytest.mark.parametrize('build,overrides', DETACH_CASES[:4])
def test_detach_clean_generated_gradient(build, overrides):
    default, detached = _default_and_detached(build, overrides)
    reference = build(**overrides).train()
    reference.load_state_dict(default.state_dict())
    reference.embed_generated_pair = _joint_pass_clean_constant(reference)
    both_halves = _gen_grads(default, _step(default))
    clean_constant = _gen_grads(reference, _step(reference))
    got = _gen_grads(detached, _step(detached))
    assert got.keys() == clean_constant.keys() == both_halves.keys()
    backbone = [name for name in got if name.startswith('backbone.')]
    assert backbone and all(got[name].abs().sum() > 0 for name in backbone)
    for name, grad in got.items():
        # Up to fp32 rounding: pass 2 sums the gradient over N images.
        assert _relative_error(grad, clean_constant[name]) < 1e-4, name
    # ... and not the default's, which also flows through D(z).
    for name in backbone:
        assert _relative_error(got[name], both_halves[name]) > 0.1, name


def _saved_bytes(model):
    """Bytes that autograd saves for the backward of one training step."""
    total = 0

    def pack(tensor):
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        _step(model)
    return total


@pytest.mark.parametrize('build', [_moco, _simsiam])
def test_detach_clean_generated_shrinks_the_backward(build):
    default, detached = _default_and_detached(build, {})
    # The encoder's pass over D(z) keeps no activations for the backward.
    assert _saved_bytes(detached) < 0.9 * _saved_bytes(default)
    gen_a, gen_b = torch.randn(2, 4, 3, SIZE, SIZE).unbind()
    gen_b.requires_grad_()
    emb_a, emb_b = detached.embed_generated_pair(gen_a, gen_b)
    assert emb_a.grad_fn is None and emb_b.grad_fn is not None
