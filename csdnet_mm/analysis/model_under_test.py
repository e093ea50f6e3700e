"""One side of a cost comparison: a model built from a config as the Runner
builds it, its optimizer and a synthetic batch (uint8 images as a data
loader would yield them, so the data preprocessor runs too)."""
import contextlib
import logging
import time
from typing import Callable, Dict, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..errors import UserInputError
from ..tool_utils import model_cfg_of
from .complexity import (InferencePath, count_parameters, flops,
                         inference_parameters)
from .config_reading import input_size, num_views, strip_pretrained
from .profiling import cpu_memory_peak
from .step_timing import synchronize

# Methods that only maintain memory state (queues, banks); their time is
# reported as a share of the training step.
STATE_UPDATE_METHODS = ('_dequeue_and_enqueue', 'enqueue', 'push')


def make_batch(batch_size: int,
               size: int,
               views: int,
               num_classes: int,
               seed: int = 0) -> dict:
    """A batch as MMPretrain's loaders collate it (``default_collate``:
    one uint8 tensor per view)."""
    generator = torch.Generator().manual_seed(seed)

    def images():
        return torch.randint(
            0,
            256, (batch_size, 3, size, size),
            dtype=torch.uint8,
            generator=generator)

    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(batch_size)
    ]
    inputs = images() if views == 1 else [images() for _ in range(views)]
    return dict(inputs=inputs, data_samples=samples)


class ModelUnderTest:
    """One side of the comparison: model, optimizer and batches."""

    def __init__(self, config: str, cfg_options: Optional[dict],
                 device: torch.device, batch_size: int, size: Optional[int],
                 seed: int, keep_init: bool):
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
        self.optim_wrapper = build_optim_wrapper(self.model, cfg.optim_wrapper)
        head = model_cfg.get('head') or {}
        num_classes = head.get('num_classes', 2) if isinstance(head,
                                                               dict) else 2
        self.views = num_views(cfg)
        self.batch = make_batch(batch_size, self.size, self.views, num_classes,
                                seed)
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
            synchronize(self.device)
            start = time.perf_counter()
            result = method(*args, **kwargs)
            synchronize(self.device)
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
        return resident + cpu_memory_peak(self.train_step)

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
