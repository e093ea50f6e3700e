"""Cost measurement of models built from configs (the logic of
``tools/benchmark.py``), split by job:

* :mod:`.config_reading` -- what a config says about the input (views per
  image, input size) and dropping ``Pretrained`` init configs;
* :mod:`.model_under_test` -- one side of a comparison: model, optimizer,
  synthetic batch, training step, inference pass, memory;
* :mod:`.complexity` -- parameters and FLOPs (whole model, inference path);
* :mod:`.step_timing` -- interleaved timing of A and B, per-repetition
  ratios;
* :mod:`.profiling` -- torch.profiler: per-operator self time, CPU memory
  peak;
* :mod:`.report` -- the printed table and profile.

Not imported by ``import csdnet_mm``: nothing here registers a component.
"""
from .complexity import (InferencePath, count_parameters, flops,
                         inference_parameters)
from .config_reading import input_size, num_views, strip_pretrained
from .model_under_test import (AMP_DTYPES, STATE_UPDATE_METHODS,
                               ModelUnderTest, make_batch)
from .profiling import cpu_memory_peak, profile_ops
from .report import format_profile, format_table
from .step_timing import compare, minor_page_faults, torch_threads

__all__ = [
    'AMP_DTYPES', 'InferencePath', 'ModelUnderTest', 'STATE_UPDATE_METHODS',
    'compare', 'count_parameters', 'cpu_memory_peak', 'flops',
    'format_profile', 'format_table', 'inference_parameters', 'input_size',
    'make_batch', 'minor_page_faults', 'num_views', 'profile_ops',
    'strip_pretrained', 'torch_threads'
]
