"""Print the per-dataset CSDNet checks side by side (what holds across
tasks), from their ``check.json`` archives.

    python tools/analysis_tools/csdnet_check_across.py \
        docs/results/csdnet_check/*.json
"""
import argparse

from csdnet_mm.benchmarks import across


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('archives', nargs='+', help='check.json files')
    parser.add_argument('--baseline', default='stock')
    args = parser.parse_args(argv)
    print(across.table(across.load(args.archives), args.baseline))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
