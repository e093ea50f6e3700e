"""Checks that turn unreadable or too-small images into clear errors."""
from typing import Optional, Tuple

import torch
from PIL import Image

from ..errors import UserInputError


def image_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be decoded, or None if it decodes fully.

    Pillow's full decode (not just ``verify``) also reports truncated files,
    which OpenCV decodes silently with a grey-filled remainder.
    """
    try:
        with Image.open(path) as img:
            img.load()
    except Exception as e:  # noqa: BLE001 - any decode failure is the answer
        return f'{type(e).__name__}: {e}'
    return None


def _fixed_crop(transform) -> Optional[Tuple[str, Tuple[int, int]]]:
    """(name, (h, w)) of a crop that can return less than its size."""
    name = type(transform).__name__
    size = getattr(transform, 'crop_size', None)
    if size is None:
        return None
    if isinstance(size, int):
        size = (size, size)
    if name == 'RandomCrop' and not transform.pad_if_needed:
        return name, (size[0], size[1])  # MMPretrain: (h, w)
    if name == 'CenterCrop' and not transform.auto_pad:
        return name, (size[1], size[0])  # MMCV: (w, h)
    return None


def last_fixed_crop(pipeline) -> Optional[Tuple[str, Tuple[int, int]]]:
    """(name, (h, w)) of the pipeline's last crop that can return less than
    its size and that no later resize overrides, or None."""
    crop = None
    for transform in getattr(pipeline, 'transforms', []):
        if 'Resize' in type(transform).__name__:
            crop = None  # a later resize sets the size, not the crop
        found = _fixed_crop(transform)
        if found is not None:
            crop = found
    return crop


def check_crop_output(crop: Optional[Tuple[str, Tuple[int, int]]],
                      results: Optional[dict], img_path: str) -> None:
    """Raise a :class:`UserInputError` naming the image if ``crop`` (from
    :func:`last_fixed_crop`) returned a smaller image (which would otherwise
    fail later as a size mismatch when the batch is stacked)."""
    if crop is None or results is None or not isinstance(
            results.get('inputs'), torch.Tensor):
        return
    name, (crop_h, crop_w) = crop
    out_h, out_w = results['inputs'].shape[-2:]
    if (out_h, out_w) == (crop_h, crop_w):
        return
    sample = results.get('data_samples')
    ori = sample.metainfo.get('ori_shape') if sample is not None else None
    size = f'{ori[0]}x{ori[1]} px (h x w)' if ori else 'too small'
    pad = 'pad_if_needed=True' if name == 'RandomCrop' else 'auto_pad=True'
    raise UserInputError(
        f'Image {img_path} is {size}; after the transforms before {name} it '
        f'is {out_h}x{out_w}, smaller than the crop of {crop_h}x{crop_w}, so '
        'the batch could not be stacked. Put a Resize before the crop in '
        'the pipeline (e.g. dict(type="Resize", scale=...), as the plugin\'s '
        f'configs do), or set {pad} on the {name}.')
