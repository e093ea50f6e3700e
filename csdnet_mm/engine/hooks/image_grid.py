"""Image grids the plugin's hooks send to the visualizer."""
from typing import Sequence

import numpy as np
import torch


def to_rgb_uint8(batch: torch.Tensor, data_preprocessor) -> np.ndarray:
    """Undo the preprocessor's normalisation; (B, H, W, 3) uint8 RGB."""
    batch = batch.detach().float()
    if getattr(data_preprocessor, '_enable_normalize', False):
        batch = batch * data_preprocessor.std + data_preprocessor.mean
    # ClsDataPreprocessor calls the BGR->RGB switch `to_rgb`,
    # SelfSupDataPreprocessor `_channel_conversion`.
    converted = getattr(data_preprocessor, 'to_rgb', None)
    if converted is None:
        converted = getattr(data_preprocessor, '_channel_conversion', True)
    if not converted:
        # The preprocessor left OpenCV's BGR order.
        batch = batch.flip(1)
    batch = batch.clamp(0, 255).round().byte()
    return batch.permute(0, 2, 3, 1).cpu().numpy()


def tile_grid(columns: Sequence[np.ndarray], gap: int = 2) -> np.ndarray:
    """One row per image, one column per (B, H, W, 3) array, white gaps."""
    count, height = columns[0].shape[:2]
    col_gap = np.full((height, gap, 3), 255, dtype=np.uint8)
    rows = []
    for i in range(count):
        cells = [columns[0][i]]
        for column in columns[1:]:
            cells += [col_gap, column[i]]
        rows.append(np.concatenate(cells, axis=1))
        rows.append(np.full((gap, rows[-1].shape[1], 3), 255, dtype=np.uint8))
    return np.concatenate(rows[:-1], axis=0)
