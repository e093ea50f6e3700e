from types import SimpleNamespace

import pytest
import torch

from csdnet_mm.engine.hooks import RNGStateHook


def saved_checkpoint():
    """A runner, its hook, and the checkpoint the hook saved the RNG
    states into right after torch (and CUDA, if initialised) was seeded
    with 1."""
    runner = SimpleNamespace(cfg=dict(randomness=dict(seed=0)))
    hook = RNGStateHook()
    torch.manual_seed(1)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    return runner, hook, checkpoint


def test_state_saved_then_restored_once_at_the_next_epoch_start():
    runner, hook, checkpoint = saved_checkpoint()
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


class _OnTheGPU:
    """Stands for a tensor that MMEngine's resume mapped to a GPU
    (``map_location`` is the current device): torch's RNG setters refuse
    it, its ``.cpu()`` gives the CPU tensor back."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor

    def cpu(self) -> torch.Tensor:
        return self.tensor


def test_state_mapped_to_a_gpu_is_restored():
    runner, hook, checkpoint = saved_checkpoint()
    expected = torch.rand(3)
    checkpoint['rng_state']['torch'] = _OnTheGPU(
        checkpoint['rng_state']['torch'])

    torch.manual_seed(123)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train_epoch(runner)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_state_loaded_onto_cuda_is_restored():
    torch.cuda.init()  # the CUDA states are saved once CUDA is initialised
    torch.cuda.manual_seed_all(1)
    runner, hook, checkpoint = saved_checkpoint()
    expected = (torch.rand(3), torch.rand(3, device='cuda'))
    state = checkpoint['rng_state']
    state['torch'] = state['torch'].cuda()
    state['cuda'] = [s.cuda() for s in state['cuda']]

    torch.manual_seed(123)
    torch.cuda.manual_seed_all(123)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train_epoch(runner)
    assert torch.equal(torch.rand(3), expected[0])
    assert torch.equal(torch.rand(3, device='cuda'), expected[1])
