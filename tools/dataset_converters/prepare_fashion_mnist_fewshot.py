"""Build a reproducible low-data Fashion-MNIST benchmark in the Ultra-FGVC
layout that ``UFGDataset`` reads.

    apt-get install dataset-fashion-mnist      # Debian/Ubuntu, once
    python tools/dataset_converters/prepare_fashion_mnist_fewshot.py \\
        --out data/fashion_mnist_fewshot/seed0 --seed 0

The layout written, the lists and how the images are chosen:
``csdnet_mm/datasets/fashion_mnist_fewshot.py``. Bad input (missing or
malformed source files, too few images of a class) is reported as
``error: ...`` without a traceback, exit status 2.
"""
import argparse
import time

from csdnet_mm.datasets.fashion_mnist_fewshot import (
    DEFAULT_CLASSES, default_source_dir, format_summary, parse_classes,
    prepare_fashion_mnist_fewshot)
from csdnet_mm.tool_utils import report_user_errors


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0] + ' ' + __doc__.split('\n')[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        '--src',
        default=default_source_dir(),
        help='folder with the four *-ubyte.gz files')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--classes',
        default=DEFAULT_CLASSES,
        help='comma-separated Fashion-MNIST class ids; '
        'dataset label i+1 is the i-th one (default: the '
        'upper-body and footwear classes)')
    parser.add_argument(
        '--shots',
        type=int,
        default=10,
        help='labelled training images per class')
    parser.add_argument(
        '--seed', type=int, default=0, help='chooses the shots (only them)')
    parser.add_argument(
        '--unlabeled-per-class',
        type=int,
        default=50,
        help='training-split images per class in the '
        'unlabeled pool (fixed seed)')
    parser.add_argument(
        '--test-per-class',
        type=int,
        default=200,
        help='t10k images per class in the test list '
        '(fixed seed)')
    parser.add_argument(
        '--val-per-class',
        type=int,
        default=0,
        help='training-split images per class (not shots) '
        'in anno/val.txt, a validation split (never in the '
        'pool); 0 writes none')
    return parser.parse_args(argv)


@report_user_errors
def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    result = prepare_fashion_mnist_fewshot(args.src, args.out,
                                           parse_classes(args.classes),
                                           args.shots, args.seed,
                                           args.unlabeled_per_class,
                                           args.test_per_class,
                                           args.val_per_class)
    print(format_summary(result, args.out, time.perf_counter() - start))


if __name__ == '__main__':
    main()
