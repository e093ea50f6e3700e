"""The plugin on one CUDA GPU: AMP training, checkpoints, resume, cost (the
logic of ``tools/gpu_check.py``; docs/benchmarks.md, "GPU check").

1. Training, through ``tools/train.py`` as subprocesses, of every method
   family on the tiny demo configs shipped in ``tiny-configs/`` (stock
   classifier, CSDNet with its memory queue, SynthPairs-MoCo,
   SynthPairs-SimSiam, the SynthPairs decoder stage), ``iters`` iterations
   each, in fp16 (``--amp``: ``AmpOptimWrapper``, dynamic loss scale) and
   in bf16 (``--amp`` + ``optim_wrapper.dtype=bfloat16``). Checks per run:
   the run exits 0; every logged loss term (``vis_data/scalars.json``) is
   finite at every iteration; in the last checkpoint every floating tensor
   of the state dict is fp32 and finite, including the method's memory
   (CSDNet ``queue_neck.queue``, MoCo ``queue``, SynthPairs
   ``perturbation.feat_bank``), and the optimizer state carries the AMP
   loss scaler.
2. ``--resume`` exactness: the fp16 run is continued from its checkpoint at
   ``iters / 2`` in a fresh work dir up to ``iters``; every tensor of the
   final state dict and optimizer state (loss scaler included) is compared
   with ``torch.equal`` against the uninterrupted run. On CUDA
   nondeterministic kernels (atomics in some backward passes) can make
   this inexact: the check then reports ``inexact`` with the largest
   absolute difference instead of failing. On the CPU it must be exact.
3. ``tools/benchmark.py --device cuda`` for the CSDNet pair (ResNet-50
   baseline vs CSDNet on Cotton80's configs, 384 px, batch 8 and 32) and
   the SynthPairs pair (MoCo v2 vs SynthPairs-MoCo on CUB's configs,
   224 px, batch 32): training-step and inference ratios, images/s and peak
   memory; CSDNet at batch 8 also with ``--profile`` (the operators that
   make its inference ratio).
4. The mixed-precision table (:mod:`.throughput`): both pairs in fp16 and
   bf16, with and without ``channels_last``, at batch 32 and at the largest
   batch the method's step fits in.
5. ``torch.compile`` on the CSDNet model (:mod:`.compile_probe`): it works
   (times eager / compiled) or the stage and exception are stated.
6. The RNG-state hook's tests from the checkout, whose CUDA test restores
   a generator state onto the GPU.

Everything (logs, work dirs, benchmark JSON, ``summary.md``,
``summary.json`` with pass / fail per check) goes under the output folder;
the summary is printed and the exit status is 1 if a check failed. Without
CUDA (or with ``dry_run``) the same functions run on the CPU as a quick dry
run: fp32, 2 iterations, the benchmarks at 64 px, batch 2, one repetition
(the mixed-precision cells under CPU autocast at batch 2, ``torch.compile``
with the ``eager`` backend).
The tools and configs are the checkout's, or those an installed package
carries in ``csdnet_mm/.mim``.

* :mod:`.checks` -- the families, precisions and benchmark pairs; the
  checks on a finished run's outputs;
* :mod:`.throughput`, :mod:`.compile_probe` -- child processes of 4 and 5;
* :mod:`.suite` -- the child processes, the summary, :func:`run_gpu_check`.
"""
from .checks import (CPU_PRECISIONS, FAMILIES, GPU_PRECISIONS, TINY_CONFIGS,
                     CheckResult, Family, Precision, check_losses,
                     check_resume, check_state)
from .suite import NO_CUDA_MESSAGE, run_gpu_check, summary_markdown

__all__ = [
    'CPU_PRECISIONS', 'CheckResult', 'FAMILIES', 'Family', 'GPU_PRECISIONS',
    'NO_CUDA_MESSAGE', 'Precision', 'TINY_CONFIGS', 'check_losses',
    'check_resume', 'check_state', 'run_gpu_check', 'summary_markdown'
]
