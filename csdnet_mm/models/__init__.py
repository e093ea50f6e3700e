from . import backbones, classifiers, losses, necks, retrievers, selfsup, utils

__all__ = [
    'backbones', 'classifiers', 'losses', 'necks', 'retrievers', 'selfsup',
    'utils'
]
