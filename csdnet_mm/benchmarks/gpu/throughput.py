"""Mixed-precision throughput of one method pair: images/s and peak memory
of baseline and method, in fp16 or bf16, with and without
``channels_last``, at batch 32 and at the largest batch the method's
training step fits in.

Run by the GPU check as a child process, one per pair and precision::

    python -m csdnet_mm.benchmarks.gpu.throughput PAIR --amp bf16 \\
        --out cells.json [--dry-run]

so that each search for the largest batch starts from an empty device. The
dry run (CPU) measures batch 2 only: a CPU step has no device memory to run
out of, so there is no largest batch to search.
"""
import argparse
import gc
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Callable, List, Optional, Sequence

import torch

from ...analysis import AMP_DTYPES, ModelUnderTest, compare
from ...tool_utils import parse_cfg_options
from .checks import BenchmarkSpec, benchmark_specs

# Batch sizes rounded to this (tensor-core friendly) multiple.
BATCH_MULTIPLE = 8
# Share of the device's memory the searched batch may fill: the baseline's
# weights and optimizer state stay resident beside the method's step.
MEMORY_SHARE = 0.9
BACKOFF = 0.85
TRIES = 4


@dataclass
class Cell:
    """One measurement of the table (``status`` 'pass', or 'fail' with the
    error)."""
    pair: str
    amp: str
    channels_last: bool
    batch_size: int
    largest: bool
    status: str = 'pass'
    error: str = ''
    data: dict = field(default_factory=dict)


def pair_specs(dry_run: bool) -> dict:
    """The two pairs of the table (``benchmark_specs``' configs and input
    sizes at batch 32; tiny sizes in the dry run), by pair name."""
    specs = {}
    for spec in benchmark_specs(dry_run):
        specs.setdefault(spec.name.split('_')[0], spec)
    return specs


def _free(device: torch.device) -> None:
    gc.collect()
    if device.type == 'cuda':
        torch.cuda.empty_cache()


def _side(spec: BenchmarkSpec, which: str, batch: int, amp: str,
          channels_last: bool, device: torch.device) -> ModelUnderTest:
    config = spec.config_a if which == 'a' else spec.config_b
    # Parsed as run_benchmark's `tools/benchmark.py --cfg-options-b` does.
    options = (
        parse_cfg_options(spec.options_b)
        if which == 'b' and spec.options_b else None)
    return ModelUnderTest(config, options, device, batch, spec.input_size, 0,
                          False, amp, channels_last)


def _is_oom(error: BaseException) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError) or (isinstance(
        error, RuntimeError) and 'out of memory' in str(error))


def largest_batch(spec: BenchmarkSpec,
                  amp: str,
                  channels_last: bool,
                  device: torch.device,
                  start: int = 32,
                  log: Callable[[str], None] = print) -> int:
    """The largest batch (a multiple of 8) at which the method's training
    step fits on ``device``: its peak memory at ``start / 2`` and
    ``start`` extrapolated linearly to :data:`MEMORY_SHARE` of the device,
    then confirmed by two steps, backing off by 15 % on out-of-memory."""
    peaks = {}
    for batch in (start // 2, start):
        side = _side(spec, 'b', batch, amp, channels_last, device)
        side.train_step()
        peaks[batch] = side.peak_train_bytes()
        del side
        _free(device)
    slope = (peaks[start] - peaks[start // 2]) / (start - start // 2)
    fixed = peaks[start] - slope * start
    total = torch.cuda.get_device_properties(device).total_memory
    guess = int((MEMORY_SHARE * total - fixed) / slope)
    guess = max(start, guess // BATCH_MULTIPLE * BATCH_MULTIPLE)
    log(f'peak at batch {start // 2} / {start}: '
        f'{peaks[start // 2] / 2**20:.0f} / {peaks[start] / 2**20:.0f} MiB; '
        f'device {total / 2**20:.0f} MiB; trying batch {guess}')
    for _ in range(TRIES):
        try:
            side = _side(spec, 'b', guess, amp, channels_last, device)
            side.train_step()
            side.train_step()
            return guess
        except Exception as error:  # noqa: B902 (only out-of-memory)
            if not _is_oom(error):
                raise
            log(f'batch {guess}: out of memory')
        finally:
            side = None
            _free(device)
        guess = max(start,
                    int(guess * BACKOFF) // BATCH_MULTIPLE * BATCH_MULTIPLE)
    return guess


def measure(spec: BenchmarkSpec, amp: str, channels_last: bool, batch: int,
            largest: bool, device: torch.device, warmup: int,
            repeats: int) -> Cell:
    """Baseline and method at one setting, interleaved as
    ``tools/benchmark.py`` times them."""
    cell = Cell(spec.name.split('_')[0], amp, channels_last, batch, largest)
    sides = None
    try:
        sides = [
            _side(spec, which, batch, amp, channels_last, device)
            for which in ('a', 'b')
        ]
        results = compare(*sides, warmup=warmup, repeats=repeats)
    except Exception as error:  # noqa: B902 (reported in the table)
        cell.status = 'oom' if _is_oom(error) else 'fail'
        cell.error = f'{type(error).__name__}: {str(error)[:300]}'
        return cell
    finally:
        sides = None
        _free(device)
    for key in ('a', 'b'):
        step = results[key]['train_step_s']['median']
        cell.data[f'images_per_s_{key}'] = batch / step
        cell.data[f'peak_mb_{key}'] = results[key]['peak_train_bytes'] / 2**20
    cell.data['step_ratio'] = results['ratio']['train_step_s']['median']
    cell.data['inference_ratio'] = results['ratio']['inference_s']['median']
    cell.data['input_size'] = spec.input_size
    return cell


def run_pair(pair: str,
             amp: str,
             dry_run: bool,
             warmup: Optional[int] = None,
             repeats: Optional[int] = None,
             log: Callable[[str], None] = print) -> List[Cell]:
    """Every cell of one pair and precision: batch 32 and the largest batch
    (CPU dry run: batch 2), each without and with ``channels_last``; on
    CUDA one warm-up step and 3 interleaved repetitions by default (a GPU's
    step times vary little, and the largest batches take seconds)."""
    spec = pair_specs(dry_run)[pair]
    device = torch.device('cpu' if dry_run else 'cuda')
    warmup = (0 if dry_run else 1) if warmup is None else warmup
    repeats = (1 if dry_run else 3) if repeats is None else repeats
    # Searched once, in the default layout; channels_last backs off from it
    # if its step needs more memory.
    top = None if dry_run else largest_batch(spec, amp, False, device, log=log)
    cells = []
    for channels_last in (False, True):
        batches = ((2, False), ) if dry_run else ((32, False), (top, True))
        for batch, largest in batches:
            for _ in range(TRIES if largest else 1):
                cell = measure(spec, amp, channels_last, batch, largest,
                               device, warmup, repeats)
                log(f'{pair} {amp} channels_last={channels_last} batch '
                    f'{batch}: {cell.status} {cell.error or cell.data}')
                if cell.status != 'oom' or batch <= 32:
                    break
                batch = max(
                    32,
                    int(batch * BACKOFF) // BATCH_MULTIPLE * BATCH_MULTIPLE)
            if cell.status == 'oom':
                cell.status = 'fail'
            cells.append(cell)
    return cells


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('pair', choices=('csdnet', 'synthpairs'))
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), required=True)
    parser.add_argument('--out', required=True, help='JSON of the cells')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--warmup', type=int)
    parser.add_argument('--repeats', type=int)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cells = run_pair(
        args.pair,
        args.amp,
        args.dry_run,
        args.warmup,
        args.repeats,
        log=lambda line: print(line, flush=True))
    with open(args.out, 'w') as f:
        json.dump([asdict(cell) for cell in cells], f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
