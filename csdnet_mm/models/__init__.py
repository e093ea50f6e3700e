from . import (classifiers, heads, losses, necks, retrievers,  # noqa: F401
               selfsup, utils)
