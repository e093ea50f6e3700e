"""Add a finished ``tools/train.py`` run to a run archive.

    python tools/analysis_tools/archive_run.py WORK_DIR \
        --archive docs/results/demo.json --key resnet18_demo [--threads 1] \
        [--note "what else ran beside it"] [--cfg-options KEY=VALUE ...]

Run it on the machine that trained the run, right after: the record holds
the run's config, final validation (and test) metrics, the validation
accuracy at each evaluation, wall time, commit and this machine. The
report command (``tools/analysis_tools/report.py``) renders the docs'
figures from such archives.
"""
import argparse

from csdnet_mm.benchmarks.records import RunArchive, training_record
from csdnet_mm.tool_utils import report_user_errors


@report_user_errors
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', help='work dir of a finished training')
    parser.add_argument('--archive', required=True, help='the JSON archive')
    parser.add_argument('--key', required=True, help="the run's name in it")
    parser.add_argument(
        '--suite',
        default='runs',
        help="the archive's suite name (default: runs)")
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='OMP_NUM_THREADS the run had')
    parser.add_argument('--note', default=None)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help="the training's --cfg-options (checked against the config "
        'the run dumped, recorded as its options)')
    args = parser.parse_args(argv)
    record = training_record(args.work_dir, args.threads, args.note,
                             args.cfg_options)
    RunArchive(args.archive, args.suite).add(args.key, record)
    print(f'{args.archive}: {args.key}: {record["metrics"]}, '
          f'{record["seconds"]} s')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
