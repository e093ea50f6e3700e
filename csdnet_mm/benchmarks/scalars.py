"""The scalars a training run logged: MMEngine's ``LocalVisBackend`` writes
``<work_dir>/<time>/vis_data/scalars.json``, one JSON object per line
(training lines carry ``iter``, validation lines only ``step``)."""
import glob
import json
import os.path as osp
from typing import Dict, List

from ..errors import UserInputError


def find_scalars(path: str) -> str:
    """The scalars file of a work dir (its newest run) or the file itself.

    Args:
        path (str): A work dir of ``tools/train.py`` or a scalars file.
    """
    if osp.isfile(path):
        return path
    # The run folders are named by their start time: the last is the newest.
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not found:
        raise UserInputError(
            f'{path}: no <time>/vis_data/scalars.json found. Pass a work '
            'dir of tools/train.py (with the default LocalVisBackend) or a '
            'scalars JSON file.')
    return found[-1]


def read_scalars(path: str) -> List[dict]:
    """Every logged line of a scalars file or work dir, in order.

    Args:
        path (str): A work dir (see :func:`find_scalars`) or scalars file.
    """
    path = find_scalars(path)
    records = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise UserInputError(
                    f'{path}, line {number}: not JSON ({e}). Expected '
                    "MMEngine's scalars.json (one object per line).")
    return records


def logged_losses(path: str) -> Dict[int, Dict[str, float]]:
    """``{iteration: {loss term: value}}`` of the training lines.

    Args:
        path (str): A work dir (see :func:`find_scalars`) or scalars file.
    """
    losses = {}
    for record in read_scalars(path):
        terms = {
            key: float(value)
            for key, value in record.items() if key.startswith('loss')
        }
        if terms and 'iter' in record:
            losses[int(record['iter'])] = terms
    return losses
