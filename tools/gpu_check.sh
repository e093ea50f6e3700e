#!/usr/bin/env bash
# Usage: tools/gpu_check.sh [gpu_check.py args...]
# The plugin on one CUDA GPU: AMP (fp16, bf16) training of every method
# family, fp32 queues / banks, --resume exactness, the benchmarks with
# CSDNet's inference profile, the mixed-precision / channels_last table,
# torch.compile and the CUDA RNG test (docs/benchmarks.md, "GPU check").
# Without CUDA: a CPU dry run.
set -e
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
python "$(dirname "$0")/gpu_check.py" "$@"
