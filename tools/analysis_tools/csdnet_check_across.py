"""Print the per-dataset CSDNet checks side by side (what holds across
tasks), from their ``check.json`` archives.

    python tools/analysis_tools/csdnet_check_across.py \
        docs/results/csdnet_check/*.json [--pairs full_neck10x:full ...]
"""
import argparse

from csdnet_mm.benchmarks import across


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('archives', nargs='+', help='check.json files')
    parser.add_argument('--baseline', default='stock')
    parser.add_argument(
        '--pairs',
        nargs='*',
        default=[],
        metavar='A:B',
        help='also the pooled paired difference A - B')
    args = parser.parse_args(argv)
    tasks = across.load(args.archives)
    print(across.table(tasks, args.baseline))
    if args.pairs:
        print('\n' + across.pooled_pairs(
            tasks, [pair.split(':', 1) for pair in args.pairs]))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
