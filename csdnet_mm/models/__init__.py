from . import (backbones, classifiers, losses, necks, retrievers,  # noqa: F401
               selfsup, utils)
