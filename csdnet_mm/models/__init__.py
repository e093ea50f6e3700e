from . import (backbones, classifiers, losses, necks,  # noqa: F401
               retrievers, selfsup, utils)
