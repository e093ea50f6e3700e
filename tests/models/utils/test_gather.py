"""all_gather_with_grad: the plugin's copy of MMPretrain's SimCLR
GatherLayer (not exported by mmpretrain.models) gives the same values and
gradients, in one process and across two gloo ranks."""
import pytest
import torch
import torch.nn as nn
from mmpretrain.models.selfsup.simclr import GatherLayer

from csdnet_mm.models.utils import all_gather_with_grad
from conftest import state_dicts_on_ranks


def _loss_and_grad(gather, rank):
    generator = torch.Generator().manual_seed(rank)
    a = torch.randn(3, 4, generator=generator, requires_grad=True)
    b = torch.randn(3, 4, generator=generator, requires_grad=True)
    gathered_a, gathered_b = torch.cat(gather(a)), torch.cat(gather(b))
    # Rank-dependent, so a backward that summed the ranks' gradients
    # (torch.distributed.nn's all_gather) would give other numbers.
    loss = (gathered_a @ gathered_b.t()).logsumexp(1).sum() * (rank + 1)
    loss.backward()
    return loss.detach(), gathered_a.detach(), a.grad, b.grad


def _both(rank):
    mine = _loss_and_grad(all_gather_with_grad, rank)
    theirs = _loss_and_grad(lambda x: GatherLayer.apply(x), rank)
    module = nn.Module()
    for name, values in (('mine', mine), ('theirs', theirs)):
        for index, value in enumerate(values):
            module.register_buffer(f'{name}_{index}', value.clone())
    return module


def test_single_process_is_the_identity_with_gradient():
    state = _both(0).state_dict()
    for index in range(4):
        assert torch.equal(state[f'mine_{index}'], state[f'theirs_{index}'])
    x = torch.ones(2, 3, requires_grad=True)
    assert len(all_gather_with_grad(x)) == 1


@pytest.mark.slow
def test_two_ranks_match_mmpretrain_gather_layer(tmp_path):
    states = state_dicts_on_ranks(_both, tmp_path)
    for rank, state in enumerate(states):
        for index in range(4):
            assert torch.equal(state[f'mine_{index}'],
                               state[f'theirs_{index}']), (rank, index)
        # Both ranks' rows were gathered, in rank order.
        assert state['mine_1'].shape == (6, 4)
    assert torch.equal(states[0]['mine_1'], states[1]['mine_1'])
