"""What the GPU check runs (method families, precisions, benchmark pairs)
and the checks it makes on a finished run's outputs."""
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Tuple

import torch

from ...errors import UserInputError
from ..checkpoints import compare_checkpoints, load_checkpoint
from ..scalars import logged_losses

# The tiny configs the check trains, shipped in the package as data (a
# folder name that is no identifier, which setuptools would take for an
# undeclared subpackage).
TINY_CONFIGS = osp.join(osp.dirname(osp.abspath(__file__)), 'tiny-configs')
# The tiny configs' demo set (their `demo_spec`).
DEMO_SPEC = dict(num_classes=4, train_per_class=4, test_per_class=2)


@dataclass
class Family:
    """One method family: a tiny config and the memory it must keep fp32.

    Args:
        name (str): The name ``--families`` takes.
        config (str): The tiny config's file name in :data:`TINY_CONFIGS`.
        memory (tuple[str]): State dict keys of the method's queue / bank.
        has_val (bool): Whether the config has val / test loaders.
        options (tuple[str]): Extra ``--cfg-options``.
    """
    name: str
    config: str
    memory: Tuple[str, ...] = ()
    has_val: bool = False
    options: Tuple[str, ...] = ()

    @property
    def config_path(self) -> str:
        return osp.join(TINY_CONFIGS, self.config)


FAMILIES = (
    Family('classifier', 'tiny_demo.py', has_val=True),
    Family(
        'csdnet',
        'tiny_csdnet_demo.py',
        memory=('queue_neck.queue', ),
        has_val=True),
    Family(
        'synthpairs_mocov2',
        'tiny_synthpairs_mocov2.py',
        memory=('queue', 'perturbation.feat_bank'),
        options=('model.backbone.init_cfg=None',
                 'model.decoder.init_cfg=None')),
    Family(
        'synthpairs_simsiam',
        'tiny_synthpairs_simsiam.py',
        memory=('perturbation.feat_bank', )),
    Family('synthpairs_decoder', 'tiny_synthpairs_decoder.py'),
)


@dataclass
class Precision:
    """How a training run is launched.

    Args:
        name (str): fp16 / bf16 / fp32.
        flags (tuple[str]): ``tools/train.py`` flags.
        options (tuple[str]): Extra ``--cfg-options``.
    """
    name: str
    flags: Tuple[str, ...] = ()
    options: Tuple[str, ...] = ()

    @property
    def amp(self) -> bool:
        return '--amp' in self.flags


# The tiny configs ask for `randomness.deterministic=True`, which MMEngine
# turns into torch.use_deterministic_algorithms(True): on CUDA that raises
# in the backward of AdaptiveAvgPool2d (every ResNet here), so CUDA runs
# switch it off (cuDNN autotuning stays off: env_cfg.cudnn_benchmark).
CUDA_OPTIONS = ('randomness.deterministic=False', )
GPU_PRECISIONS = (
    Precision('fp16', ('--amp', ), CUDA_OPTIONS),
    Precision('bf16', ('--amp', ),
              ('optim_wrapper.dtype=bfloat16', *CUDA_OPTIONS)),
)
# AmpOptimWrapper refuses the CPU (docs/stack-fixes.md), so the dry run
# trains in fp32 through the same code path.
CPU_PRECISIONS = (Precision('fp32'), )


@dataclass
class BenchmarkSpec:
    """One ``tools/benchmark.py`` comparison.

    Args:
        name (str): Names its JSON, log and summary line.
        config_a (str): The baseline, relative to the plugin's root.
        config_b (str): The method.
        input_size (int): Pixels.
        batch_size (int): Images per step.
        options_b (tuple[str]): ``--cfg-options-b``.
        profile (int): ``--profile TOP`` (0: no profile).
    """
    name: str
    config_a: str
    config_b: str
    input_size: int
    batch_size: int
    options_b: Tuple[str, ...] = ()
    profile: int = 0


PROFILE_TOP = 12


def benchmark_specs(dry_run: bool) -> List[BenchmarkSpec]:
    """The CSDNet pair (batch 8 and 32) and the SynthPairs pair; tiny on
    the CPU (one batch size; the decoder's output follows the input).

    Args:
        dry_run (bool): The CPU dry run's sizes.
    """
    csdnet = ('configs/baselines/resnet50_cotton80.py',
              'configs/csdnet/csdnet_resnet50_1xb8-160e_cotton80-384px.py')
    synthpairs = (
        'configs/baselines/mocov2_resnet50_4xb32-coslr-100e_cub.py',
        'configs/synthpairs/synthpairs-mocov2_resnet50_4xb32-coslr-100e_'
        'cub.py')
    csdnet_size, synth_size = (64, 64) if dry_run else (384, 224)
    # Profiled at the smallest batch, where CSDNet's inference ratio is
    # furthest from 1 (fixed per-kernel costs weigh most there).
    batches = (2, ) if dry_run else (8, 32)
    specs = [
        BenchmarkSpec(
            f'csdnet_{csdnet_size}px_bs{batch}',
            *csdnet,
            csdnet_size,
            batch,
            profile=PROFILE_TOP if batch == batches[0] else 0)
        for batch in batches
    ]
    batch = 2 if dry_run else 32
    specs.append(
        BenchmarkSpec(f'synthpairs_{synth_size}px_bs{batch}', *synthpairs,
                      synth_size, batch,
                      (f'model.decoder.out_size={synth_size}', )))
    return specs


@dataclass
class CheckResult:
    """One line of the summary.

    Args:
        kind (str): train / losses / state / resume / benchmark / amp /
            compile / rng.
        target (str): ``family/precision``, the benchmark's name or the
            AMP cell.
        status (str): pass / fail / inexact (resume on CUDA) / skip /
            finding (``torch.compile`` failed: stated, not a failure of
            the plugin's check).
        detail (str): What was found.
        data (dict): Numbers for ``summary.json``.
    """
    kind: str
    target: str
    status: str
    detail: str = ''
    data: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == 'fail'


def _losses(work_dir: str) -> dict:
    # A run that logged nothing misses every iteration (reported as such).
    try:
        return logged_losses(work_dir)
    except UserInputError:
        return {}


def check_losses(target: str, work_dir: str, first: int,
                 last: int) -> CheckResult:
    """Every loss term was logged, finite, at every iteration.

    Args:
        target (str): ``family/precision``.
        work_dir (str): The run's work dir.
        first (int): First iteration expected.
        last (int): Last iteration expected.
    """
    logged = _losses(work_dir)
    missing = [it for it in range(first, last + 1) if it not in logged]
    bad = [
        f'iter {it} {k}={v}' for it, terms in sorted(logged.items())
        for k, v in terms.items() if not math.isfinite(v)
    ]
    final = logged.get(last, {})
    detail = ', '.join(f'{k} {v:.4g}' for k, v in sorted(final.items()))
    if missing or bad:
        return CheckResult('losses', target, 'fail',
                           f'missing iterations {missing}; non-finite: {bad}')
    return CheckResult('losses', target, 'pass', f'iter {last}: {detail}',
                       dict(final=final))


def check_state(target: str, family: Family, precision: Precision,
                checkpoint: dict) -> CheckResult:
    """Every floating tensor of the state dict is fp32 and finite (the
    method's queue / bank included); AMP runs save a loss scaler.

    Args:
        target (str): ``family/precision``.
        family (Family): Names the memory to look for.
        precision (Precision): Whether a loss scaler is expected.
        checkpoint (dict): The run's last checkpoint.
    """
    state = checkpoint['state_dict']
    problems = [f'{k} missing' for k in family.memory if k not in state]
    for key, value in state.items():
        if value.is_floating_point():
            if value.dtype != torch.float32:
                problems.append(f'{key} is {value.dtype}')
            elif not torch.isfinite(value).all():
                problems.append(f'{key} not finite')
    scaler = checkpoint.get('optimizer', {}).get('loss_scaler')
    if precision.amp and scaler is None:
        problems.append('no loss_scaler in the optimizer state (AMP off?)')
    memory = ', '.join(f'{k} {tuple(state[k].shape)} {state[k].dtype}'
                       for k in family.memory if k in state)
    detail = memory or 'state dict fp32'
    if scaler is not None:
        detail += f'; loss scale {scaler.get("scale")}'
    if problems:
        return CheckResult('state', target, 'fail', '; '.join(problems))
    return CheckResult('state', target, 'pass', detail)


def check_resume(target: str, straight_dir: str, resumed_dir: str, iters: int,
                 cuda: bool) -> CheckResult:
    """The run resumed at ``iters / 2`` ends where the uninterrupted one
    does: every tensor of the state dict and optimizer state equal.

    Args:
        target (str): ``family/precision``.
        straight_dir (str): The uninterrupted run's work dir.
        resumed_dir (str): The resumed run's work dir.
        iters (int): Iterations of both runs.
        cuda (bool): Whether they ran on CUDA, whose nondeterministic
            kernels make a difference ``inexact`` rather than a failure.
    """
    diff = compare_checkpoints(
        load_checkpoint(osp.join(straight_dir, f'iter_{iters}.pth')),
        load_checkpoint(osp.join(resumed_dir, f'iter_{iters}.pth')))
    problems = list(diff.mismatched)
    loss_a, loss_b = _losses(straight_dir), _losses(resumed_dir)
    resumed_iters = sorted(loss_b)
    if resumed_iters != list(range(iters // 2 + 1, iters + 1)):
        problems.append(f'resumed run logged iterations {resumed_iters}')
    loss_diff = max((abs(loss_a[it][k] - v)
                     for it, terms in loss_b.items() if it in loss_a
                     for k, v in terms.items() if k in loss_a[it]),
                    default=0.0)
    largest = diff.max_abs_diff
    data = dict(
        max_abs_diff=largest, leaves=diff.leaves, loss_max_abs_diff=loss_diff)
    if problems or not math.isfinite(largest):
        return CheckResult('resume', target, 'fail', '; '.join(problems)
                           or 'non-finite difference', data)
    detail = (f'{diff.leaves} tensors of state dict + optimizer state, '
              f'logged losses after iteration {iters // 2} differ by at '
              f'most {loss_diff:.3g}')
    if diff.exact:
        return CheckResult('resume', target, 'pass', 'bit-exact: ' + detail,
                           data)
    # CUDA: nondeterministic kernels; report, do not fail.
    return CheckResult('resume', target, 'inexact' if cuda else 'fail',
                       f'max abs difference {largest:.3g}: ' + detail, data)


def benchmark_result(spec: BenchmarkSpec, results: dict, out: str,
                     seconds: float) -> CheckResult:
    """Ratios, images/s and peak memory from ``tools/benchmark.py``'s JSON;
    passes when every number is finite and positive.

    Args:
        spec (BenchmarkSpec): The comparison.
        results (dict): Its JSON.
        out (str): Where the JSON is.
        seconds (float): How long the benchmark ran.
    """
    data = dict(
        batch_size=spec.batch_size,
        input_size=spec.input_size,
        device=results['setup']['device_name'],
        step_ratio=results['ratio']['train_step_s']['median'],
        inference_ratio=results['ratio']['inference_s']['median'],
        peak_ratio=results['ratio']['peak_train_bytes'],
        json=out)
    for side in ('a', 'b'):
        step = results[side]['train_step_s']['median']
        data[f'images_per_s_{side}'] = spec.batch_size / step
        data[f'peak_mb_{side}'] = results[side]['peak_train_bytes'] / 2**20
    values = [v for v in data.values() if isinstance(v, float)]
    if 'profile' in results:
        data['profile'] = {
            kind:
            dict(
                ratio=part['ratio'],
                total_a_ms=part['total_a_s'] * 1e3,
                total_b_ms=part['total_b_s'] * 1e3,
                top=[
                    dict(
                        op=row['op'],
                        a_ms=row['a_s'] * 1e3,
                        b_ms=row['b_s'] * 1e3) for row in part['top']
                ])
            for kind, part in results['profile'].items()
            if isinstance(part, dict)
        }
    status = 'pass' if all(math.isfinite(v) and v > 0
                           for v in values) else 'fail'
    detail = (f"step B/A {data['step_ratio']:.3f}, images/s "
              f"{data['images_per_s_a']:.1f} / {data['images_per_s_b']:.1f}, "
              f"peak {data['peak_mb_a']:.0f} / {data['peak_mb_b']:.0f} MiB "
              f"(B/A {data['peak_ratio']:.3f}), {seconds:.0f} s")
    return CheckResult('benchmark', spec.name, status, detail, data)
