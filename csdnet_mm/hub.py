"""The plugin's models in MMPretrain's model hub.

After ``import csdnet_mm`` (or a config's ``custom_imports``),
``mmpretrain.list_models('*csdnet*')``, ``get_model(name)`` and
``inference_model(name, img, pretrained=CKPT)`` know every config listed in
the plugin's ``model-index.yml``. Nothing is read at import: the index is
parsed the first time MMPretrain itself loads its own index (its
``ModelHub._register_mmpretrain_models``, called by ``list_models`` and
``ModelHub.get``), and the hub is otherwise unchanged. The metafiles carry
no ``Weights`` (no checkpoint is released), so ``pretrained=True`` warns
and builds a randomly initialised model, as MMPretrain does for its own
models without weights; pass a checkpoint path instead.
"""
import os.path as osp
from typing import Optional

_STATE = dict(installed=False, registered=False)


def model_index_path() -> Optional[str]:
    """``csdnet_mm/.mim/model-index.yml`` of an installed package, else the
    source checkout's ``model-index.yml`` (a ``PYTHONPATH`` run)."""
    package = osp.dirname(osp.abspath(__file__))
    for candidate in (osp.join(package, '.mim', 'model-index.yml'),
                      osp.join(osp.dirname(package), 'model-index.yml')):
        if osp.isfile(candidate):
            return candidate
    return None


def register_models() -> None:
    """Register the plugin's model index with ``ModelHub`` (once)."""
    if _STATE['registered']:
        return
    _STATE['registered'] = True
    path = model_index_path()
    if path is None:
        return
    from mmpretrain.apis import ModelHub
    ModelHub.register_model_index(path, config_prefix=osp.dirname(path))


def install_lazy_registration() -> None:
    """Have MMPretrain's own lazy index loading register ours as well."""
    if _STATE['installed']:
        return
    _STATE['installed'] = True
    from mmpretrain.apis import ModelHub
    original = ModelHub.__dict__['_register_mmpretrain_models'].__func__

    def _register_mmpretrain_models(cls):
        original(cls)
        register_models()

    _register_mmpretrain_models.__wrapped__ = original
    ModelHub._register_mmpretrain_models = classmethod(
        _register_mmpretrain_models)
