"""torch.profiler measurements: per-operator self time of two models side by
side, and the CPU allocator's peak during one call."""
import contextlib
import os
import sys
from typing import Callable, Dict

import torch

from .step_timing import MeasuredModel, synchronize


@contextlib.contextmanager
def quiet_stderr():
    """Silence the profiler's native start/stop lines and its CUDA probe
    (``gpuGetDeviceCount failed`` on a machine without a GPU), which are
    written to file descriptor 2 by C++ code."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def cpu_memory_peak(fn: Callable) -> int:
    """Highest point of the CPU allocator's timeline during one call of
    ``fn``, in bytes above where it started (the profiler's memory
    events)."""
    from torch.profiler import ProfilerActivity, profile
    with quiet_stderr(), profile(
            activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted(
        (e for e in prof.profiler.kineto_results.events()
         if e.name() == '[memory]' and str(e.device_type()).endswith('CPU')),
        key=lambda e: e.start_ns())
    current = peak = 0
    for event in events:
        current += event.nbytes()
        peak = max(peak, current)
    return peak


def _self_times(fn: Callable, device: torch.device) -> Dict[str, float]:
    """Self time in seconds per operator of one call of ``fn`` (device time
    on CUDA, CPU time otherwise), from ``torch.profiler``."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    synchronize(device)
    with quiet_stderr(), profile(activities=activities) as prof:
        fn()
        synchronize(device)
    field = ('self_device_time_total'
             if device.type == 'cuda' else 'self_cpu_time_total')
    return {
        event.key: getattr(event, field) / 1e6
        for event in prof.key_averages() if getattr(event, field) > 0
    }


def profile_ops(a: MeasuredModel, b: MeasuredModel, top: int) -> dict:
    """Per-operator self time of one training step and one inference pass
    of each model (after warm-up): totals, and the ``top`` operators with
    the largest B - A difference (operators only B runs included)."""
    report = {}
    for kind, call in (('train_step', 'train_step'), ('inference',
                                                      'inference')):
        times = {
            key: _self_times(getattr(side, call), side.device)
            for key, side in (('a', a), ('b', b))
        }
        ops = set(times['a']) | set(times['b'])
        rows = sorted(({
            'op': op,
            'a_s': times['a'].get(op, 0.0),
            'b_s': times['b'].get(op, 0.0)
        } for op in ops),
                      key=lambda row: row['b_s'] - row['a_s'],
                      reverse=True)
        total_a, total_b = sum(times['a'].values()), sum(times['b'].values())
        report[kind] = dict(
            total_a_s=total_a,
            total_b_s=total_b,
            ratio=total_b / total_a if total_a else None,
            top=rows[:top],
            only_b=sorted(ops - set(times['a'])))
    report['time'] = ('CUDA self time'
                      if a.device.type == 'cuda' else 'CPU self time')
    return report
