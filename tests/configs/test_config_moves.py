"""Moving the configs to MMPretrain's layout changed no run:
every leaf config of commit 2efaf1e resolves today, under its new path and
under its old path where that is kept as an alias, to what it resolved to
then.

The snapshot was written from that commit's configs by

    python tools/misc/config_snapshot.py --rev 2efaf1e \\
        --out tests/data/config_snapshots.json.gz

Every top-level key is compared (model, the three dataloaders,
optim_wrapper, param_scheduler, train_cfg, hooks, runtime, ...), for equality
as MMEngine resolves it. Two differences are expected and nothing else:

* the helper variables of the removed configs/_base_/methods/*.py are gone
  from the top level (their content is in ``model`` / ``custom_hooks``);
* the method parts no longer restate their modules' defaults, so for the
  configs in DEFAULTS_LEFT_OUT ``model`` and ``custom_hooks`` are compared
  after filling in, on both sides, the constructor defaults of every
  registered module they name. A default is then stated once, in the code.

Two later changes are allowed for: the SimSiam configs gained
``EmbeddingCollapseHook``, which reads the projector output and
changes no training step; it is taken out of ``custom_hooks`` before they
are compared. And the demo and Fashion-MNIST configs took MMPretrain's
names (``{model}_{N}xb{B}-{schedule}_{data}``); a run's work directory is
named after its config, so the checkpoints one such config reads from
another's run (``work_dirs/<config name>/epoch_N.pth``) moved with them:
the old snapshot's paths are renamed (WORK_DIRS) before it is compared.
"""
import gzip
import inspect
import json
import os.path as osp
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import HOOKS, MODELS

import csdnet_mm  # noqa: F401  (registers the plugin's modules)
from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'misc'))
from config_snapshot import leaf_configs, to_json  # noqa: E402

init_default_scope('mmpretrain')

SNAPSHOT = osp.join(REPO_ROOT, 'tests', 'data', 'config_snapshots.json.gz')
with gzip.open(SNAPSHOT, 'rt') as f:
    OLD = json.load(f)

# Old path -> new path of every config that moved.
# yapf: disable
MOVED = {
    'configs/csdnet_r50_cotton80.py':
    'configs/csdnet/csdnet_resnet50_1xb8-160e_cotton80-384px.py',
    'configs/csdnet_r50_cotton80_synthpairs-init.py':
    'configs/csdnet/'
    'csdnet_resnet50_synthpairs-pre_1xb8-160e_cotton80-384px.py',
    'configs/csdnet_r50_cub.py':
    'configs/csdnet/csdnet_resnet50_8xb8-100e_cub-448px.py',
    **{f'configs/csdnet_r50_{name}.py':
       f'configs/csdnet/csdnet_resnet50_1xb16-160e_{new}-384px.py'
       for name, new in [('soylocal', 'soylocal'), ('soygene', 'soygene'),
                         ('soyglobal', 'soyglobal')]
       + [(f'soyageing_r{r}', f'soyageing-r{r}') for r in (1, 3, 4, 5, 6)]},
    **{f'configs/demo/{old}.py': f'configs/demo/{new}.py' for old, new in [
        ('resnet18_demo', 'resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo'),
        ('csdnet_r18_demo',
         'csdnet_resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo'),
        ('synthpairs_decoder_r18_demo',
         'synthpairs-decoder_resnet18-cifar-w32_1xb32-adam-20e_ufg-demo'),
        ('mocov2_demo', 'mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo'),
        ('synthpairs_mocov2_demo',
         'synthpairs-mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo'),
        ('retrieval_r18_demo', 'resnet18-cifar-w32_retrieval_ufg-demo')]
       + [(f'linear_r18_demo{pct}',
           f'resnet18-cifar-w32_1xb16-linear-steplr-30e_ufg-demo{pct}')
          for pct in ('', '_50pct', '_20pct')]},
    # Renamed without aliases: no command in the README runs the old paths.
    # (The 32 px configs are newer than the snapshot; listed for the record.)
    **{f'configs/fashion_mnist/{old}.py': f'configs/fashion_mnist/{new}.py'
       for old, new in [
           ('efficientnet-lite0_fmnist8-10shot',
            'efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot'),
           ('csdnet_efficientnet-lite0_fmnist8-10shot',
            'csdnet_efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot'),
           ('mobilenet-v2_fmnist8-10shot',
            'mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot'),
           ('csdnet_mobilenet-v2_fmnist8-10shot',
            'csdnet_mobilenet-v2_1xb16-coslr-30e_fmnist8-10shot'),
           ('linear_efficientnet-lite0_fmnist8-10shot',
            'efficientnet-lite0_1xb16-linear-steplr-30e_fmnist8-10shot'),
           ('retrieval_efficientnet-lite0_fmnist8',
            'efficientnet-lite0_retrieval_fmnist8'),
           ('mocov2_efficientnet-lite0_fmnist8',
            'mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8'),
           ('synthpairs-decoder_efficientnet-lite0_fmnist8',
            'synthpairs-decoder_efficientnet-lite0_1xb32-adam-10e_fmnist8'),
           ('synthpairs-mocov2_efficientnet-lite0_fmnist8',
            'synthpairs-mocov2_efficientnet-lite0_1xb32-coslr-6e_fmnist8'),
           ('retrieval_resnet18-cifar-w32_fmnist8-32px',
            'resnet18-cifar-w32_retrieval_fmnist8-32px'),
           ('synthpairs-decoder_resnet18-cifar-w32_fmnist8-32px',
            'synthpairs-decoder_resnet18-cifar-w32_1xb128-adam-5e_'
            'fmnist8-32px')]
       + [(f'{method}_resnet18-cifar-w32_fmnist8-32px',
           f'{method}_resnet18-cifar-w32_1xb128-coslr-20e_fmnist8-32px')
          for method in ('mocov2', 'synthpairs-mocov2', 'simsiam',
                         'synthpairs-simsiam')]
       + [(f'linear_resnet18-cifar-w32_fmnist8-32px{pct}',
           f'resnet18-cifar-w32_1xb64-linear-steplr-30e_fmnist8-32px{pct}')
          for pct in ('', '_50pct', '_20pct')]},
}
# yapf: enable
# Old paths kept as one-line aliases of their new path: the README, the docs
# and users run them.
ALIASES = {p for p in MOVED if not p.startswith('configs/fashion_mnist/')}
# Work directory (config name) of every demo and Fashion-MNIST config that
# moved: old -> new.
WORK_DIRS = {
    osp.basename(old)[:-3]: osp.basename(new)[:-3]
    for old, new in MOVED.items()
    if old.startswith(('configs/demo/', 'configs/fashion_mnist/'))
}

# Top-level variables of configs/_base_/methods/{csdnet,synthpairs}_r50.py.
GONE = {
    'csdnet_model', 'csdnet_hooks', 'csdnet_new_layers_lr',
    'synthpairs_decoder', 'synthpairs_options', 'synthpairs_moco_options',
    'synthpairs_simsiam_options', 'synthpairs_hooks'
}

# Configs whose method part no longer restates module defaults (see above):
# CSDNet on ResNet-50 and every SynthPairs stage 2 and decoder.
DEFAULTS_LEFT_OUT = {
    p
    for p in OLD if osp.basename(p).startswith('csdnet_r50')
    or osp.basename(p).startswith('synthpairs-')
} | {'configs/demo/synthpairs_mocov2_demo.py'}


def _renamed_work_dirs(value):
    """``value`` with every ``work_dirs/<old name>/`` path renamed."""
    if isinstance(value, dict):
        return {k: _renamed_work_dirs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed_work_dirs(v) for v in value]
    if isinstance(value, str):
        for old, new in WORK_DIRS.items():
            value = value.replace(f'work_dirs/{old}/', f'work_dirs/{new}/')
    return value


def _resolved(path):
    return to_json(Config.fromfile(osp.join(REPO_ROOT, path)).to_dict())


def _with_defaults(value, registry):
    """``value`` with the constructor defaults of every module it names
    (a dict with a registered ``type``) added where it leaves them out."""
    if isinstance(value, list):
        return [_with_defaults(v, registry) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _with_defaults(v, registry) for k, v in value.items()}
    cls = registry.get(value['type']) if isinstance(value.get('type'),
                                                    str) else None
    if cls is not None:
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if param.default is not param.empty and param.kind in (
                    param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                out.setdefault(
                    name, _with_defaults(to_json(param.default), registry))
    return out


# Hooks added to configs after the snapshot that only watch the run.
WATCH_ONLY_HOOKS = ({'type': 'EmbeddingCollapseHook'}, )


def _val_split_fixed(old, path):
    """The Fashion-MNIST configs that validated on the test split now
    validate on the val split (test images only through tools/test.py):
    the snapshot with that change."""
    dataset = (old.get('val_dataloader') or {}).get('dataset') or {}
    if (path.startswith('configs/fashion_mnist/')
            and dataset.get('split') == 'test'):
        dataset['split'] = 'val'
    return old


def _assert_same_run(old_path, path):
    old = _val_split_fixed(_renamed_work_dirs(OLD[old_path]), path)
    new = _resolved(path)
    if 'custom_hooks' in new:
        new['custom_hooks'] = [
            h for h in new['custom_hooks'] if h not in WATCH_ONLY_HOOKS
        ]
    assert set(old) - set(new) <= GONE, 'top-level keys lost'
    assert set(new) - set(old) == set(), 'top-level keys added'
    for key in sorted(set(old) & set(new)):
        if old[key] == new[key]:
            continue
        assert key in ('model', 'custom_hooks'), key
        assert old_path in DEFAULTS_LEFT_OUT, key
        registry = MODELS if key == 'model' else HOOKS
        assert _with_defaults(new[key],
                              registry) == _with_defaults(old[key],
                                                          registry), key


@pytest.mark.parametrize('old_path', sorted(OLD))
def test_config_resolves_as_before(old_path):
    _assert_same_run(old_path, MOVED.get(old_path, old_path))


@pytest.mark.parametrize('old_path', sorted(ALIASES))
def test_alias_is_one_line_and_resolves_as_before(old_path):
    new = MOVED[old_path]
    with open(osp.join(REPO_ROOT, old_path)) as f:
        text = f.read()
    target = osp.relpath(new, osp.dirname(old_path))
    assert text == f"_base_ = './{target}'\n"
    _assert_same_run(old_path, old_path)


def test_every_snapshot_config_still_exists():
    # Configs added after the snapshot are not in it; none may be lost.
    now = set(leaf_configs(REPO_ROOT))
    assert {MOVED.get(p, p) for p in OLD} | set(ALIASES) <= now
    assert set(ALIASES) <= set(MOVED)
