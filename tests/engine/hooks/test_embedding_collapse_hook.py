import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from csdnet_mm.engine.hooks import EmbeddingCollapseHook
from csdnet_mm.errors import TrainingCollapseError, UserInputError


class _Siamese(BaseModel):
    """A projector whose output spread is set by the test."""

    def __init__(self):
        super().__init__()
        self.neck = torch.nn.Identity()

    def forward(self, *args, **kwargs):
        pass


def _feed(hook, outputs, tmp_path):
    """Pass each (N, d) tensor through the watched neck, one iteration
    each; return the 1-based iteration that stopped training, or None."""
    model = _Siamese().train()
    runner = SimpleNamespace(
        model=model,
        work_dir=str(tmp_path),
        iter=0,
        epoch=0,
        message_hub=MessageHub.get_instance('embedding_collapse_test'))
    hook.before_train(runner)
    try:
        for i, z in enumerate(outputs):
            runner.iter = i
            model.neck((z, ))
            model.neck((torch.zeros_like(z), ))  # a later call: not measured
            try:
                hook.after_train_iter(runner, i)
            except TrainingCollapseError as e:
                assert f'iteration {i + 1}' in str(e)
                return i + 1
    finally:
        hook.after_train(runner)
    return None


def test_collapsed_embedding_stops_after_the_window(tmp_path):
    torch.manual_seed(0)
    healthy = [torch.randn(32, 64) for _ in range(5)]
    # Every image maps to (almost) one point of the sphere.
    collapsed = [
        torch.ones(32, 64) + 1e-4 * torch.randn(32, 64) for _ in range(8)
    ]
    assert _feed(
        EmbeddingCollapseHook(window=8), healthy + collapsed, tmp_path) == 13
    # One healthy batch restarts the count; healthy runs are never stopped.
    assert _feed(
        EmbeddingCollapseHook(window=8),
        collapsed[:7] + healthy[:1] + collapsed, tmp_path) == 16
    assert _feed(EmbeddingCollapseHook(window=2), healthy * 4,
                 tmp_path) is None


def test_logged_value_is_the_scaled_per_channel_std(tmp_path):
    """sqrt(d) times the mean over channels of the std over the batch of
    the l2-normalised output, computed by hand on two batches."""
    hub = MessageHub.get_instance('embedding_collapse_test')
    # The 32 rows +e_1..+e_16, -e_1..-e_16 (already unit length): each
    # channel holds one +1, one -1 and 30 zeros, so its mean is 0 and its
    # std (n - 1 = 31) sqrt(2 / 31); scaled by sqrt(16): sqrt(32 / 31).
    eye = torch.eye(16)
    spread = torch.cat([eye, -eye])
    assert _feed(EmbeddingCollapseHook(window=1), [spread], tmp_path) is None
    assert hub.get_scalar('train/embedding_std').current() == \
        pytest.approx(math.sqrt(32 / 31), rel=1e-6)
    # Rows (3, 4) and (3, -4), normalised (0.6, +-0.8): channel 0 has std
    # 0, channel 1 std 0.8 * sqrt(2) (n - 1 = 1); scaled by sqrt(2): 0.8.
    pair = torch.tensor([[3., 4.], [3., -4.]])
    assert _feed(EmbeddingCollapseHook(window=2), [pair], tmp_path) is None
    assert hub.get_scalar('train/embedding_std').current() == \
        pytest.approx(0.8, rel=1e-6)
    # One point for every image: exactly 0, so window=1 stops at once.
    assert _feed(
        EmbeddingCollapseHook(window=1), [torch.ones(4, 8)], tmp_path) == 1
    assert hub.get_scalar('train/embedding_std').current() == 0


def test_off_or_unwatchable_and_bad_options(tmp_path):
    collapsed = [torch.ones(8, 16)] * 5
    assert _feed(
        EmbeddingCollapseHook(window=2, enable=False), collapsed,
        tmp_path) is None
    assert _feed(
        EmbeddingCollapseHook(window=2, module='projector'), collapsed,
        tmp_path) is None
    for bad in (dict(window=0), dict(threshold=0), dict(threshold=1.5)):
        with pytest.raises(UserInputError, match='EmbeddingCollapseHook'):
            EmbeddingCollapseHook(**bad)


def test_message_names_the_last_checkpoint(tmp_path):
    runner = SimpleNamespace(work_dir=str(tmp_path), iter=9, epoch=1)
    hook = EmbeddingCollapseHook()
    message = hook.describe(runner, 0.01)
    assert 'iteration 10 (epoch 2)' in message and '0.0100' in message
    assert 'last checkpoint' not in message
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert f'The last checkpoint is {tmp_path}/epoch_1.pth' in \
        hook.describe(runner, 0.01)
