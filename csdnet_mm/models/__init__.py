from . import classifiers, heads, losses, necks, selfsup, utils  # noqa: F401
