# The package's copy, which tools/gpu_check.py trains (an installed package
# carries no tests/): one config for the tool tests and the check.
_base_ = [
    '../../csdnet_mm/benchmarks/gpu/tiny-configs/tiny_csdnet_demo.py',
]
