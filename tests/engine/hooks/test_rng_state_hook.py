from types import SimpleNamespace

import torch

from csdnet_mm.engine.hooks import RNGStateHook


def test_state_saved_then_restored_once_at_the_next_epoch_start():
    runner = SimpleNamespace(cfg=dict(randomness=dict(seed=0)))
    hook = RNGStateHook()
    torch.manual_seed(1)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    expected = torch.rand(3)  # what the uninterrupted run draws next

    torch.manual_seed(123)  # a resumed run is re-seeded from the config
    hook.after_load_checkpoint(runner, checkpoint)
    torch.rand(5)  # draws between loading and training (loop set-up)
    hook.before_train_epoch(runner)
    assert torch.equal(torch.rand(3), expected)
    # Later epochs keep their own stream.
    state = torch.get_rng_state()
    hook.before_train_epoch(runner)
    assert torch.equal(torch.get_rng_state(), state)


def test_checkpoint_without_state_leaves_the_stream_alone():
    runner = SimpleNamespace(cfg={})
    hook = RNGStateHook()
    hook.after_load_checkpoint(runner, {'state_dict': {}})
    state = torch.get_rng_state()
    hook.before_train_epoch(runner)
    assert torch.equal(torch.get_rng_state(), state)
