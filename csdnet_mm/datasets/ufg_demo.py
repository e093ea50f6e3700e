from typing import Optional

from mmpretrain.registry import DATASETS

from .demo_data import DEFAULT_DEMO_ROOT, DEFAULT_DEMO_SPEC, ensure_demo_ufg
from .ufg import UFGDataset


@DATASETS.register_module()
class UFGDemoDataset(UFGDataset):
    """The generated demo set, created on first use, read as a UFG subset.

    Only generation is added; reading is :class:`UFGDataset`'s.

    Args:
        data_root (str): Where the demo set lives (created if absent).
            Defaults to ``'data/ufg_demo'``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        demo_spec (dict, optional): Overrides of
            :data:`~csdnet_mm.datasets.demo_data.DEFAULT_DEMO_SPEC`
            (``num_classes``, ``train_per_class``, ``test_per_class``,
            ``image_size``, ``seed``).
        **kwargs: Passed to :class:`UFGDataset`.
    """

    def __init__(self,
                 data_root: str = DEFAULT_DEMO_ROOT,
                 split: str = 'train',
                 demo_spec: Optional[dict] = None,
                 **kwargs):
        spec = dict(DEFAULT_DEMO_SPEC, **(demo_spec or {}))
        ensure_demo_ufg(data_root, **spec)
        kwargs.setdefault('num_classes', spec['num_classes'])
        super().__init__(data_root=data_root, split=split, **kwargs)
