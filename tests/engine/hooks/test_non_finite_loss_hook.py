import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.model import BaseModel

from csdnet_mm.engine.hooks import NonFiniteLossHook
from csdnet_mm.errors import NonFiniteLossError
from conftest import PYTHON, REPO_ROOT, run_tool

TINY = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')


class _Model(BaseModel):

    def forward(self, *args, **kwargs):
        pass


def _runner(tmp_path, checkpoint=None):
    if checkpoint:
        (tmp_path / 'last_checkpoint').write_text(checkpoint)
    return SimpleNamespace(
        model=_Model(), work_dir=str(tmp_path), iter=6, epoch=0)


def test_finite_losses_pass_through_unchanged(tmp_path):
    runner = _runner(tmp_path)
    NonFiniteLossHook().before_train(runner)
    NonFiniteLossHook().before_train(runner)  # wraps once only
    parsed, log_vars = runner.model.parse_losses(
        dict(loss_a=torch.tensor(1.5), loss_b=torch.tensor(0.5)))
    assert float(parsed) == 2.0 and set(log_vars) == {
        'loss', 'loss_a', 'loss_b'
    }


def test_non_finite_loss_names_iteration_terms_and_checkpoint(tmp_path):
    runner = _runner(tmp_path, checkpoint='/w/iter_6.pth')
    NonFiniteLossHook().before_train(runner)
    with pytest.raises(NonFiniteLossError) as error:
        runner.model.parse_losses(
            dict(loss_a=torch.tensor(1.5), loss_b=torch.tensor(float('nan'))))
    message = str(error.value)
    assert 'iteration 7 (epoch 1)' in message
    assert 'loss_b=nan' in message and 'loss_a' not in message
    assert '--resume /w/iter_6.pth' in message
    with pytest.raises(NonFiniteLossError, match='loss_a=inf'):
        runner.model.parse_losses(dict(loss_a=torch.tensor(float('inf'))))


@pytest.mark.slow
def test_train_tool_stops_before_nan_weights(tmp_path, demo_root):
    data = [
        f'{split}_dataloader.dataset.data_root={demo_root}'
        for split in ('train', 'val', 'test')
    ]
    args = [
        PYTHON, 'tools/train.py', TINY, '--work-dir',
        str(tmp_path), '--cfg-options', *data,
        'optim_wrapper.optimizer.lr=1e30',
        'default_hooks.checkpoint.interval=1'
    ]
    result = run_tool(args)
    assert result.returncode == 3, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert 'error: non-finite loss at iteration 2 (epoch 1): loss=nan' in \
        result.stderr
    checkpoint = osp.join(tmp_path, 'iter_1.pth')
    assert f'--resume {checkpoint}' in result.stderr
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    assert all(
        torch.isfinite(v).all() for v in state.values()
        if v.is_floating_point())
    assert not osp.exists(osp.join(tmp_path, 'iter_2.pth'))
    # Opting out gives MMEngine's behaviour: it trains on through the NaN.
    result = run_tool(args + ['--no-nonfinite-check'])
    assert result.returncode == 0, result.stderr[-3000:]
