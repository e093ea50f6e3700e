"""What the cost measurement reads from a config: the training pipeline's
views per image and input size, and the ``Pretrained`` init configs it
drops."""
from typing import Iterator, List, Optional, Sequence

from mmengine.config import Config


def strip_pretrained(node):
    """Drop ``Pretrained`` init configs (nothing can be downloaded here, and
    speed or memory do not depend on the weights)."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            strip_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            strip_pretrained(value)
    return node


def _pipeline_transforms(pipeline: Sequence[dict]) -> Iterator[dict]:
    for transform in pipeline:
        yield transform
        if transform.get('type') == 'MultiView':
            for branch in transform['transforms']:
                yield from _pipeline_transforms(branch)


def _train_pipeline(cfg: Config) -> List[dict]:
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']  # wrappers (LabelSubsetDataset, ...)
    return list(dataset.get('pipeline', []))


def num_views(cfg: Config) -> int:
    """Views per image the training loader yields (``MultiView``)."""
    for transform in _train_pipeline(cfg):
        if transform.get('type') == 'MultiView':
            views = transform['num_views']
            return sum(views) if isinstance(views, (list, tuple)) else views
    return 1


def input_size(cfg: Config) -> Optional[int]:
    """Side of the training input: the last crop / resize of the pipeline."""
    size = None
    for transform in _pipeline_transforms(_train_pipeline(cfg)):
        for key in ('crop_size', 'scale'):
            value = transform.get(key)
            if transform.get('type') == 'Resize' and key == 'scale' and \
                    isinstance(value, (list, tuple)):
                value = value[0]
            if isinstance(value, int):
                size = value
    return size
