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


# ``--amp`` precisions and their autocast dtypes.
AMP_DTYPES = {'fp16': torch.float16, 'bf16': torch.bfloat16}


class ModelUnderTest:
    """One side of the comparison: model, optimizer and batches.

    Args:
        config (str): The config file.
        cfg_options (dict, optional): Its overrides.
        device (torch.device): Where the model runs.
        batch_size (int): Images per step.
        size (int, optional): Input side (default: the training pipeline's).
        seed (int): Of the weights and the synthetic batch.
        keep_init (bool): Keep the config's Pretrained ``init_cfg``.
        amp (str, optional): ``'fp16'`` or ``'bf16'``: train as
            ``tools/train.py --amp`` does (``AmpOptimWrapper`` with that
            dtype; on the CPU, which that wrapper refuses, the same autocast
            around the step without a loss scaler) and infer under autocast.
        channels_last (bool): Weights, and the inference inputs, in
            ``torch.channels_last`` memory format.
    """

    def __init__(self,
                 config: str,
                 cfg_options: Optional[dict],
                 device: torch.device,
                 batch_size: int,
                 size: Optional[int],
                 seed: int,
                 keep_init: bool,
                 amp: Optional[str] = None,
                 channels_last: bool = False):
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if amp is not None and amp not in AMP_DTYPES:
            raise UserInputError(f'amp={amp!r}: expected one of '
                                 f'{sorted(AMP_DTYPES)}')
        self.amp, self.channels_last = amp, channels_last
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
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.model.train()
        if 'optim_wrapper' not in cfg or cfg.optim_wrapper is None:
            raise UserInputError(f'{config} has no optim_wrapper to train '
                                 'with.')
        if amp is not None and device.type != 'cpu':
            # What MMPretrain's tools/train.py --amp does to the config.
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
            cfg.optim_wrapper.dtype = str(AMP_DTYPES[amp]).replace(
                'torch.', '')
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

    def _autocast(self, wrapper_does_it: bool = False):
        if self.amp is None or wrapper_does_it:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=AMP_DTYPES[self.amp])

    def train_step(self) -> Dict[str, torch.Tensor]:
        self.model.train()
        # On CUDA AmpOptimWrapper's optim_context already autocasts.
        with self._autocast(wrapper_does_it=self.device.type != 'cpu'):
            return self.model.train_step(self.batch, self.optim_wrapper)

    def inference(self):
        self.model.eval()
        with torch.no_grad(), self._autocast():
            inputs = self.model.data_preprocessor(self.inference_batch,
                                                  False)['inputs']
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            return InferencePath(self.model)(inputs)

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
