"""Check the plugin on one CUDA GPU: AMP training, checkpoints, resume, cost.

    python tools/gpu_check.py [--out-dir DIR] [--iters 4] [--jobs 5]
        [--families NAME ...] [--skip-train] [--skip-benchmark] [--dry-run]

(``bash tools/gpu_check.sh`` runs the same.) Under 8 minutes on one GPU:

1. Training, through ``tools/train.py`` as subprocesses, of every method
   family on the tiny demo configs (``tests/data/tiny_*.py``: stock
   classifier, CSDNet with its memory queue, SynthPairs-MoCo,
   SynthPairs-SimSiam, the SynthPairs decoder stage), ``--iters``
   iterations each, in fp16 (``--amp``: ``AmpOptimWrapper``, dynamic loss
   scale) and in bf16 (``--amp`` + ``optim_wrapper.dtype=bfloat16``).
   Checks per run: the run exits 0; every logged loss term
   (``vis_data/scalars.json``) is finite at every iteration; in the last
   checkpoint every floating tensor of the state dict is fp32 and finite,
   including the method's memory (CSDNet ``queue_neck.queue``, MoCo
   ``queue``, SynthPairs ``perturbation.feat_bank``), and the optimizer
   state carries the AMP loss scaler.
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
   memory.

Everything (logs, work dirs, benchmark JSON, ``summary.md``,
``summary.json`` with pass / fail per check) goes under ``--out-dir``
(default ``work_dirs/gpu_check/<timestamp>``); the summary is printed and
the exit status is 1 if a check failed. Without CUDA (or with
``--dry-run``) the same functions run on the CPU as a quick dry run: fp32,
2 iterations, the benchmarks at 64 px, batch 2, one repetition; it says so
and exits 0 when the checks pass. See docs/benchmarks.md, "GPU check".
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402

TINY = osp.join('tests', 'data')
# The tiny configs' demo set (their `demo_spec`); generated once up front so
# parallel runs do not race to create it.
DEMO_SPEC = dict(num_classes=4, train_per_class=4, test_per_class=2)
NO_CUDA_MESSAGE = ('No CUDA device: running the CPU dry run of the same '
                   'checks (fp32, tiny sizes); nothing was measured on a GPU.')
GPU_BUDGET_S = 8 * 60


@dataclass
class Family:
    """One method family: a tiny config and the memory it must keep fp32."""
    name: str
    config: str
    memory: Tuple[str, ...] = ()
    has_val: bool = False
    options: Tuple[str, ...] = ()


FAMILIES = (
    Family('classifier', osp.join(TINY, 'tiny_demo.py'), has_val=True),
    Family('csdnet', osp.join(TINY, 'tiny_csdnet_demo.py'),
           memory=('queue_neck.queue', ), has_val=True),
    Family('synthpairs_mocov2', osp.join(TINY, 'tiny_synthpairs_mocov2.py'),
           memory=('queue', 'perturbation.feat_bank'),
           options=('model.backbone.init_cfg=None',
                    'model.decoder.init_cfg=None')),
    Family('synthpairs_simsiam',
           osp.join(TINY, 'tiny_synthpairs_simsiam.py'),
           memory=('perturbation.feat_bank', )),
    Family('synthpairs_decoder',
           osp.join(TINY, 'tiny_synthpairs_decoder.py')),
)


@dataclass
class Precision:
    """How a training run is launched: train.py flags and cfg options."""
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
    """One tools/benchmark.py comparison."""
    name: str
    config_a: str
    config_b: str
    input_size: int
    batch_size: int
    options_b: Tuple[str, ...] = ()


def benchmark_specs(dry_run: bool) -> List[BenchmarkSpec]:
    """The CSDNet pair (batch 8 and 32) and the SynthPairs pair; tiny on
    the CPU (one batch size; the decoder's output follows the input)."""
    csdnet = ('configs/baselines/resnet50_cotton80.py',
              'configs/csdnet/csdnet_resnet50_1xb8-160e_cotton80-384px.py')
    synthpairs = (
        'configs/baselines/mocov2_resnet50_4xb32-coslr-100e_cub.py',
        'configs/synthpairs/synthpairs-mocov2_resnet50_4xb32-coslr-100e_'
        'cub.py')
    csdnet_size, synth_size = (64, 64) if dry_run else (384, 224)
    specs = [
        BenchmarkSpec(f'csdnet_{csdnet_size}px_bs{batch}', *csdnet,
                      csdnet_size, batch)
        for batch in ((2, ) if dry_run else (8, 32))
    ]
    batch = 2 if dry_run else 32
    specs.append(
        BenchmarkSpec(f'synthpairs_{synth_size}px_bs{batch}', *synthpairs,
                      synth_size, batch,
                      (f'model.decoder.out_size={synth_size}', )))
    return specs


@dataclass
class Check:
    """One line of the summary."""
    kind: str
    target: str
    status: str  # pass / fail / inexact (resume on CUDA) / skip
    detail: str = ''
    data: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == 'fail'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train every method family with AMP on one CUDA GPU, '
        'check losses, fp32 memory and --resume exactness, benchmark the '
        'method pairs (a CPU dry run without CUDA).')
    parser.add_argument(
        '--out-dir', help='output folder (default: '
        'work_dirs/gpu_check/<timestamp>)')
    parser.add_argument(
        '--iters', type=int, default=None,
        help='training iterations per run, even (default: 4 on CUDA, 2 in '
        'the dry run); resume starts at iters / 2')
    parser.add_argument(
        '--jobs', type=int, default=None,
        help='training runs at the same time (default: one per family on '
        'CUDA, 1 in the dry run); benchmarks always run alone')
    parser.add_argument(
        '--families', nargs='+', choices=[f.name for f in FAMILIES],
        help='only these method families (default: all)')
    parser.add_argument('--skip-train', action='store_true',
                        help='no training / resume checks')
    parser.add_argument('--skip-benchmark', action='store_true',
                        help='no tools/benchmark.py comparisons')
    parser.add_argument(
        '--dry-run', action='store_true',
        help='the CPU dry run even when CUDA is available')
    parser.add_argument('--timeout', type=int, default=600,
                        help='seconds allowed to each subprocess')
    args = parser.parse_args(argv)
    if args.iters is not None and (args.iters < 2 or args.iters % 2):
        parser.error('--iters must be an even number >= 2')
    return args


def run_logged(cmd: List[str], log_path: str, env: Dict[str, str],
               timeout: int) -> Tuple[int, float]:
    """Run ``cmd`` in the repository root, stdout and stderr into
    ``log_path``; return (exit status, seconds). A timeout is status 124."""
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n\n')
        log.flush()
        try:
            rc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            log.write(f'\n[gpu_check] timed out after {timeout} s\n')
            rc = 124
    return rc, time.perf_counter() - start


def log_tail(log_path: str, lines: int = 5) -> str:
    """The last ``lines`` non-empty output lines of a run's log."""
    with open(log_path, errors='replace') as f:
        output = [line.strip() for line in f.readlines()[1:] if line.strip()]
    return ' | '.join(output[-lines:])


def subprocess_env(cuda: bool) -> Dict[str, str]:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    if cuda:
        # Deterministic cuBLAS, so that resume can be exact on CUDA.
        env.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    return env


def train(family: Family, precision: Precision, work_dir: str, iters: int,
          data_root: str, env: Dict[str, str], timeout: int,
          resume: Optional[str] = None) -> Tuple[int, float, str]:
    """One tools/train.py run of ``iters`` iterations (checkpoints every
    ``iters / 2``); returns (exit status, seconds, log path)."""
    splits = ('train', 'val', 'test') if family.has_val else ('train', )
    options = [f'{split}_dataloader.dataset.data_root={data_root}'
               for split in splits]
    options += [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters // 2}',
        'default_hooks.checkpoint.max_keep_ckpts=2',
        *family.options, *precision.options
    ]
    cmd = [sys.executable, 'tools/train.py', family.config, '--work-dir',
           work_dir, *precision.flags]
    if resume:
        cmd += ['--resume', resume]
    cmd += ['--cfg-options', *options]
    os.makedirs(work_dir, exist_ok=True)
    log_path = work_dir + '.log'
    rc, seconds = run_logged(cmd, log_path, env, timeout)
    return rc, seconds, log_path


def logged_losses(work_dir: str) -> Dict[int, Dict[str, float]]:
    """{iteration: {loss term: value}} from the run's scalars.json."""
    logged: Dict[int, Dict[str, float]] = {}
    for name in sorted(os.listdir(work_dir)):
        path = osp.join(work_dir, name, 'vis_data', 'scalars.json')
        if not osp.isfile(path):
            continue
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                terms = {k: float(v) for k, v in record.items()
                         if k.startswith('loss')}
                if terms and 'iter' in record:
                    logged[int(record['iter'])] = terms
    return logged


def check_losses(target: str, work_dir: str, first: int,
                 last: int) -> Check:
    logged = logged_losses(work_dir)
    missing = [it for it in range(first, last + 1) if it not in logged]
    bad = [f'iter {it} {k}={v}' for it, terms in sorted(logged.items())
           for k, v in terms.items() if not math.isfinite(v)]
    final = logged.get(last, {})
    detail = ', '.join(f'{k} {v:.4g}' for k, v in sorted(final.items()))
    if missing or bad:
        return Check('losses', target, 'fail',
                     f'missing iterations {missing}; non-finite: {bad}')
    return Check('losses', target, 'pass', f'iter {last}: {detail}',
                 dict(final=final))


def load_checkpoint(path: str) -> dict:
    import csdnet_mm  # noqa: F401  (allow-lists what weights-only loading
    return torch.load(path, map_location='cpu')  # of its checkpoints needs)


def check_state(target: str, family: Family, precision: Precision,
                checkpoint: dict) -> Check:
    """Every floating tensor of the state dict is fp32 and finite (the
    method's queue / bank included); AMP runs save a loss scaler."""
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
        return Check('state', target, 'fail', '; '.join(problems))
    return Check('state', target, 'pass', detail)


def tensors(node, prefix: str = '') -> Iterator[Tuple[str, object]]:
    """(dotted key, leaf) for every tensor or number in nested dicts /
    lists."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from tensors(value, f'{prefix}{key}.')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from tensors(value, f'{prefix}{i}.')
    elif torch.is_tensor(node) or isinstance(node, (int, float)):
        yield prefix.rstrip('.'), node


def compare_checkpoints(a: dict, b: dict) -> Tuple[List[str], float, int]:
    """Compare the state dicts and optimizer states (loss scaler included)
    of two checkpoints: (structural differences, largest absolute
    difference, number of leaves compared)."""
    leaves_a = dict(tensors({k: a.get(k) for k in ('state_dict',
                                                    'optimizer')}))
    leaves_b = dict(tensors({k: b.get(k) for k in ('state_dict',
                                                    'optimizer')}))
    problems = [f'{k} only in one checkpoint'
                for k in sorted(set(leaves_a) ^ set(leaves_b))]
    largest = 0.0
    for key in sorted(set(leaves_a) & set(leaves_b)):
        va, vb = leaves_a[key], leaves_b[key]
        if torch.is_tensor(va) and torch.is_tensor(vb):
            if va.shape != vb.shape or va.dtype != vb.dtype:
                problems.append(f'{key}: {va.dtype}{tuple(va.shape)} vs '
                                f'{vb.dtype}{tuple(vb.shape)}')
            elif not torch.equal(va, vb):
                diff = (va.double() - vb.double()).abs().max().item()
                largest = max(largest, diff if math.isfinite(diff)
                              else math.inf)
        elif va != vb:
            largest = max(largest, abs(float(va) - float(vb)))
    return problems, largest, len(leaves_a)


def check_resume(target: str, straight_dir: str, resumed_dir: str,
                 iters: int, cuda: bool) -> Check:
    straight = load_checkpoint(osp.join(straight_dir, f'iter_{iters}.pth'))
    resumed = load_checkpoint(osp.join(resumed_dir, f'iter_{iters}.pth'))
    problems, largest, count = compare_checkpoints(straight, resumed)
    loss_a, loss_b = logged_losses(straight_dir), logged_losses(resumed_dir)
    resumed_iters = sorted(loss_b)
    if resumed_iters != list(range(iters // 2 + 1, iters + 1)):
        problems.append(f'resumed run logged iterations {resumed_iters}')
    loss_diff = max((abs(loss_a[it][k] - v)
                     for it, terms in loss_b.items() if it in loss_a
                     for k, v in terms.items() if k in loss_a[it]),
                    default=0.0)
    data = dict(max_abs_diff=largest, leaves=count,
                loss_max_abs_diff=loss_diff)
    if problems or not math.isfinite(largest):
        return Check('resume', target, 'fail', '; '.join(problems) or
                     'non-finite difference', data)
    detail = (f'{count} tensors of state dict + optimizer state, logged '
              f'losses after iteration {iters // 2} differ by at most '
              f'{loss_diff:.3g}')
    if largest == 0.0:
        return Check('resume', target, 'pass', 'bit-exact: ' + detail, data)
    # CUDA: nondeterministic kernels; report, do not fail.
    status = 'inexact' if cuda else 'fail'
    return Check('resume', target, status,
                 f'max abs difference {largest:.3g}: ' + detail, data)


def check_family(family: Family, precisions: Sequence[Precision],
                 out_dir: str, iters: int, data_root: str,
                 env: Dict[str, str], timeout: int,
                 cuda: bool) -> List[Check]:
    """Train ``family`` once per precision, check each run, and resume the
    first precision's run from its middle checkpoint."""
    checks = []
    for index, precision in enumerate(precisions):
        target = f'{family.name}/{precision.name}'
        try:
            checks += check_run(family, precision, index == 0, out_dir,
                                iters, data_root, env, timeout, cuda)
        except Exception as error:  # a missing or unreadable checkpoint
            checks.append(Check('train', target, 'fail',
                                f'{type(error).__name__}: {error}'))
    return checks


def check_run(family: Family, precision: Precision, with_resume: bool,
              out_dir: str, iters: int, data_root: str, env: Dict[str, str],
              timeout: int, cuda: bool) -> List[Check]:
    """One training run and its checks (and the resumed run)."""
    checks: List[Check] = []
    target = f'{family.name}/{precision.name}'
    work_dir = osp.join(out_dir, 'train', family.name, precision.name)
    rc, seconds, log = train(family, precision, work_dir, iters,
                             data_root, env, timeout)
    if rc != 0:
        checks.append(Check('train', target, 'fail',
                            f'exit {rc} ({log}): {log_tail(log)}'))
        return checks
    checks.append(Check('train', target, 'pass',
                        f'{iters} iterations, {seconds:.0f} s',
                        dict(seconds=seconds)))
    checks.append(check_losses(target, work_dir, 1, iters))
    final = load_checkpoint(osp.join(work_dir, f'iter_{iters}.pth'))
    checks.append(check_state(target, family, precision, final))
    if with_resume:
        resumed_dir = work_dir + '_resumed'
        middle = osp.join(work_dir, f'iter_{iters // 2}.pth')
        rc, seconds, log = train(family, precision, resumed_dir, iters,
                                 data_root, env, timeout, resume=middle)
        if rc != 0:
            checks.append(Check('resume', target, 'fail',
                                f'exit {rc} ({log}): {log_tail(log)}'))
        else:
            checks.append(check_resume(target, work_dir, resumed_dir,
                                       iters, cuda))
    return checks


def run_benchmark(spec: BenchmarkSpec, out_dir: str, dry_run: bool,
                  env: Dict[str, str], timeout: int) -> Check:
    """tools/benchmark.py on one pair; the check reads its JSON."""
    folder = osp.join(out_dir, 'benchmark')
    os.makedirs(folder, exist_ok=True)
    out = osp.join(folder, f'{spec.name}.json')
    timing = (['--device', 'cpu', '--repeats', '1', '--warmup', '0']
              if dry_run else ['--device', 'cuda', '--repeats', '10',
                               '--warmup', '3'])
    cmd = [sys.executable, 'tools/benchmark.py', spec.config_a,
           spec.config_b, '--batch-size', str(spec.batch_size),
           '--input-size', str(spec.input_size), *timing, '--out', out]
    if spec.options_b:
        cmd += ['--cfg-options-b', *spec.options_b]
    log = osp.join(folder, f'{spec.name}.log')
    rc, seconds = run_logged(cmd, log, env, timeout)
    if rc != 0 or not osp.isfile(out):
        return Check('benchmark', spec.name, 'fail',
                     f'exit {rc} ({log}): {log_tail(log)}')
    with open(out) as f:
        results = json.load(f)
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
    status = 'pass' if all(math.isfinite(v) and v > 0
                           for v in values) else 'fail'
    detail = (f"step B/A {data['step_ratio']:.3f}, images/s "
              f"{data['images_per_s_a']:.1f} / {data['images_per_s_b']:.1f}, "
              f"peak {data['peak_mb_a']:.0f} / {data['peak_mb_b']:.0f} MiB "
              f"(B/A {data['peak_ratio']:.3f}), {seconds:.0f} s")
    return Check('benchmark', spec.name, status, detail, data)


def summary_markdown(summary: dict) -> str:
    lines = ['# GPU check', '', summary['mode'], '',
             f"device: {summary['device']}, torch {summary['torch']}, "
             f"{summary['iters']} iterations per run, "
             f"{summary['wall_s']:.0f} s wall", '',
             '| check | target | status | detail |',
             '| --- | --- | --- | --- |']
    for check in summary['checks']:
        lines.append(f"| {check['kind']} | {check['target']} | "
                     f"{check['status']} | "
                     f"{check['detail'].replace('|', '/')} |")
    counts = {}
    for check in summary['checks']:
        counts[check['status']] = counts.get(check['status'], 0) + 1
    benchmarks = [c for c in summary['checks']
                  if c['kind'] == 'benchmark' and c['data']]
    if benchmarks:
        lines += ['', f"Benchmarks ({benchmarks[0]['data']['device']}, "
                  'fp32, median of the repetitions; A = baseline, '
                  'B = method):', '',
                  '| pair | batch | px | step B/A | inference B/A | '
                  'images/s A | images/s B | peak MiB A | peak MiB B | '
                  'peak B/A |', '| --- ' * 10 + '|']
        for check in benchmarks:
            d = check['data']
            lines.append(
                f"| {check['target']} | {d['batch_size']} | "
                f"{d['input_size']} | {d['step_ratio']:.3f} | "
                f"{d['inference_ratio']:.3f} | {d['images_per_s_a']:.1f} | "
                f"{d['images_per_s_b']:.1f} | {d['peak_mb_a']:.0f} | "
                f"{d['peak_mb_b']:.0f} | {d['peak_ratio']:.3f} |")
    lines += ['', 'result: ' + ('FAIL' if summary['failed'] else 'PASS') +
              ' (' + ', '.join(f'{n} {s}' for s, n in sorted(counts.items()))
              + ')']
    if any(c['status'] == 'inexact' for c in summary['checks']):
        lines.append('inexact: resume differs from the uninterrupted run '
                     'by the reported amount (nondeterministic CUDA '
                     'kernels); not counted as a failure.')
    if summary['wall_s'] > GPU_BUDGET_S and not summary['dry_run']:
        lines.append(f'note: took longer than the {GPU_BUDGET_S // 60} '
                     'minutes aimed at.')
    return '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    cuda = torch.cuda.is_available() and not args.dry_run
    dry_run = not cuda
    if not torch.cuda.is_available():
        print(NO_CUDA_MESSAGE, flush=True)
    elif args.dry_run:
        print('--dry-run: running the CPU dry run of the same checks.',
              flush=True)
    out_dir = osp.abspath(args.out_dir or osp.join(
        'work_dirs', 'gpu_check', time.strftime('%Y%m%d_%H%M%S')))
    os.makedirs(out_dir, exist_ok=True)
    iters = args.iters or (2 if dry_run else 4)
    families = [f for f in FAMILIES
                if not args.families or f.name in args.families]
    precisions = CPU_PRECISIONS if dry_run else GPU_PRECISIONS
    env = subprocess_env(cuda)
    if dry_run:
        env['CUDA_VISIBLE_DEVICES'] = ''  # --dry-run on a GPU machine
    checks: List[Check] = []

    if not args.skip_train:
        from csdnet_mm.datasets import ensure_demo_ufg
        data_root = ensure_demo_ufg(osp.join(out_dir, 'data', 'ufg_demo'),
                                    **DEMO_SPEC)
        jobs = args.jobs or (1 if dry_run else len(families))
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(check_family, family, precisions, out_dir, iters,
                            data_root, env, args.timeout, cuda)
                for family in families
            ]
            for future in futures:
                for check in future.result():
                    checks.append(check)
                    print(f'[{check.status}] {check.kind} {check.target}: '
                          f'{check.detail}', flush=True)
    if not args.skip_benchmark:
        for spec in benchmark_specs(dry_run):
            check = run_benchmark(spec, out_dir, dry_run, env, args.timeout)
            checks.append(check)
            print(f'[{check.status}] benchmark {spec.name}: {check.detail}',
                  flush=True)

    if not dry_run:
        mode = 'CUDA'
    elif torch.cuda.is_available():
        mode = 'CPU dry run (--dry-run)'
    else:
        mode = f'CPU dry run. {NO_CUDA_MESSAGE}'
    summary = dict(
        mode=mode,
        dry_run=dry_run,
        device=(torch.cuda.get_device_name(0) if cuda else 'cpu'),
        torch=torch.__version__,
        iters=iters,
        precisions=[p.name for p in precisions],
        out_dir=out_dir,
        wall_s=time.perf_counter() - start,
        failed=any(c.failed for c in checks),
        checks=[vars(c) for c in checks])
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    markdown = summary_markdown(summary)
    with open(osp.join(out_dir, 'summary.md'), 'w') as f:
        f.write(markdown)
    print('\n' + markdown + f'(written to {out_dir})')
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
