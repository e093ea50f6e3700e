"""Side-by-side cost measurement of two models built from configs (the logic
of ``tools/benchmark.py``).

Both models get the same synthetic batch (uint8 images as a data loader
would yield them, so the data preprocessor runs too); training steps and
inference passes of A and B are interleaved after warm-up (A, B, B, A, ...)
so drifts of a shared machine hit both alike, and every ratio is also taken
per repetition to give its spread.
"""
import contextlib
import copy
import logging
import os
import statistics
import sys
import time
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..errors import UserInputError
from ..tool_utils import model_cfg_of

# Methods that only maintain memory state (queues, banks); their time is
# reported as a share of the training step.
STATE_UPDATE_METHODS = ('_dequeue_and_enqueue', 'enqueue', 'push')


def strip_pretrained(node):
    """Drop ``Pretrained`` init configs (nothing can be downloaded here, and
    speed or memory do not depend on the weights)."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            strip_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            strip_pretrained(value)
    return node


def _pipeline_transforms(pipeline: Sequence[dict]) -> Iterator[dict]:
    for transform in pipeline:
        yield transform
        if transform.get('type') == 'MultiView':
            for branch in transform['transforms']:
                yield from _pipeline_transforms(branch)


def _train_pipeline(cfg: Config) -> List[dict]:
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']  # wrappers (LabelSubsetDataset, ...)
    return list(dataset.get('pipeline', []))


def num_views(cfg: Config) -> int:
    """Views per image the training loader yields (``MultiView``)."""
    for transform in _train_pipeline(cfg):
        if transform.get('type') == 'MultiView':
            views = transform['num_views']
            return sum(views) if isinstance(views, (list, tuple)) else views
    return 1


def input_size(cfg: Config) -> Optional[int]:
    """Side of the training input: the last crop / resize of the pipeline."""
    size = None
    for transform in _pipeline_transforms(_train_pipeline(cfg)):
        for key in ('crop_size', 'scale'):
            value = transform.get(key)
            if transform.get('type') == 'Resize' and key == 'scale' and \
                    isinstance(value, (list, tuple)):
                value = value[0]
            if isinstance(value, int):
                size = value
    return size


def make_batch(batch_size: int, size: int, views: int, num_classes: int,
               seed: int = 0) -> dict:
    """A batch as MMPretrain's loaders collate it (``default_collate``:
    one uint8 tensor per view)."""
    generator = torch.Generator().manual_seed(seed)

    def images():
        return torch.randint(0, 256, (batch_size, 3, size, size),
                             dtype=torch.uint8, generator=generator)

    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(batch_size)
    ]
    inputs = images() if views == 1 else [images() for _ in range(views)]
    return dict(inputs=inputs, data_samples=samples)


def count_parameters(module: Optional[nn.Module]) -> int:
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters())


class InferencePath(nn.Module):
    """What a deployed model runs on a preprocessed image batch: a
    classifier's backbone, neck and head (logits); otherwise (SSL
    algorithms) ``extract_feat``, the encoder that downstream tasks use."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor):
        if isinstance(self.model, ImageClassifier):
            return self.model.head(self.model.extract_feat(images))
        return self.model.extract_feat(images)


def flops(module: nn.Module, images: torch.Tensor) -> Optional[int]:
    """Forward FLOPs (multiply-adds counted once, as MMPretrain's
    ``get_flops``) of ``module`` on ``images``; None if it cannot be
    traced."""
    from mmengine.analysis import FlopAnalyzer
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(module, (images, ))
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            return int(analyzer.total())
    except Exception:  # noqa: BLE001 (tracing limits are not our errors)
        return None


class ModelUnderTest:
    """One side of the comparison: model, optimizer and batches."""

    def __init__(self, config: str, cfg_options: Optional[dict],
                 device: torch.device, batch_size: int,
                 size: Optional[int], seed: int, keep_init: bool):
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        self.config = config
        self.size = size or input_size(cfg)
        if self.size is None:
            raise UserInputError(
                f'{config}: no input size found in the training pipeline; '
                'pass --input-size.')
        model_cfg = model_cfg_of(cfg)
        if not keep_init:
            strip_pretrained(model_cfg)
        self.model = MODELS.build(model_cfg).to(device)
        with _quiet_mmengine():
            self.model.init_weights()
        self.model.train()
        if 'optim_wrapper' not in cfg or cfg.optim_wrapper is None:
            raise UserInputError(f'{config} has no optim_wrapper to train '
                                 'with.')
        self.optim_wrapper = build_optim_wrapper(self.model,
                                                 cfg.optim_wrapper)
        head = model_cfg.get('head') or {}
        num_classes = head.get('num_classes', 2) if isinstance(head,
                                                               dict) else 2
        self.views = num_views(cfg)
        self.batch = make_batch(batch_size, self.size, self.views,
                                num_classes, seed)
        single = make_batch(batch_size, self.size, 1, num_classes, seed)
        self.inference_batch = single
        self.device = device
        self.state_update_seconds = 0.0
        self._wrap_state_updates()

    def _wrap_state_updates(self) -> None:
        for module in self.model.modules():
            for name in STATE_UPDATE_METHODS:
                method = getattr(module, name, None)
                if method is None or not callable(method):
                    continue
                module.__dict__[name] = self._timed(method)

    def _timed(self, method: Callable) -> Callable:

        def timed(*args, **kwargs):
            _synchronize(self.device)
            start = time.perf_counter()
            result = method(*args, **kwargs)
            _synchronize(self.device)
            self.state_update_seconds += time.perf_counter() - start
            return result

        return timed

    def train_step(self) -> Dict[str, torch.Tensor]:
        self.model.train()
        return self.model.train_step(self.batch, self.optim_wrapper)

    def inference(self):
        self.model.eval()
        with torch.no_grad():
            data = self.model.data_preprocessor(self.inference_batch, False)
            return InferencePath(self.model)(data['inputs'])

    def resident_bytes(self) -> int:
        """Parameters, buffers, gradients and optimizer state."""
        tensors = list(self.model.parameters()) + list(self.model.buffers())
        total = sum(t.numel() * t.element_size() for t in tensors)
        total += sum(p.grad.numel() * p.grad.element_size()
                     for p in self.model.parameters() if p.grad is not None)
        for state in self.optim_wrapper.optimizer.state.values():
            total += sum(v.numel() * v.element_size() for v in state.values()
                         if torch.is_tensor(v))
        return total

    def peak_train_bytes(self) -> int:
        """Peak memory of one training step (after warm-up)."""
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.train_step()
            torch.cuda.synchronize(self.device)
            return torch.cuda.max_memory_allocated(self.device)
        # CPU: what is resident before the step plus the highest point of
        # the allocator's timeline during it (the profiler's memory events).
        resident = self.resident_bytes()
        from torch.profiler import ProfilerActivity, profile
        with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU],
                                      profile_memory=True) as prof:
            self.train_step()
        events = sorted(
            (e for e in prof.profiler.kineto_results.events()
             if e.name() == '[memory]'
             and str(e.device_type()).endswith('CPU')),
            key=lambda e: e.start_ns())
        current = peak = 0
        for event in events:
            current += event.nbytes()
            peak = max(peak, current)
        return resident + peak

    def complexity(self) -> Dict[str, Optional[int]]:
        self.model.eval()
        images = torch.zeros(1, 3, self.size, self.size, device=self.device)
        backbone = getattr(self.model, 'backbone', None)
        return dict(
            params=count_parameters(self.model),
            params_backbone=count_parameters(backbone),
            params_inference=inference_parameters(self.model, images),
            flops_backbone=flops(backbone, images) if backbone else None,
            flops_inference=flops(InferencePath(self.model), images))


def inference_parameters(model: nn.Module, images: torch.Tensor) -> int:
    """Parameters the inference path depends on, found by autograd (a copy
    of the model with every parameter trainable, one backward pass), so
    momentum encoders, decoders and training-only necks are not counted."""
    probe = copy.deepcopy(model).eval()
    for param in probe.parameters():
        param.requires_grad_(True)
        param.grad = None
    outputs = InferencePath(probe)(images)
    if torch.is_tensor(outputs):
        outputs = (outputs, )
    sum(o.float().sum() for o in outputs if torch.is_tensor(o)).backward()
    return sum(p.numel() for p in probe.parameters() if p.grad is not None)


@contextlib.contextmanager
def _quiet_mmengine():
    """Hide the per-parameter initialisation report."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _quiet_stderr():
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


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _timed_call(fn: Callable, device: torch.device) -> float:
    _synchronize(device)
    start = time.perf_counter()
    fn()
    _synchronize(device)
    return time.perf_counter() - start


def _summary(values: Sequence[float]) -> dict:
    values = list(values)
    return dict(
        median=statistics.median(values),
        mean=statistics.fmean(values),
        std=statistics.pstdev(values) if len(values) > 1 else 0.0,
        min=min(values),
        max=max(values),
        n=len(values))


def compare(a: ModelUnderTest, b: ModelUnderTest, warmup: int,
            repeats: int) -> dict:
    """Measure both models; returns a JSON-ready dict."""
    device = a.device
    for side in (a, b):
        for _ in range(warmup):
            side.train_step()
            side.inference()
    results: dict = dict(a=dict(config=a.config), b=dict(config=b.config))
    for kind, call in (('train_step_s', 'train_step'),
                       ('inference_s', 'inference')):
        times = {'a': [], 'b': []}
        for rep in range(repeats):
            order = (('a', a), ('b', b)) if rep % 2 == 0 else (('b', b),
                                                               ('a', a))
            for key, side in order:
                times[key].append(_timed_call(getattr(side, call), device))
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
        (results['b']['params_inference'] - results['a']['params_inference'])
        / base if base else None)
    return results


def _self_times(fn: Callable, device: torch.device) -> Dict[str, float]:
    """Self time in seconds per operator of one call of ``fn`` (device time
    on CUDA, CPU time otherwise), from ``torch.profiler``."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    _synchronize(device)
    with _quiet_stderr(), profile(activities=activities) as prof:
        fn()
        _synchronize(device)
    field = ('self_device_time_total'
             if device.type == 'cuda' else 'self_cpu_time_total')
    return {
        event.key: getattr(event, field) / 1e6
        for event in prof.key_averages() if getattr(event, field) > 0
    }


def profile_ops(a: ModelUnderTest, b: ModelUnderTest, top: int) -> dict:
    """Per-operator self time of one training step and one inference pass
    of each model (after warm-up): totals, and the ``top`` operators with
    the largest B - A difference (operators only B runs included)."""
    report = {}
    for kind, call in (('train_step', 'train_step'),
                       ('inference', 'inference')):
        times = {key: _self_times(getattr(side, call), side.device)
                 for key, side in (('a', a), ('b', b))}
        ops = set(times['a']) | set(times['b'])
        rows = sorted(
            ({'op': op, 'a_s': times['a'].get(op, 0.0),
              'b_s': times['b'].get(op, 0.0)} for op in ops),
            key=lambda row: row['b_s'] - row['a_s'], reverse=True)
        total_a, total_b = sum(times['a'].values()), sum(times['b'].values())
        report[kind] = dict(
            total_a_s=total_a, total_b_s=total_b,
            ratio=total_b / total_a if total_a else None, top=rows[:top],
            only_b=sorted(ops - set(times['a'])))
    report['time'] = ('CUDA self time' if a.device.type == 'cuda' else
                      'CPU self time')
    return report


def format_profile(profile: dict) -> str:
    """The ``--profile`` report printed after the table."""
    lines = [f"Profile (torch.profiler, {profile['time']} per operator, one "
             'call each after warm-up)']
    for kind, label in (('train_step', 'train step'),
                        ('inference', 'inference')):
        part = profile[kind]
        ratio = 'n/a' if part['ratio'] is None else f"{part['ratio']:.3f}"
        lines.append(f"{label}: A {part['total_a_s'] * 1e3:.1f} ms, B "
                     f"{part['total_b_s'] * 1e3:.1f} ms, B/A {ratio}; "
                     'largest B - A:')
        width = max([len(row['op']) for row in part['top']] + [8])
        for row in part['top']:
            delta = (row['b_s'] - row['a_s']) * 1e3
            share = (f"{row['b_s'] / row['a_s']:.2f}x" if row['a_s'] else
                     'B only')
            lines.append(f"  {row['op'].ljust(width)}  A "
                         f"{row['a_s'] * 1e3:9.1f} ms  B "
                         f"{row['b_s'] * 1e3:9.1f} ms  B-A {delta:+9.1f} ms"
                         f'  ({share})')
    return '\n'.join(lines)


def format_table(results: dict) -> str:
    """The printed report: one row per measure, A, B, B/A and spread."""

    def seconds(summary):
        return f"{summary['median'] * 1e3:.1f} ms ±{summary['std'] * 1e3:.1f}"

    def count(value, unit=''):
        if value is None:
            return 'n/a'
        for scale, suffix in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
            if abs(value) >= scale:
                return f'{value / scale:.2f} {suffix}{unit}'
        return f'{value} {unit}'.strip()

    def ratio(value):
        return 'n/a' if value is None else f'{value:.3f}'

    a, b, r = results['a'], results['b'], results['ratio']
    rows = [('measure', 'A', 'B', 'B/A', 'B/A spread (min-max, per rep)')]
    for name, label in (('train_step_s', 'train step (median)'),
                        ('inference_s', 'inference (median)')):
        rows.append((label, seconds(a[name]), seconds(b[name]),
                     ratio(r[name]['median']),
                     f"{r[name]['min']:.3f}-{r[name]['max']:.3f}"))
    rows.append(('peak train memory', count(a['peak_train_bytes'], 'B'),
                 count(b['peak_train_bytes'], 'B'),
                 ratio(r['peak_train_bytes']), ''))
    for name, label in (('params', 'parameters (all)'),
                        ('params_inference', 'parameters (inference)'),
                        ('params_backbone', 'parameters (backbone)'),
                        ('flops_backbone', 'FLOPs backbone (1 image)'),
                        ('flops_inference', 'FLOPs inference (1 image)')):
        rows.append((label, count(a[name]), count(b[name]),
                     ratio(r.get(name)), ''))
    rows.append(('queue/bank updates, share of a step',
                 f"{a['state_update_share'] * 100:.2f} %",
                 f"{b['state_update_share'] * 100:.2f} %", '', ''))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        '  '.join(cell.ljust(width) for cell, width in zip(row, widths))
        for row in rows
    ]
    lines.insert(1, '  '.join('-' * w for w in widths))
    extra = results['extra_params_vs_a_backbone']
    lines.append(f"A = {a['config']}")
    lines.append(f"B = {b['config']}")
    if extra is not None:
        lines.append('B inference parameters beyond A: '
                     f'{extra * 100:.2f} % of A\'s backbone')
    return '\n'.join(lines)


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
