"""Interleaved timing of two models' training steps and inference passes.

Steps and inference passes of A and B are interleaved after warm-up (A, B,
B, A, ...) so drifts of a shared machine hit both alike, and every ratio is
also taken per repetition to give its spread.
"""
import contextlib
import statistics
import time
from typing import Callable, Optional, Protocol, Sequence

import torch

try:
    import resource
except ImportError:  # not on Windows
    resource = None


class MeasuredModel(Protocol):
    """What the measurements need of a model (``ModelUnderTest`` is one)."""
    config: str
    device: torch.device
    state_update_seconds: float

    def train_step(self) -> None:
        ...

    def inference(self) -> None:
        ...

    def peak_train_bytes(self) -> Optional[int]:
        ...

    def complexity(self) -> dict:
        ...


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _timed_call(fn: Callable, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def minor_page_faults() -> Optional[int]:
    """Minor page faults of this process so far (None where the platform
    does not count them). On CPU they show the allocator handing freed
    memory back to the OS and faulting it in again, which costs a two-view
    step more than twice a one-view step with glibc's malloc
    (docs/benchmarks.md)."""
    if resource is None:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _summary(values: Sequence[float]) -> dict:
    values = list(values)
    return dict(
        median=statistics.median(values),
        mean=statistics.fmean(values),
        std=statistics.stdev(values) if len(values) > 1 else 0.0,
        min=min(values),
        max=max(values),
        n=len(values))


def compare(a: MeasuredModel, b: MeasuredModel, warmup: int,
            repeats: int) -> dict:
    """Measure both models; returns a JSON-ready dict."""
    device = a.device
    for side in (a, b):
        for _ in range(warmup):
            side.train_step()
            side.inference()
    results: dict = dict(a=dict(config=a.config), b=dict(config=b.config))
    for kind, call in (('train_step_s', 'train_step'), ('inference_s',
                                                        'inference')):
        times = {'a': [], 'b': []}
        faults = {'a': [], 'b': []}
        for rep in range(repeats):
            order = (('a', a), ('b', b)) if rep % 2 == 0 else (('b', b), ('a',
                                                                          a))
            for key, side in order:
                before = minor_page_faults()
                times[key].append(_timed_call(getattr(side, call), device))
                if before is not None:
                    faults[key].append(minor_page_faults() - before)
        if kind == 'train_step_s' and faults['a']:
            for key in ('a', 'b'):
                results[key]['page_faults_per_step'] = statistics.median(
                    faults[key])
        results['a'][kind] = _summary(times['a'])
        results['b'][kind] = _summary(times['b'])
        results.setdefault('ratio', {})[kind] = _summary(
            [tb / ta for ta, tb in zip(times['a'], times['b'])])
    for key, side in (('a', a), ('b', b)):
        # One more timed step for the share of queue / bank updates.
        side.state_update_seconds = 0.0
        step = _timed_call(side.train_step, device)
        results[key]['state_update_share'] = side.state_update_seconds / step
        results[key]['peak_train_bytes'] = side.peak_train_bytes()
        results[key].update(side.complexity())
    for name in ('peak_train_bytes', 'params', 'params_inference',
                 'params_backbone', 'flops_backbone', 'flops_inference'):
        va, vb = results['a'][name], results['b'][name]
        results['ratio'][name] = (vb / va) if va and vb is not None else None
    base = results['a']['params_backbone']
    results['extra_params_vs_a_backbone'] = (
        (results['b']['params_inference'] - results['a']['params_inference']) /
        base if base else None)
    return results


@contextlib.contextmanager
def torch_threads(threads: Optional[int]):
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
