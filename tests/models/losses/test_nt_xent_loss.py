import math

import torch

from csdnet_mm.models.losses import NTXentLoss


def test_matches_hand_computed_value():
    # Two pairs in 2-D: a0 = b0 = (1, 0), a1 = b1 = (0, 1). For a0 the
    # candidates are a1, b0, b1 with cosines 0, 1, 0.
    emb = torch.tensor([[1., 0.], [0., 1.]])
    loss = NTXentLoss(temperature=1.0)(emb, emb.clone())
    expected = -math.log(math.e / (math.e + 2))
    assert math.isclose(float(loss), expected, rel_tol=1e-6)


def test_better_pairs_give_lower_loss_and_weight_scales():
    torch.manual_seed(0)
    a = torch.randn(8, 16)
    close = NTXentLoss()(a, a + 0.01 * torch.randn(8, 16))
    far = NTXentLoss()(a, torch.randn(8, 16))
    assert close < far
    assert torch.isclose(
        NTXentLoss(loss_weight=0.5)(a, a), 0.5 * NTXentLoss()(a, a))


def test_fp32_under_bf16_inputs_and_gradient():
    torch.manual_seed(0)
    a = torch.randn(4, 8, requires_grad=True)
    b = a.detach().bfloat16()
    loss = NTXentLoss()(a.bfloat16(), b)
    assert loss.dtype == torch.float32
    loss.backward()
    # The fp32 loss and gradient of the same (bf16-rounded) inputs; the
    # gradient passes back through the bf16 cast, so it is bf16-rounded.
    a32 = a.detach().bfloat16().float().requires_grad_()
    expected = NTXentLoss()(a32, b.float())
    expected.backward()
    assert float(loss) == float(expected)
    torch.testing.assert_close(a.grad, a32.grad.bfloat16().float())
