"""Compare the cost of two models built from configs, side by side.

    python tools/benchmark.py CONFIG_A CONFIG_B [--batch-size 8]
        [--input-size PX] [--warmup 2] [--repeats 10] [--device cpu|cuda]
        [--threads N] [--amp fp16|bf16] [--channels-last] [--profile TOP]
        [--out result.json]
        [--cfg-options-a k=v ...] [--cfg-options-b k=v ...]

Both models train on the same synthetic batch (the data preprocessor runs
as in training); steps and inference passes are interleaved (A, B, B, A,
...) after warm-up. Prints training-step and inference time (median,
std), peak training memory (CUDA: the allocator's peak; CPU: resident
parameters, gradients and optimizer state plus the highest point of the
allocator's timeline during one step, from the profiler), parameters and
FLOPs (backbone, inference path) with the B/A ratios and the per-repetition
spread of the time ratios, minor page faults per training step and the
allocator settings of the environment (``LD_PRELOAD``, ``MALLOC_*``; on CPU
they change the ratio of a two-view step), and writes everything as JSON
with ``--out``.
Pretrained ``init_cfg`` entries are dropped (costs do not depend on the
weights and nothing is downloaded) unless ``--keep-init`` is given.
``--amp`` trains both models as ``tools/train.py --amp`` does
(``AmpOptimWrapper`` in fp16 or bf16; on the CPU the same autocast without
a loss scaler) and infers under autocast; ``--channels-last`` puts weights
and inference inputs in ``torch.channels_last`` memory format.
``--profile TOP`` adds a torch.profiler breakdown: per-operator self time
of one training step and one inference pass of each model, totals and the
TOP operators with the largest B - A difference (where B's extra cost is).
"""
import argparse
import json
import os

# First, before mmengine and before any config is parsed: importing
# csdnet_mm applies the stack fixes (csdnet_mm/compat.py), some of
# which patch mmengine. `isort: skip` keeps it above mmengine.
from csdnet_mm import compat  # noqa: F401  # isort: skip
import torch
from mmengine.config import DictAction

from csdnet_mm.allocator import setup_cpu_allocator
from csdnet_mm.analysis import (AMP_DTYPES, ModelUnderTest, compare,
                                format_profile, format_table, profile_ops,
                                torch_threads)
from csdnet_mm.tool_utils import quiet_known_warnings, report_user_errors

# What main() found in effect (set when run as a script).
ALLOCATOR = 'not set up (benchmark.main called in-process)'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Compare two configs: step time, inference time, peak '
        'memory, parameters, FLOPs.')
    parser.add_argument('config_a', help='baseline config (A)')
    parser.add_argument('config_b', help='compared config (B)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument(
        '--input-size',
        type=int,
        default=None,
        help='input side in px (default: the last crop/resize of each '
        "config's training pipeline)")
    parser.add_argument(
        '--warmup',
        type=int,
        default=2,
        help='untimed steps per model before timing')
    parser.add_argument(
        '--repeats',
        type=int,
        default=10,
        help='timed steps (and inference passes) per model')
    parser.add_argument(
        '--device',
        default=None,
        help="'cpu' or 'cuda' (default: cuda if available)")
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch default)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--amp',
        choices=sorted(AMP_DTYPES),
        help='mixed precision of both models (default: fp32)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='both models in channels_last memory format')
    parser.add_argument(
        '--keep-init',
        action='store_true',
        help="keep the configs' Pretrained init_cfg")
    parser.add_argument(
        '--profile',
        type=int,
        default=0,
        metavar='TOP',
        help='also profile one training step and one inference pass of '
        'each model (torch.profiler) and print the TOP operators with the '
        'largest B - A self time')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument(
        '--cfg-options-a',
        nargs='+',
        action=DictAction,
        help='overrides of config A (key=value)')
    parser.add_argument(
        '--cfg-options-b',
        nargs='+',
        action=DictAction,
        help='overrides of config B (key=value)')
    return parser.parse_args(argv)


def allocator_settings() -> dict:
    """The environment that decides the CPU allocator (a preloaded
    tcmalloc / jemalloc, glibc's MALLOC_* tunables): on CPU it changes the
    time ratios of a two-view step (docs/benchmarks.md)."""
    return {
        key: value
        for key, value in sorted(os.environ.items())
        if value and (key in ('LD_PRELOAD',
                              'GLIBC_TUNABLES') or key.startswith('MALLOC_'))
    }


@report_user_errors
def main(argv=None):
    quiet_known_warnings()
    args = parse_args(argv)
    device = torch.device(
        args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    torch.manual_seed(args.seed)
    with torch_threads(args.threads):
        sides = [
            ModelUnderTest(config, options, device, args.batch_size,
                           args.input_size, args.seed, args.keep_init,
                           args.amp, args.channels_last)
            for config, options in ((args.config_a, args.cfg_options_a),
                                    (args.config_b, args.cfg_options_b))
        ]
        results = compare(*sides, warmup=args.warmup, repeats=args.repeats)
        if args.profile:
            results['profile'] = profile_ops(*sides, top=args.profile)
    results['setup'] = dict(
        device=str(device),
        device_name=(torch.cuda.get_device_name(device)
                     if device.type == 'cuda' else 'cpu'),
        threads=torch.get_num_threads()
        if args.threads is None else args.threads,
        batch_size=args.batch_size,
        input_size=[side.size for side in sides],
        warmup=args.warmup,
        repeats=args.repeats,
        amp=args.amp,
        channels_last=args.channels_last,
        cfg_options_a=args.cfg_options_a or {},
        cfg_options_b=args.cfg_options_b or {},
        torch=torch.__version__,
        allocator=allocator_settings(),
        allocator_in_effect=ALLOCATOR)
    print(format_table(results))
    print(f"device {results['setup']['device_name']}, batch "
          f'{args.batch_size}, input {sides[0].size}/{sides[1].size} px, '
          f"{args.amp or 'fp32'}"
          f"{', channels_last' if args.channels_last else ''}, "
          f'{args.repeats} interleaved repetitions after {args.warmup} '
          'warm-up steps')
    if device.type == 'cpu':
        print(f'CPU allocator: {ALLOCATOR}')
    if results['setup']['allocator']:
        print('allocator settings: ' +
              ', '.join(f'{k}={v}'
                        for k, v in results['setup']['allocator'].items()))
    if args.profile:
        print(format_profile(results['profile']))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    ALLOCATOR = setup_cpu_allocator()
    main()
