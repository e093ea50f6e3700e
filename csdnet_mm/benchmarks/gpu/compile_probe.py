"""``torch.compile`` on the CSDNet model: does it work, and what does it
change? Run by the GPU check as a child process::

    python -m csdnet_mm.benchmarks.gpu.compile_probe --out compile.json \\
        [--dry-run]

The model is the GPU check's CSDNet (Cotton80's ResNet-50 config, 384 px,
batch 32; the dry run: 64 px, batch 2). Its training step is timed eager,
then with ``model.compile()`` (``nn.Module.compile``: the Runner's
``train_step`` calls the module, so the compiled forward is what trains),
and its inference path eager and through ``torch.compile``; the first
compiled call's time includes compilation. A failure is reported with the
exception and the stage it happened in. The dry run uses the ``eager``
backend (TorchDynamo's tracing without code generation, which needs a
compiler toolchain and minutes on a CPU); on CUDA the default,
``inductor``.
"""
import argparse
import json
import math
import statistics
import sys
import time
import traceback
from typing import Callable, Optional, Sequence

import torch

from ...analysis import InferencePath, ModelUnderTest
from ...analysis.step_timing import synchronize
from .throughput import pair_specs


def _seconds(fn: Callable, device: torch.device, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def probe(dry_run: bool,
          backend: Optional[str] = None,
          repeats: int = 3) -> dict:
    """The probe's findings (see the module's docstring)."""
    spec = pair_specs(dry_run)['csdnet']
    device = torch.device('cpu' if dry_run else 'cuda')
    backend = backend or ('eager' if dry_run else 'inductor')
    batch = 2 if dry_run else 32
    result = dict(
        config=spec.config_b,
        input_size=spec.input_size,
        batch_size=batch,
        backend=backend,
        device=str(device),
        torch=torch.__version__)
    stage = 'build'
    try:
        side = ModelUnderTest(spec.config_b, None, device, batch,
                              spec.input_size, 0, False)
        stage = 'eager train step'
        side.train_step()
        result['eager_step_s'] = _seconds(side.train_step, device, repeats)
        path = InferencePath(side.model)
        inputs = side.model.data_preprocessor(side.inference_batch,
                                              False)['inputs']

        def infer(module):
            side.model.eval()
            with torch.no_grad():
                return module(inputs)

        stage = 'eager inference'
        eager_out = infer(path)
        result['eager_inference_s'] = _seconds(lambda: infer(path), device,
                                               repeats)

        stage = 'compiled inference (compilation)'
        compiled = torch.compile(path, backend=backend)
        start = time.perf_counter()
        compiled_out = infer(compiled)
        synchronize(device)
        result['first_compiled_inference_s'] = time.perf_counter() - start
        stage = 'compiled inference'
        result['compiled_inference_s'] = _seconds(lambda: infer(compiled),
                                                  device, repeats)
        result['inference_max_abs_diff'] = float(
            (compiled_out.float() - eager_out.float()).abs().max())
        stage = 'compiled train step (compilation)'
        side.model.compile(backend=backend)
        result['first_compiled_step_s'] = _seconds(side.train_step, device, 1)
        stage = 'compiled train step'
        result['compiled_step_s'] = _seconds(side.train_step, device, repeats)
        losses = side.train_step()
        result['compiled_losses_finite'] = all(
            math.isfinite(float(value)) for value in losses.values())
        result['step_speedup'] = (
            result['eager_step_s'] / result['compiled_step_s'])
        result['inference_speedup'] = (
            result['eager_inference_s'] / result['compiled_inference_s'])
        result['status'] = 'works'
    except Exception as error:  # noqa: B902 (the finding is the failure)
        result['status'] = 'fails'
        result['stage'] = stage
        result['error'] = f'{type(error).__name__}: {str(error)[:1000]}'
        result['traceback'] = traceback.format_exc()[-4000:]
    return result


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--backend')
    args = parser.parse_args(argv)
    result = probe(args.dry_run, args.backend)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != 'traceback'}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
