"""RNGStateHook and NonFiniteLossHook come with the plugin's
default_runtime (so MMPretrain's own tools/train.py runs them), and the
plugin's tools/train.py adds them to configs without that runtime."""
import glob
import os.path as osp

import pytest
import torch

from conftest import PYTHON, REPO_ROOT, run_tool

TINY = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
WANTED = {'RNGStateHook', 'NonFiniteLossHook'}


def _stock_train(work_dir, demo_root, *options):
    import mmpretrain
    script = osp.join(
        osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'train.py')
    data = [
        f'{split}_dataloader.dataset.data_root={demo_root}'
        for split in ('train', 'val', 'test')
    ]
    return run_tool([
        PYTHON, script, TINY, '--work-dir',
        str(work_dir), '--cfg-options', *data, *options
    ])


def _types(cfg):
    from csdnet_mm.tool_utils import _hook_type
    hooks = [
        h for h in (cfg.get('default_hooks') or {}).values() if h is not None
    ] + list(cfg.get('custom_hooks') or [])
    return [_hook_type(h) for h in hooks]


@pytest.mark.slow
def test_stock_train_script_saves_rng_state(tmp_path, demo_root):
    result = _stock_train(tmp_path, demo_root)
    assert result.returncode == 0, result.stderr[-3000:]
    import csdnet_mm  # noqa: F401  (weights-only loading of the state)
    checkpoint = torch.load(
        osp.join(tmp_path, 'iter_2.pth'), map_location='cpu')
    assert set(checkpoint['rng_state']) >= {'torch', 'numpy', 'python'}


@pytest.mark.slow
def test_stock_train_script_stops_at_nan(tmp_path, demo_root):
    result = _stock_train(tmp_path, demo_root,
                          'optim_wrapper.optimizer.lr=1e30',
                          'default_hooks.checkpoint.interval=1')
    assert result.returncode != 0
    assert 'NonFiniteLossError: non-finite loss at iteration 2 (epoch 1)' \
        in result.stderr, result.stderr[-3000:]
    assert not osp.exists(osp.join(tmp_path, 'iter_2.pth'))


def test_every_shipped_config_has_them_once():
    """Configs on the plugin's runtime have them; the others (children of
    `mmpretrain::` configs) get them from the plugin's tools/train.py;
    nobody gets two."""
    from mmengine.config import Config

    from csdnet_mm.tool_utils import add_reliability_hooks
    stock_children = []
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        if not WANTED <= set(_types(cfg)):
            assert 'mmpretrain::' in open(path).read(), path
            stock_children.append(path)
        add_reliability_hooks(cfg, no_nonfinite_check=False)
        types = _types(cfg)
        assert all(types.count(name) == 1 for name in WANTED), path
    assert stock_children  # the tool's fallback is exercised


def _config(text, tmp_path):
    from mmengine.config import Config

    from conftest import write_config
    return Config.fromfile(write_config(tmp_path, 'child', TINY, text))


def test_tool_respects_the_config_and_the_flag(tmp_path):
    from mmpretrain.registry import HOOKS

    from csdnet_mm.tool_utils import add_reliability_hooks

    # Already in custom_hooks: not added again.
    cfg = _config(
        "default_hooks = dict(rng_state=None, nonfinite=None)\n"
        "custom_hooks = [dict(type='RNGStateHook')]", tmp_path)
    add_reliability_hooks(cfg, no_nonfinite_check=False)
    assert _types(cfg).count('RNGStateHook') == 1
    # Removed on purpose (`nonfinite=None`): not put back.
    assert 'NonFiniteLossHook' not in _types(cfg)
    # --no-nonfinite-check turns the runtime's hook off.
    cfg = _config('', tmp_path)
    add_reliability_hooks(cfg, no_nonfinite_check=True)
    hook = HOOKS.build(cfg.default_hooks.nonfinite)
    assert hook.enable is False


@pytest.mark.parametrize('enable', [True, False])
def test_enable_switch(enable):
    from types import SimpleNamespace

    from mmengine.model import BaseModel

    from csdnet_mm.engine.hooks import NonFiniteLossHook

    class Model(BaseModel):

        def forward(self, *args, **kwargs):
            pass

    runner = SimpleNamespace(model=Model())
    original = runner.model.parse_losses
    NonFiniteLossHook(enable=enable).before_train(runner)
    assert (runner.model.parse_losses != original) is enable
