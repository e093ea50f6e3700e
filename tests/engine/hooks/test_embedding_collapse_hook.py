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
        model=model, work_dir=str(tmp_path), iter=0, epoch=0,
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
    collapsed = [torch.ones(32, 64) + 1e-4 * torch.randn(32, 64)
                 for _ in range(8)]
    assert _feed(EmbeddingCollapseHook(window=8), healthy + collapsed,
                 tmp_path) == 13
    # One healthy batch restarts the count; healthy runs are never stopped.
    assert _feed(EmbeddingCollapseHook(window=8),
                 collapsed[:7] + healthy[:1] + collapsed, tmp_path) == 16
    assert _feed(EmbeddingCollapseHook(window=2), healthy * 4,
                 tmp_path) is None
    hub = MessageHub.get_instance('embedding_collapse_test')
    assert 0.8 < hub.get_scalar('train/embedding_std').current() < 1.2


def test_off_or_unwatchable_and_bad_options(tmp_path):
    collapsed = [torch.ones(8, 16)] * 5
    assert _feed(EmbeddingCollapseHook(window=2, enable=False), collapsed,
                 tmp_path) is None
    assert _feed(EmbeddingCollapseHook(window=2, module='projector'),
                 collapsed, tmp_path) is None
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
