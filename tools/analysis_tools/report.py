"""Regenerate the result tables of the docs from the archives.

    python tools/analysis_tools/report.py [--check]

Every table between ``<!-- NAME:start -->`` / ``<!-- NAME:end -->``
markers that ``csdnet_mm.benchmarks.report.BLOCKS`` lists is rendered from
the run archives under ``docs/results/`` and written in place; ``--check``
writes nothing and exits 1 naming the tables that differ from what the
archives give.
"""
import argparse
import os
import sys

from csdnet_mm.benchmarks import report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='only list the tables that differ')
    parser.add_argument(
        '--root',
        default=os.getcwd(),
        help='repository root (default: the current dir)')
    args = parser.parse_args(argv)
    if args.check:
        stale = report.stale(args.root)
        for name in stale:
            print(
                f'{name}: differs from what the archives give; run '
                'python tools/analysis_tools/report.py',
                file=sys.stderr)
        return 1 if stale else 0
    for name, changed in report.write(args.root).items():
        print(f'{name}: {"rewritten" if changed else "unchanged"}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
