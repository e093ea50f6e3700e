"""Check the plugin on one CUDA GPU: AMP training, checkpoints, resume, cost.

    python tools/gpu_check.py [--out-dir DIR] [--iters 4] [--jobs 5]
        [--families NAME ...] [--skip-train] [--skip-benchmark]
        [--skip-amp-table] [--skip-compile] [--skip-rng-test] [--dry-run]

(``bash tools/gpu_check.sh`` runs the same.) On one GPU: AMP (fp16, bf16)
training of every method family on the tiny configs the package ships,
fp32 queues / banks, ``--resume`` exactness, the benchmarks of the method
pairs (CSDNet's batch-8 inference profiled), a mixed-precision throughput
table (fp16 / bf16, with and without ``channels_last``, batch 32 and the
largest batch that fits), ``torch.compile`` on the CSDNet model and the
RNG-state hook's CUDA test; ``summary.md`` / ``summary.json`` under
``--out-dir`` (default ``work_dirs/gpu_check/<timestamp>``), exit status 1
if a check failed. Without CUDA (or with ``--dry-run``) the same checks run
on the CPU as a quick dry run. The logic is
:mod:`csdnet_mm.benchmarks.gpu`; see docs/benchmarks.md, "GPU check".
"""
import argparse
import sys
from typing import Optional, Sequence

from csdnet_mm.benchmarks.gpu import FAMILIES, run_gpu_check
from csdnet_mm.tool_utils import report_user_errors


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train every method family with AMP on one CUDA GPU, '
        'check losses, fp32 memory and --resume exactness, benchmark the '
        'method pairs (a CPU dry run without CUDA).')
    parser.add_argument(
        '--out-dir',
        help='output folder (default: '
        'work_dirs/gpu_check/<timestamp>)')
    parser.add_argument(
        '--iters',
        type=int,
        default=None,
        help='training iterations per run, even (default: 4 on CUDA, 2 in '
        'the dry run); resume starts at iters / 2')
    parser.add_argument(
        '--jobs',
        type=int,
        default=None,
        help='training runs at the same time (default: one per family on '
        'CUDA, 1 in the dry run); benchmarks always run alone')
    parser.add_argument(
        '--families',
        nargs='+',
        choices=[f.name for f in FAMILIES],
        help='only these method families (default: all)')
    parser.add_argument(
        '--skip-train',
        action='store_true',
        help='no training / resume checks')
    parser.add_argument(
        '--skip-benchmark',
        action='store_true',
        help='no tools/benchmark.py comparisons')
    parser.add_argument(
        '--skip-amp-table',
        action='store_true',
        help='no fp16 / bf16 / channels_last throughput table')
    parser.add_argument(
        '--skip-compile', action='store_true', help='no torch.compile probe')
    parser.add_argument(
        '--skip-rng-test',
        action='store_true',
        help="no run of the RNG-state hook's tests")
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='the CPU dry run even when CUDA is available')
    parser.add_argument(
        '--timeout',
        type=int,
        default=600,
        help='seconds allowed to each subprocess')
    args = parser.parse_args(argv)
    if args.iters is not None and (args.iters < 2 or args.iters % 2):
        parser.error('--iters must be an even number >= 2')
    return args


@report_user_errors
def main(argv: Optional[Sequence[str]] = None) -> int:
    return run_gpu_check(**vars(parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
