import pytest
import torch

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.necks import MemoryQueueNeck
from conftest import state_dicts_on_ranks


def test_forward_pools_projects_normalises():
    neck = MemoryQueueNeck(in_channels=16, feat_dim=8, queue_len=4)
    out = neck((torch.randn(3, 16, 5, 5), ))
    assert out.shape == (3, 8)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(3))
    vec = MemoryQueueNeck(16, proj_type='identity')(torch.randn(2, 16))
    assert vec.shape == (2, 16)
    mlp = MemoryQueueNeck(16, proj_type='mlp', hidden_channels=32)
    assert mlp(torch.randn(2, 16)).shape == (2, 128)


def test_fifo_wraps_around_and_keeps_newest():
    neck = MemoryQueueNeck(in_channels=2, queue_len=5, proj_type='identity')
    assert neck.fill_ratio == 0.0
    feats = torch.arange(14, dtype=torch.float32).repeat(2, 1).t()
    neck.enqueue(feats[:3], torch.tensor([0, 1, 2]))
    assert neck.fill_ratio == pytest.approx(0.6)
    assert int(neck.queue_ptr) == 3
    neck.enqueue(feats[3:7], torch.tensor([3, 4, 5, 6]))  # wraps
    assert int(neck.queue_ptr) == 2
    assert neck.queue_labels.tolist() == [5, 6, 2, 3, 4]
    assert neck.queue[:, 0].tolist() == [5, 6, 2, 3, 4]
    assert neck.fill_ratio == 1.0


def test_queue_shorter_than_a_global_batch_is_named_with_the_fix():
    neck = MemoryQueueNeck(in_channels=2, queue_len=5, proj_type='identity')
    with pytest.raises(
            UserInputError,
            match=r'queue_len=5 is smaller than one global batch '
            r'\(7 rows.*at least 7'):
        neck.enqueue(torch.ones(7, 2), torch.arange(7))
    # Padding rows of an uneven last batch do not count.
    neck.enqueue(torch.ones(7, 2), torch.tensor([0, 1, 2, 3, 4, -1, -1]))
    assert neck.fill_ratio == 1.0


def test_padded_rows_are_dropped():
    neck = MemoryQueueNeck(in_channels=2, queue_len=4, proj_type='identity')
    neck.enqueue(torch.ones(3, 2), torch.tensor([1, -1, 2]))
    assert neck.queue_labels.tolist() == [1, 2, -1, -1]


def test_queue_survives_checkpoint_round_trip():
    neck = MemoryQueueNeck(in_channels=4, queue_len=6, feat_dim=3)
    neck.enqueue(torch.randn(4, 3), torch.tensor([0, 1, 2, 3]))
    state = neck.state_dict()
    assert {'queue', 'queue_labels', 'queue_ptr'} <= set(state)
    fresh = MemoryQueueNeck(in_channels=4, queue_len=6, feat_dim=3)
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh.queue, neck.queue)
    assert fresh.queue_labels.tolist() == neck.queue_labels.tolist()
    assert int(fresh.queue_ptr) == 4


def test_bad_options_are_named():
    with pytest.raises(UserInputError, match='proj_type'):
        MemoryQueueNeck(8, proj_type='linaer')
    with pytest.raises(UserInputError, match='queue_len'):
        MemoryQueueNeck(8, queue_len=0)


def _enqueue_on_rank(rank):
    neck = MemoryQueueNeck(in_channels=2, queue_len=8, proj_type='identity')
    # Uneven batches: rank 0 has three rows, rank 1 one (a last batch).
    rows = 3 if rank == 0 else 1
    feats = torch.full((rows, 2), float(rank + 1))
    labels = torch.arange(rows) + 10 * rank
    neck.enqueue(feats, labels)
    return neck


@pytest.mark.slow
def test_enqueue_gathers_uneven_batches_across_ranks(tmp_path):
    states = state_dicts_on_ranks(_enqueue_on_rank, tmp_path)
    for state in states:
        assert state['queue_labels'].tolist() == [0, 1, 2, 10, -1, -1, -1, -1]
        assert state['queue'][:4, 0].tolist() == [1, 1, 1, 2]
        assert int(state['queue_ptr']) == 4
    torch.testing.assert_close(states[0]['queue'], states[1]['queue'])
