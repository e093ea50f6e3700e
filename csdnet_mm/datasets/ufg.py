import functools
import os.path as osp
from typing import List, Optional

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..errors import UserInputError, check_choice
from .image_checks import check_crop_output, image_problem, last_fixed_crop

# Class counts of the Ultra-FGVC subsets (Yu et al., ICCV 2021); they match
# every public loader. SoyAgeing is one set per growth stage (no R2).
UFG_NUM_CLASSES = {
    'Cotton80': 80,
    'SoyLocal': 200,
    'SoyGene': 1110,
    'SoyGlobal': 1938,
    'SoyAgeing': 198,
    'SoyAgeing-R1': 198,
    'SoyAgeing-R3': 198,
    'SoyAgeing-R4': 198,
    'SoyAgeing-R5': 198,
    'SoyAgeing-R6': 198,
}

UFG_LAYOUT_HELP = """\
Expected the Ultra-FGVC layout (one folder per subset or SoyAgeing stage):
  <data_root>/
  |-- images/          image files, named as in the annotation files
  `-- anno/
      |-- train.txt    one line per image: "<file name> <label>", labels 1..N
      `-- test.txt
The data is published on the Ultra-FGVC project page
(https://maxwell.ict.griffith.edu.au/cvipl/UFG_dataset.html) and in the
README of https://github.com/XiaohanYu-GU/Ultra-FGVC; see README.md,
section "Data preparation"."""


def _first(lines: List[str], limit: int) -> str:
    """Up to ``limit`` of ``lines``, one per indented line, then a count of
    the rest."""
    shown = '\n  '.join(lines[:limit])
    if len(lines) > limit:
        shown += f'\n  ... and {len(lines) - limit} more'
    return shown


@DATASETS.register_module()
class UFGDataset(BaseDataset):
    """A subset of the Ultra-FGVC benchmark (Cotton80, SoyLocal, ...).

    Reads ``<data_root>/anno/<split>.txt`` (lines ``<file> <label>``, labels
    1-based as released) and maps labels to ``0 .. N-1``. Every problem with
    the layout is reported as one :class:`UserInputError` that names the
    file and shows the expected layout.

    Args:
        data_root (str): The subset folder (holds ``images/`` and ``anno/``).
        split (str): ``'train'``, ``'test'`` or ``'val'``. Defaults to
            ``'train'``.
        subset (str, optional): One of :data:`UFG_NUM_CLASSES`; gives the
            number of classes. Defaults to None.
        num_classes (int, optional): Number of classes when ``subset`` is not
            given (e.g. the demo data). One of the two is required.
        label_base (int): The smallest label in the annotation files: 1 for
            the released files, 0 for 0-based copies. Defaults to 1.
        ann_file (str, optional): Annotation file relative to ``data_root``.
            Defaults to ``anno/<split>.txt``.
        data_prefix (str): Image folder relative to ``data_root``.
            Defaults to ``'images'``.
        check_images (bool): Check that every listed image exists.
            Defaults to True.
        corrupt_images (str): What to do with image files that cannot be
            decoded. ``'error'``: stop with a message naming the file when
            the pipeline fails to read it (no start-up cost; note that
            OpenCV decodes a truncated JPEG without error, grey-filled).
            ``'check'``: decode every image at start-up with Pillow (which
            also finds truncated files) and stop with a list of the bad
            ones. ``'skip'``: the same scan, then leave the bad images out
            and log their number and names. Defaults to ``'error'``.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`.
    """

    SPLITS = ('train', 'test', 'val')
    CORRUPT_IMAGES = ('error', 'check', 'skip')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 subset: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 label_base: int = 1,
                 ann_file: Optional[str] = None,
                 data_prefix: str = 'images',
                 check_images: bool = True,
                 corrupt_images: str = 'error',
                 **kwargs):
        check_choice('UFGDataset', 'split', split, self.SPLITS)
        check_choice('UFGDataset', 'corrupt_images', corrupt_images,
                     self.CORRUPT_IMAGES)
        self.num_classes = self._resolve_num_classes(subset, num_classes)
        if label_base not in (0, 1):
            raise UserInputError(
                f'UFGDataset: label_base={label_base!r} must be 0 or 1.')
        self.split = split
        self.subset = subset
        self.label_base = label_base
        self.check_images = check_images
        self.corrupt_images = corrupt_images
        # Filled by the start-up scan ('check' / 'skip').
        self.corrupt_files: List[str] = []
        if ann_file is None:
            ann_file = osp.join('anno', f'{split}.txt')
        kwargs.setdefault(
            'classes', [str(i + label_base) for i in range(self.num_classes)])
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    @staticmethod
    def _resolve_num_classes(subset: Optional[str],
                             num_classes: Optional[int]) -> int:
        if subset is not None:
            if subset not in UFG_NUM_CLASSES:
                raise UserInputError(
                    f'UFGDataset: unknown subset {subset!r}; expected one of '
                    f'{sorted(UFG_NUM_CLASSES)}, or pass num_classes instead.')
            known = UFG_NUM_CLASSES[subset]
            if num_classes is not None and num_classes != known:
                raise UserInputError(
                    f'UFGDataset: subset {subset!r} has {known} classes but '
                    f'num_classes={num_classes} was given.')
            return known
        if num_classes is None or num_classes < 1:
            raise UserInputError(
                'UFGDataset: give `subset` (one of '
                f'{sorted(UFG_NUM_CLASSES)}) or a positive `num_classes`.')
        return num_classes

    def _fail(self, problem: str) -> None:
        raise UserInputError(f'UFGDataset ({self.split} split): {problem}\n'
                             f'{UFG_LAYOUT_HELP}')

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root):
            self._fail(f'data root {self.data_root!r} does not exist.')
        if not osp.isfile(self.ann_file):
            self._fail(f'annotation file {self.ann_file!r} does not exist.')
        if self.check_images and not osp.isdir(self.img_prefix):
            self._fail(f'image folder {self.img_prefix!r} does not exist.')

        data_list = []
        missing = []
        with open(self.ann_file) as f:
            lines = f.read().splitlines()
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f'{self.ann_file}, line {line_no}'
            fields = line.rsplit(maxsplit=1)
            if len(fields) != 2:
                self._fail(f'{where}: expected "<file name> <label>", got '
                           f'{line!r}.')
            filename, raw_label = fields
            try:
                label = int(raw_label)
            except ValueError:
                self._fail(f'{where}: label {raw_label!r} is not an integer.')
            low, high = self.label_base, self.label_base + self.num_classes - 1
            if not low <= label <= high:
                hint = ''
                if label == 0 and self.label_base == 1:
                    hint = (' The file looks 0-based: set label_base=0 in the '
                            'dataset config, or use the released 1-based '
                            'files.')
                elif label == high + 1 and self.label_base == 0:
                    hint = (' The file looks 1-based: set label_base=1.')
                else:
                    hint = (f' The dataset is configured for '
                            f'{self.num_classes} classes (subset='
                            f'{self.subset!r}); check `subset` / '
                            '`num_classes` and the model\'s head.')
                self._fail(
                    f'{where}: label {label} is outside {low}..{high}.' + hint)
            img_path = osp.join(self.img_prefix, filename)
            if self.check_images and not osp.isfile(img_path):
                missing.append(f'{img_path} (listed in {where})')
            data_list.append(
                dict(img_path=img_path, gt_label=label - self.label_base))
        if missing:
            self._fail(f'{len(missing)} image(s) named in the annotations are '
                       f'missing:\n  {_first(missing, 5)}')
        if not data_list:
            self._fail(f'annotation file {self.ann_file!r} lists no images.')
        if self.corrupt_images != 'error':
            data_list = self._drop_corrupt(data_list)
        return data_list

    def _drop_corrupt(self, data_list: List[dict]) -> List[dict]:
        kept = []
        for info in data_list:
            problem = image_problem(info['img_path'])
            if problem is None:
                kept.append(info)
            else:
                self.corrupt_files.append(f'{info["img_path"]} ({problem})')
        if not self.corrupt_files:
            return kept
        shown = _first(self.corrupt_files, 10)
        if self.corrupt_images == 'check':
            raise UserInputError(
                f'UFGDataset ({self.split} split): '
                f'{len(self.corrupt_files)} image(s) cannot be decoded:\n'
                f'  {shown}\nReplace them, or set corrupt_images="skip" in '
                'the dataset config to leave them out.')
        if not kept:
            self._fail('every listed image is corrupt:\n  ' + shown)
        MMLogger.get_current_instance().warning(
            f'UFGDataset ({self.split} split): skipped '
            f'{len(self.corrupt_files)} corrupt image(s) of '
            f'{len(data_list)}:\n  {shown}')
        return kept

    def prepare_data(self, idx: int):
        img_path = self.get_data_info(idx)['img_path']
        try:
            results = super().prepare_data(idx)
        except Exception as e:
            problem = image_problem(img_path)
            if problem is None:
                raise
            raise UserInputError(
                f'UFGDataset ({self.split} split): cannot read image '
                f'{img_path}: {problem}. Replace the file, or set '
                'corrupt_images="skip" in the dataset config to leave '
                'unreadable images out (and log how many).') from e
        check_crop_output(self._fixed_crop, results, img_path)
        return results

    @functools.cached_property
    def _fixed_crop(self):
        """The pipeline's crop that can come out small (fixed per dataset,
        so it is looked up once, not per sample)."""
        return last_fixed_crop(self.pipeline)

    def extra_repr(self) -> List[str]:
        return [
            f'Subset: \t{self.subset}', f'Split: \t{self.split}',
            f'Root: \t{self.data_root}'
        ]
