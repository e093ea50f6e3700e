"""Few-shot real-image benchmark: stock vs CSDNet, MoCo v2 vs SynthPairs.

    python tools/realdata_benchmark.py [--suite main|ssl|csdnet-ablation|
        csdnet-stability] [--seeds 0 1 2] [--jobs 1]
        [--work-dir work_dirs/realdata_benchmark]
        [--data-dir data/fashion_mnist_fewshot] [--src DIR]
        [--shots 10] [--unlabeled-per-class 50] [--test-per-class 200]
        [--threads N] [--cfg-options k=v ...] [--dry-run] [--report]
        [--archive FILE]

For every seed S it writes the few-shot Fashion-MNIST set
(``tools/dataset_converters/prepare_fashion_mnist_fewshot.py --seed S``:
the S-th draw of the labelled images; pool and test images are the same
for every seed) and runs, with ``randomness.seed=S``, through the plugin's
own ``tools/train.py`` / ``tools/test.py``:

* classification (10-shot fine-tuning of the ImageNet EfficientNet-Lite0):
  the stock ``ImageClassifier`` and CSDNet, test top-1;
* SSL on the unlabelled pool from the same ImageNet weights: MoCo v2, and
  SynthPairs-MoCo (decoder stage 1, then stage 2); each encoder, and the
  ImageNet encoder itself as the no-SSL reference, is evaluated by linear
  probing on the labelled images (test top-1) and leave-one-out retrieval
  on the test images (rank-1, rank-5, mAP).

Every run keeps its work dir, log and metrics under
``<work-dir>/seed<S>/<run>``; running the command again skips finished
runs and resumes interrupted trainings from their last checkpoint (SIGTERM,
e.g. ``kill <pid>``, stops the benchmark and the training it runs). Prints
a table of mean +- sample standard deviation over the seeds (and each
seed's value) and writes ``<work-dir>/results.json`` and ``results.md``.
``--cfg-options`` are passed to every training run (e.g.
``train_cfg.max_epochs=1`` for a quick check).

``--suite csdnet-ablation`` measures what each CSDNet module adds: on two
ImageNet backbones (EfficientNet-Lite0, MobileNetV2) and two tasks (the 8
classes at 10 shots, and the 4 upper-body classes T-shirt / Pullover / Coat /
Shirt at 5 shots) it trains the stock classifier, SSDP re-weighting only,
+ the SSDP view, + SSDT, + DDL (without SSDT) and SSDP + DDL + SSDT, each
with the CSDNet config's defaults and the given seeds, and two controls: the
stock classifier at twice the epochs, and with a random crop-and-zoom second
view of SSDP's box size. Every run reports
top-1 on a validation split carved from the Fashion-MNIST training images
(``--val-per-class``, never shots; options are chosen on it) and on the
test images (reported). ``--suite csdnet-stability`` trains the stock
classifier and CSDNet over learning rates 0.003 / 0.01 / 0.03, with and
without the 10x learning rate of the new neck layers, on both backbones,
and reports validation top-1 or the iteration at which ``CollapseHook``
stopped a collapsed run (also for the earlier SSDP default,
``pattern_norm='none'``, at lr 0.03 with the 10x multiplier). ``--backbones`` /
``--tasks`` narrow either suite. Their tables go to
``<work-dir>/<suite>/results.md``. ``--runs`` picks rows.
``--archive FILE`` adds each finished run to FILE as soon as it is tested
(metrics at full precision, config and options, seed, commit, machine,
threads, CPU allocator, wall time; the repository keeps
``docs/results/csdnet-ablation.json``); ``--report --archive FILE``
prints the tables from FILE alone and trains nothing.

``--suite ssl`` compares SynthPairs-MoCo with MoCo v2 (and
SynthPairs-SimSiam with SimSiam) where self-supervised learning improves
its start: a ResNet-18 (CIFAR stem, half width) from random weights at
32 px, on a pool of 1000 training images per class (8000;
``--unlabeled-per-class``). For every seed it trains the SynthPairs decoder
on the frozen start encoder (stage 1), then MoCo v2, SynthPairs-MoCo, the
diagnostic rows (Grad-CAM noise only, low-variance noise only, random noise
on all dimensions, ``detach_clean_generated``, lambda_gen = 0 and
lambda_gen = lambda_rec = 0), SimSiam and SynthPairs-SimSiam, all
from that same start, on one schedule; each
encoder (and the start itself) gets linear evaluation with 100 / 50 / 20 %
of the 100 labelled images per class (validated on ``--val-per-class``
training images, tested on 500 test images per class) and leave-one-out
retrieval on the test images. ``--ssl-runs`` picks rows. Its tables (test,
then validation: each row, the SynthPairs rows' paired differences to the
SSL method they add to and the diagnostic rows' to the default) go to
``<work-dir>/ssl/results.md``; each row is over the seeds it has finished,
named in its last column. ``--report`` writes them from the runs that have
finished and trains nothing (the tables while other rows still run).
``--archive FILE`` keeps every finished run's metrics in FILE (JSON, by seed
and row; each run is added as soon as its evaluations finish) and tabulates
them with the work dir's, so the tables survive the work dir; the
repository's archives are ``docs/results/ssl.json`` (the one-machine
re-run) and ``docs/results/ssl_fmnist8-32px.json`` (the first campaign).

The suites live in ``csdnet_mm.benchmarks.realdata``; every step runs the
plugin's ``tools/train.py`` / ``tools/test.py``, whose
``final_val_metrics.json`` / ``test_metrics.json`` it reads.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

from csdnet_mm.benchmarks.realdata import definitions as defs
from csdnet_mm.benchmarks.realdata import run
from csdnet_mm.benchmarks.runner import checkout_root


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Few-shot Fashion-MNIST benchmark over seeds.')
    parser.add_argument(
        '--suite',
        default='main',
        choices=('main', 'ssl') + tuple(defs.SUITES),
        help='main: stock vs CSDNet and the SSL chain; '
        'csdnet-ablation / csdnet-stability: see above')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--jobs', type=int, default=1, help='seeds run in parallel')
    parser.add_argument('--work-dir', default='work_dirs/realdata_benchmark')
    parser.add_argument('--data-dir', default='data/fashion_mnist_fewshot')
    parser.add_argument(
        '--src',
        default=None,
        help='Fashion-MNIST folder (default: the Debian '
        "package's)")
    parser.add_argument(
        '--shots',
        type=int,
        default=None,
        help='labelled images per class (main: 10, ssl: '
        '100)')
    parser.add_argument(
        '--unlabeled-per-class',
        type=int,
        default=None,
        help='pool images per class (main: 50, ssl: 1000)')
    parser.add_argument(
        '--test-per-class',
        type=int,
        default=None,
        help='test images per class (200; ssl: 500)')
    parser.add_argument(
        '--val-per-class',
        type=int,
        default=100,
        help='validation images per class (training-split '
        'images that are not shots)')
    parser.add_argument(
        '--backbones',
        nargs='+',
        default=list(defs.BACKBONES),
        choices=list(defs.BACKBONES))
    parser.add_argument(
        '--tasks',
        nargs='+',
        default=list(defs.TASKS),
        choices=list(defs.TASKS))
    parser.add_argument(
        '--ssl-runs',
        nargs='+',
        default=[r.name for r in defs.SSL_ROWS],
        choices=[r.name for r in defs.SSL_ROWS],
        help='rows of the ssl suite to run')
    parser.add_argument(
        '--runs',
        nargs='+',
        default=None,
        help='rows of a CSDNet suite to run (default: all; '
        'e.g. stock view stock_2x random_view)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='OMP_NUM_THREADS of every run')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides for every training run')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print the commands, run nothing')
    parser.add_argument(
        '--report',
        action='store_true',
        help='write the tables and train nothing: ssl, from '
        'the runs whose evaluations have finished (and '
        'the archive); CSDNet suites, from --archive alone')
    parser.add_argument(
        '--archive',
        default=None,
        help='a JSON file each finished run is added to '
        'as soon as its evaluations finish, and that the '
        'tables read (the repository keeps '
        'docs/results/<suite>*.json)')
    args = parser.parse_args(argv)
    if args.suite == 'main' and (args.report or args.archive):
        parser.error('--report / --archive are for the ssl and CSDNet '
                     'suites')
    if args.report and args.suite in defs.SUITES and not args.archive:
        parser.error(f'--report of {args.suite} reads --archive FILE')
    if args.runs is not None:
        if args.suite not in defs.SUITES:
            parser.error('--runs is for the CSDNet suites; the ssl suite '
                         'has --ssl-runs')
        try:
            defs.suite_rows(args.suite, args.runs)
        except ValueError as e:
            parser.error(str(e))
    counts = defs.SSL_COUNTS if args.suite == 'ssl' else defs.MAIN_COUNTS
    for key, value in counts.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.work_dir = osp.abspath(args.work_dir)
    args.data_dir = osp.abspath(args.data_dir)
    # Where the tools run: the configs' relative paths (checkpoints/...)
    # are the checkout's, or the caller's for an installed package.
    args.cwd = checkout_root() or os.getcwd()
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import csdnet_mm  # noqa: F401  (compat fixes before configs are read)
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
