"""Will CSDNet help on my data? Run this before a long training.

    python tools/csdnet_check.py CONFIG --work-dir DIR [--folds 3]
        [--seeds 0 1] [--epochs N] [--variants stock stock_2x ...]
        [--threads N] [--cfg-options k=v ...] [--dry-run] [--report]

CONFIG is a stock ``ImageClassifier`` config (a shipped baseline such as
configs/baselines/resnet50_cotton80.py, or your own) whose training set is
your data (``--cfg-options train_dataloader.dataset.data_root=...``). The
check carves class-stratified validation folds from the training images
only (the test split is never read), trains the stock classifier, two
controls (2x epochs; a random crop-and-zoom second view) and the CSDNet
variants on every fold and seed, prints the paired validation differences
and recommends what to train. Running it again skips finished runs and
resumes an interrupted one; ``--report`` only tabulates.
"""
import argparse
import sys

from mmengine.config import DictAction

from csdnet_mm.benchmarks import Check, CheckPlan, default_variants
from csdnet_mm.benchmarks.check import RunFailed
from csdnet_mm.benchmarks.variants import all_variants
from csdnet_mm.tool_utils import quiet_known_warnings, report_user_errors


def parse_args(argv=None):
    names = [v.name for v in all_variants()]
    defaults = [v.name for v in default_variants()]
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='stock classifier config')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--folds', type=int, default=3)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help="training length (default: the config's)")
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=names,
        default=defaults,
        help='rows to run; stock is always the baseline')
    parser.add_argument('--split-seed', type=int, default=0)
    parser.add_argument('--metric', default='accuracy/top1')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='OMP_NUM_THREADS of each training run')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='edits of the stock config')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='write folds and configs, print the commands')
    parser.add_argument(
        '--report',
        action='store_true',
        help='tabulate the finished runs, train nothing')
    return parser.parse_args(argv)


@report_user_errors
def main(argv=None) -> int:
    quiet_known_warnings()
    args = parse_args(argv)
    wanted = set(args.variants) | {'stock'}
    plan = CheckPlan(
        config=args.config,
        work_dir=args.work_dir,
        folds=args.folds,
        seeds=args.seeds,
        epochs=args.epochs,
        cfg_options=args.cfg_options,
        metric=args.metric,
        split_seed=args.split_seed,
        threads=args.threads,
        variants=[v for v in all_variants() if v.name in wanted])
    check = Check(plan)
    if not args.report:
        try:
            check.run(dry_run=args.dry_run)
        except RunFailed as e:
            print(f'error: {e}', file=sys.stderr)
            return 1
        if args.dry_run:
            return 0
    print(check.report(), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
