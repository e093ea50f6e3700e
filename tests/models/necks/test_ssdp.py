import pytest
import torch
import torch.nn.functional as F

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.necks import SSDP


def _pattern_with_peak(b=1, h=8, w=8, rows=(2, 4), cols=(5, 7)):
    p = torch.zeros(b, 1, h, w)
    p[:, :, rows[0]:rows[1], cols[0]:cols[1]] = 1.0
    return p


def test_default_parameter_count_matches_spec():
    # docs/methods/csdnet.md: 467,712 for C = 2048, k = 3, r = 16,
    # C_b = 64; pattern_norm='none' adds the scalar bias.
    assert sum(p.numel() for p in SSDP(2048).parameters()) == 467_712
    assert sum(
        p.numel()
        for p in SSDP(2048, pattern_norm='none').parameters()) == 467_713


@pytest.mark.parametrize('pattern_norm', ['standardize', 'none'])
def test_dynamic_kernel_equals_per_image_convolution(pattern_norm):
    torch.manual_seed(0)
    ssdp = SSDP(
        32, reduce_channels=8, hidden_ratio=4, pattern_norm=pattern_norm)
    x = torch.randn(3, 32, 6, 6)
    batched = ssdp.pattern_map(x)
    reduced = ssdp.reduce(x)
    kernels = ssdp.kernel_generator(x.mean(dim=(2, 3))).view(3, 8, 3, 3)
    for i in range(3):
        single = F.conv2d(reduced[i:i + 1], kernels[i:i + 1], padding=1)
        single = single * ssdp.scale
        if pattern_norm == 'none':
            expected = single + ssdp.pattern_bias
        else:
            expected = (single - single.mean()) / (
                single.std(unbiased=False) + 1e-5)
        torch.testing.assert_close(batched[i:i + 1], expected)


def _shift_kernel_output(ssdp, shift):
    """Make every kernel weight `shift` larger, as a large optimizer step
    on the generator's output bias does: P moves by the same amount at
    every location of a positive feature map."""
    with torch.no_grad():
        ssdp.kernel_generator[-1].bias.add_(shift)


def test_standardized_gate_cannot_switch_all_features_off():
    """The collapse: a raw P pushed far negative everywhere makes
    sigma(P) ~ 0 at every location, the pooled features vanish and no
    gradient reaches the kernel any more. Standardised, the same weights
    still re-weight locations relative to each other, and the Eq. 1 mask
    is the same."""
    torch.manual_seed(0)
    x = torch.rand(2, 16, 5, 5)  # non-negative, like post-ReLU features
    raw = SSDP(16, reduce_channels=4, hidden_ratio=2, pattern_norm='none')
    std = SSDP(16, reduce_channels=4, hidden_ratio=2)
    std.load_state_dict({
        k: v
        for k, v in raw.state_dict().items() if k != 'pattern_bias'
    })
    with torch.no_grad():  # a positive reduced map, so the shift is global
        raw.reduce.weight.abs_()
        raw.reduce.bias.fill_(1.0)
        std.reduce.load_state_dict(raw.reduce.state_dict())
    _shift_kernel_output(raw, -200.0)
    _shift_kernel_output(std, -200.0)

    raw_feats, raw_p = raw.forward_with_pattern(x)
    std_feats, std_p = std.forward_with_pattern(x)
    assert torch.sigmoid(raw_p).max() < 1e-6
    assert raw_feats.abs().max() < 1e-6 * x.abs().max()
    # Standardised: the same map (raw's bias is 0) minus its spatial mean
    # over its spatial std, so every image keeps a spread-out gate
    # whatever the shift, and the features are x re-weighted by it.
    flat = raw_p.flatten(1)
    expected = (raw_p - flat.mean(1).view(-1, 1, 1, 1)) / (
        flat.std(1, unbiased=False).view(-1, 1, 1, 1) + 1e-5)
    torch.testing.assert_close(std_p, expected)
    torch.testing.assert_close(
        std_p.flatten(1).mean(1), torch.zeros(2), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        std_p.flatten(1).std(1, unbiased=False),
        torch.ones(2),
        atol=1e-4,
        rtol=0)
    torch.testing.assert_close(std_feats,
                               (x * torch.sigmoid(std_p)).mean(dim=(2, 3)))
    # The gradient reaches the kernel generator only when standardised.
    raw_feats.sum().backward()
    std_feats.sum().backward()
    assert raw.kernel_generator[0].weight.grad.abs().max() < 1e-12
    assert std.kernel_generator[0].weight.grad.abs().max() > 1e-6
    # Eq. 1's min-max mask does not depend on the normalisation.
    assert torch.equal(
        raw.make_mask(raw_p, (10, 10)), std.make_mask(std_p, (10, 10)))


def test_unknown_pattern_norm_is_named():
    with pytest.raises(UserInputError, match='pattern_norm'):
        SSDP(8, pattern_norm='batch')


def test_mask_box_from_constructed_pattern():
    ssdp = SSDP(4, min_box_frac=0.0)
    p = _pattern_with_peak()  # rows 2..3, cols 5..6 of an 8x8 map
    mask = ssdp.make_mask(p, (8, 8))
    assert mask[0].nonzero().tolist() == [[r, c] for r in (2, 3)
                                          for c in (5, 6)]
    boxes = ssdp.mask_to_boxes(mask)
    assert boxes[0].tolist() == [5.0, 2.0, 7.0, 4.0]  # x0, y0, x1, y1


def test_box_grows_to_min_side_and_stays_inside():
    ssdp = SSDP(4, min_box_frac=0.5, box_padding=0.0)
    mask = torch.zeros(1, 8, 8, dtype=torch.bool)
    mask[0, 0, 7] = True  # a corner pixel
    assert ssdp.mask_to_boxes(mask)[0].tolist() == [4.0, 0.0, 8.0, 4.0]


def test_crop_zoom_view_is_the_resized_box():
    ssdp = SSDP(4, min_box_frac=0.0)
    images = torch.arange(64, dtype=torch.float32).view(1, 1, 8, 8)
    images = images.repeat(1, 3, 1, 1)
    p = _pattern_with_peak(rows=(0, 4), cols=(4, 8))  # top-right quarter
    view, stats = ssdp.make_view(images, p)
    expected = F.interpolate(
        images[:, :, 0:4, 4:8],
        size=(8, 8),
        mode='bilinear',
        align_corners=False)
    # Same sampling points; only the outermost output pixels differ (the
    # affine crop blends in the neighbouring pixel, resizing a cut-out
    # clamps at its edge).
    torch.testing.assert_close(view[..., 1:-1, 1:-1], expected[..., 1:-1,
                                                               1:-1])
    assert stats['box_area'].item() == pytest.approx(0.25)
    assert stats['ssdp_degenerate'].item() == 0


def test_keep_and_erase_views():
    images = torch.randn(1, 3, 8, 8)
    p = _pattern_with_peak()
    mask = SSDP(4).make_mask(p, (8, 8))[:, None]
    keep, _ = SSDP(4, view_mode='keep').make_view(images, p)
    erase, _ = SSDP(4, view_mode='erase').make_view(images, p)
    torch.testing.assert_close(keep, images * mask)
    torch.testing.assert_close(erase, images * ~mask)


def test_degenerate_masks_give_identity_view():
    images = torch.randn(2, 3, 8, 8)
    p = torch.zeros(2, 1, 4, 4)  # constant map: no pattern
    for mode in SSDP.VIEW_MODES:
        view, stats = SSDP(4, view_mode=mode).make_view(images, p)
        torch.testing.assert_close(view, images)
        assert stats['ssdp_degenerate'].item() == 1.0


def test_thresholds():
    p = torch.linspace(0, 1, 16).view(1, 1, 4, 4)
    fixed = SSDP(
        4, threshold='fixed', fixed_threshold=0.7).make_mask(p, (4, 4))
    assert fixed.sum().item() == int((p >= 0.7 - 1e-6).sum())
    torch.manual_seed(0)
    rnd = SSDP(4, threshold='random', random_threshold=(0.4, 0.6))
    area = rnd.make_mask(p, (4, 4)).float().mean().item()
    assert 0.4 - 1 / 16 <= area <= 0.6 + 1 / 16


def test_gradient_reaches_kernel_only_through_reweighting():
    ssdp = SSDP(16, reduce_channels=4, hidden_ratio=4)
    x = torch.randn(2, 16, 5, 5, requires_grad=True)
    feats, p = ssdp.forward_with_pattern((x, ))
    images = torch.randn(2, 3, 20, 20, requires_grad=True)
    view, _ = ssdp.make_view(images, p)
    assert not view.requires_grad  # the view carries no gradient back
    feats.sum().backward()
    assert ssdp.kernel_generator[0].weight.grad.abs().sum() > 0
    assert feats.shape == (2, 16)


def test_residual_reweight_and_per_location_kernel():
    x = torch.randn(2, 16, 5, 5)
    residual = SSDP(16, reweight='residual', pool=False)
    out = residual((x, ))[0]
    ratio = out / x
    assert ((ratio >= 1) & (ratio <= 2)).all()
    per_loc = SSDP(16, kernel_type='per_location', kernel_size=5)
    assert per_loc((x, ))[0].shape == (2, 16)


def test_bad_options_are_named():
    for kwargs, name in ((dict(view_mode='crop'),
                          'view_mode'), (dict(threshold='avg'), 'threshold'),
                         (dict(reweight='sum'), 'reweight'),
                         (dict(kernel_type='static'),
                          'kernel_type'), (dict(kernel_size=4), 'kernel_size'),
                         (dict(random_threshold=(0.7, 0.2)),
                          'random_threshold')):
        with pytest.raises(UserInputError, match=name):
            SSDP(8, **kwargs)


def test_bf16_autocast_mask_is_computed():
    ssdp = SSDP(16, reduce_channels=4, hidden_ratio=4)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats, p = ssdp.forward_with_pattern((torch.randn(2, 16, 5, 5), ))
        view, stats = ssdp.make_view(torch.randn(2, 3, 20, 20), p)
    assert view.shape == (2, 3, 20, 20)
    assert torch.isfinite(stats['mask_area'])


def test_random_placement_moves_the_pattern_box_and_keeps_its_size():
    torch.manual_seed(0)
    boxes = torch.tensor([[5., 2., 7., 4.], [0., 0., 8., 4.]])
    moved = torch.stack(
        [SSDP.place_randomly(boxes, (8, 8)) for _ in range(200)])
    sides = moved[..., 2:] - moved[..., :2]
    torch.testing.assert_close(sides,
                               (boxes[:, 2:] - boxes[:, :2]).expand_as(sides))
    assert (moved >= 0).all() and (moved <= 8).all()
    # The 2 x 2 box lands on many places; the full-width one only moves in y.
    assert len({tuple(b) for b in moved[:, 0].tolist()}) > 100
    assert (moved[:, 1, 0] == 0).all() and moved[:, 1, 1].max() > 3


def test_random_placement_view_is_a_crop_of_the_same_zoom():
    torch.manual_seed(0)
    ssdp = SSDP(4, min_box_frac=0.0, box_placement='random')
    images = torch.randn(1, 3, 8, 8)
    p = _pattern_with_peak(rows=(0, 4), cols=(4, 8))  # top-right quarter
    view, stats = ssdp.make_view(images, p)
    assert stats['box_area'].item() == pytest.approx(0.25)
    pattern_view, _ = SSDP(4, min_box_frac=0.0).make_view(images, p)
    assert not torch.allclose(view, pattern_view)
    with pytest.raises(UserInputError, match='box_placement'):
        SSDP(4, box_placement='random', view_mode='keep')


def test_no_reweighting_keeps_the_features_and_still_places_a_view():
    x = torch.randn(2, 16, 5, 5)
    plain = SSDP(16, reweight='none')
    feats, p = plain.forward_with_pattern((x, ))
    torch.testing.assert_close(feats, x.mean(dim=(2, 3)))
    assert p.shape == (2, 1, 5, 5)
