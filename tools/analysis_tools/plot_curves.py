"""Plot training curves of several runs side by side from their logs.

    python tools/analysis_tools/plot_curves.py WORK_DIR_OR_JSON [...]
        [--keys loss accuracy/top1] [--legend A B] [--out curves.png]

Each run is a work dir (its newest ``<time>/vis_data/scalars.json``) or a
scalars JSON file written by MMEngine's ``LocalVisBackend`` (one JSON
object per line). Training scalars are plotted against the iteration,
validation scalars (lines without ``iter``) against their ``step``, the
epoch for epoch-based loops. One panel per key; ``a|b`` plots, for each
run, the first of the alternatives it logged (e.g. ``loss_ssl|loss`` to
put SynthPairs' SSL term next to MoCo's loss).
"""
import argparse
from typing import Dict, List, Tuple

from csdnet_mm.benchmarks.scalars import find_scalars, read_scalars
from csdnet_mm.errors import UserInputError
from csdnet_mm.tool_utils import report_user_errors


def read_series(path: str, key: str) -> Tuple[List[int], List[float]]:
    """(x, y) of ``key``: training entries by ``iter``, others by
    ``step``. ``key`` may list alternatives, ``a|b``: the first present."""
    for alternative in key.split('|'):
        xs, ys = _read_one(path, alternative)
        if xs:
            break
    return xs, ys


def _read_one(path: str, key: str) -> Tuple[List[int], List[float]]:
    xs, ys = [], []
    for entry in read_scalars(path):
        if key in entry:
            xs.append(entry.get('iter', entry.get('step')))
            ys.append(float(entry[key]))
    return xs, ys


def plot(runs: Dict[str, str], keys: List[str], out: str) -> Dict[str, dict]:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    series = {
        key: {
            label: read_series(path, key)
            for label, path in runs.items()
        }
        for key in keys
    }
    missing = [
        key for key, by_run in series.items()
        if not any(xs for xs, _ in by_run.values())
    ]
    if missing:
        raise UserInputError(
            f'no run logged {missing}; keys in the first run: '
            f'{sorted(_keys_of(next(iter(runs.values()))))}')
    fig, axes = plt.subplots(
        1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for label, (xs, ys) in series[key].items():
            if xs:
                ax.plot(
                    xs, ys, label=label, marker='o' if len(xs) < 20 else None)
        ax.set_title(key)
        ax.set_xlabel('iteration' if 'loss' in key else 'step (val)')
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return series


def _keys_of(path: str) -> set:
    keys = set()
    for entry in read_scalars(path):
        keys.update(entry)
    return keys - {'iter', 'step', 'epoch'}


@report_user_errors
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'runs', nargs='+', help='work dirs or scalars.json files')
    parser.add_argument('--keys', nargs='+', default=['loss', 'accuracy/top1'])
    parser.add_argument(
        '--legend', nargs='+', help='one label per run (default: the paths)')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args(argv)
    if args.legend and len(args.legend) != len(args.runs):
        raise UserInputError(
            f'--legend has {len(args.legend)} labels for {len(args.runs)} '
            'runs; give one per run.')
    labels = args.legend or args.runs
    runs = {
        label: find_scalars(path)
        for label, path in zip(labels, args.runs)
    }
    plot(runs, args.keys, args.out)
    print(f'saved {args.out}')


if __name__ == '__main__':
    main()
