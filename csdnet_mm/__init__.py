"""csdnet_mm: CSDNet and synthesized-pairs SSL as MMPretrain components.

Importing the package applies the stack fixes in :mod:`csdnet_mm.compat` and
registers every component into MMPretrain's registries, so a config needs
only ``custom_imports = dict(imports=['csdnet_mm'],
allow_failed_imports=False)``.
"""
from . import compat

compat.apply_all()

from . import datasets, engine, evaluation, hub, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

hub.install_lazy_registration()

__all__ = [
    '__version__', 'compat', 'datasets', 'engine', 'evaluation', 'hub',
    'models'
]
