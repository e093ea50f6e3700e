"""Runs the GPU check: the training runs and benchmarks as child processes
of the plugin's tools, their checks, and the summary."""
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from ...errors import UserInputError
from ..checkpoints import load_checkpoint
from ..runner import checkout_root
from .checks import (CPU_PRECISIONS, DEMO_SPEC, FAMILIES, GPU_PRECISIONS,
                     BenchmarkSpec, CheckResult, Family, Precision,
                     benchmark_result, benchmark_specs, check_losses,
                     check_resume, check_state)

PACKAGE = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NO_CUDA_MESSAGE = ('No CUDA device: running the CPU dry run of the same '
                   'checks (fp32, tiny sizes); nothing was measured on a GPU.')
# What one command of a lent machine may take (its per-command limit).
GPU_BUDGET_S = 10 * 60


def plugin_root() -> str:
    """Where ``tools/`` and ``configs/`` are: the checkout the package runs
    from, or the copies an installed package carries in ``.mim``. The child
    processes run there, so that their command lines are the same in
    both."""
    return checkout_root() or osp.join(PACKAGE, '.mim')


def run_logged(cmd: List[str], log_path: str, env: Dict[str, str],
               timeout: int) -> Tuple[int, float]:
    """Run ``cmd`` in :func:`plugin_root`, stdout and stderr into
    ``log_path``; return (exit status, seconds). A timeout is status 124.

    Args:
        cmd (list[str]): The command.
        log_path (str): Its log; the first line is the command.
        env (dict): Its environment.
        timeout (int): Seconds allowed.
    """
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n\n')
        log.flush()
        try:
            rc = subprocess.run(
                cmd,
                cwd=plugin_root(),
                env=env,
                stdout=log,
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
    """The children's environment: they import the package the check runs
    from (a checkout first on their path; an installed copy is found as the
    parent found it) and, on CUDA, use deterministic cuBLAS so that resume
    can be exact."""
    env = dict(os.environ)
    root = checkout_root()
    if root:
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (root, env.get('PYTHONPATH')) if p)
    if cuda:
        env.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    return env


def train(family: Family,
          precision: Precision,
          work_dir: str,
          iters: int,
          data_root: str,
          env: Dict[str, str],
          timeout: int,
          resume: Optional[str] = None) -> Tuple[int, float, str]:
    """One ``tools/train.py`` run of ``iters`` iterations (checkpoints
    every ``iters / 2``); returns (exit status, seconds, log path).

    Args:
        family (Family): The tiny config and its options.
        precision (Precision): The flags and options of its precision.
        work_dir (str): The run's work dir; its log is ``work_dir.log``.
        iters (int): Iterations.
        data_root (str): The demo set.
        env (dict): See :func:`subprocess_env`.
        timeout (int): Seconds allowed.
        resume (str, optional): The checkpoint to resume from.
    """
    splits = ('train', 'val', 'test') if family.has_val else ('train', )
    options = [
        f'{split}_dataloader.dataset.data_root={data_root}' for split in splits
    ]
    options += [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters // 2}',
        'default_hooks.checkpoint.max_keep_ckpts=2', *family.options,
        *precision.options
    ]
    cmd = [
        sys.executable, 'tools/train.py', family.config_path, '--work-dir',
        work_dir, *precision.flags
    ]
    if resume:
        cmd += ['--resume', resume]
    cmd += ['--cfg-options', *options]
    os.makedirs(work_dir, exist_ok=True)
    log_path = work_dir + '.log'
    rc, seconds = run_logged(cmd, log_path, env, timeout)
    return rc, seconds, log_path


def check_family(family: Family, precisions: Sequence[Precision], out_dir: str,
                 iters: int, data_root: str, env: Dict[str, str], timeout: int,
                 cuda: bool) -> List[CheckResult]:
    """Train ``family`` once per precision, check each run, and resume the
    first precision's run from its middle checkpoint (arguments as
    :func:`check_run`'s)."""
    checks = []
    for index, precision in enumerate(precisions):
        target = f'{family.name}/{precision.name}'
        try:
            checks += check_run(family, precision, index == 0, out_dir, iters,
                                data_root, env, timeout, cuda)
        except Exception as error:  # a missing or unreadable checkpoint
            checks.append(
                CheckResult('train', target, 'fail',
                            f'{type(error).__name__}: {error}'))
    return checks


def check_run(family: Family, precision: Precision, with_resume: bool,
              out_dir: str, iters: int, data_root: str, env: Dict[str, str],
              timeout: int, cuda: bool) -> List[CheckResult]:
    """One training run and its checks (and the resumed run).

    Args:
        family (Family): What to train.
        precision (Precision): In which precision.
        with_resume (bool): Also resume it from ``iters / 2``.
        out_dir (str): The work dir goes to
            ``out_dir/train/<family>/<precision>``.
        iters (int): Iterations.
        data_root (str): The demo set.
        env (dict): See :func:`subprocess_env`.
        timeout (int): Seconds allowed to each run.
        cuda (bool): Whether the runs use CUDA.
    """
    checks: List[CheckResult] = []
    target = f'{family.name}/{precision.name}'
    work_dir = osp.join(out_dir, 'train', family.name, precision.name)
    rc, seconds, log = train(family, precision, work_dir, iters, data_root,
                             env, timeout)
    if rc != 0:
        checks.append(
            CheckResult('train', target, 'fail',
                        f'exit {rc} ({log}): {log_tail(log)}'))
        return checks
    checks.append(
        CheckResult('train', target, 'pass',
                    f'{iters} iterations, {seconds:.0f} s',
                    dict(seconds=seconds)))
    checks.append(check_losses(target, work_dir, 1, iters))
    final = load_checkpoint(osp.join(work_dir, f'iter_{iters}.pth'))
    checks.append(check_state(target, family, precision, final))
    if with_resume:
        resumed_dir = work_dir + '_resumed'
        middle = osp.join(work_dir, f'iter_{iters // 2}.pth')
        rc, seconds, log = train(
            family,
            precision,
            resumed_dir,
            iters,
            data_root,
            env,
            timeout,
            resume=middle)
        if rc != 0:
            checks.append(
                CheckResult('resume', target, 'fail',
                            f'exit {rc} ({log}): {log_tail(log)}'))
        else:
            checks.append(
                check_resume(target, work_dir, resumed_dir, iters, cuda))
    return checks


def run_benchmark(spec: BenchmarkSpec, out_dir: str, dry_run: bool,
                  env: Dict[str, str], timeout: int) -> CheckResult:
    """``tools/benchmark.py`` on one pair; the check reads its JSON.

    Args:
        spec (BenchmarkSpec): The pair and sizes.
        out_dir (str): JSON and log go to ``out_dir/benchmark``.
        dry_run (bool): One repetition on the CPU instead of ten on CUDA.
        env (dict): See :func:`subprocess_env`.
        timeout (int): Seconds allowed.
    """
    folder = osp.join(out_dir, 'benchmark')
    os.makedirs(folder, exist_ok=True)
    out = osp.join(folder, f'{spec.name}.json')
    timing = (['--device', 'cpu', '--repeats', '1', '--warmup', '0'] if dry_run
              else ['--device', 'cuda', '--repeats', '10', '--warmup', '3'])
    cmd = [
        sys.executable, 'tools/benchmark.py', spec.config_a, spec.config_b,
        '--batch-size',
        str(spec.batch_size), '--input-size',
        str(spec.input_size), *timing, '--out', out
    ]
    if spec.profile:
        cmd += ['--profile', str(spec.profile)]
    if spec.options_b:
        cmd += ['--cfg-options-b', *spec.options_b]
    log = osp.join(folder, f'{spec.name}.log')
    rc, seconds = run_logged(cmd, log, env, timeout)
    if rc != 0 or not osp.isfile(out):
        return CheckResult('benchmark', spec.name, 'fail',
                           f'exit {rc} ({log}): {log_tail(log)}')
    with open(out) as f:
        return benchmark_result(spec, json.load(f), out, seconds)


def run_amp_table(out_dir: str, dry_run: bool, env: Dict[str, str],
                  timeout: int) -> List[CheckResult]:
    """The mixed-precision table (:mod:`.throughput`): one child process per
    pair and precision, one check per cell."""
    folder = osp.join(out_dir, 'amp')
    os.makedirs(folder, exist_ok=True)
    checks = []
    for pair in ('csdnet', 'synthpairs'):
        for amp in ('fp16', 'bf16'):
            out = osp.join(folder, f'{pair}_{amp}.json')
            cmd = [
                sys.executable, '-m', 'csdnet_mm.benchmarks.gpu.throughput',
                pair, '--amp', amp, '--out', out
            ] + (['--dry-run'] if dry_run else [])
            log = osp.join(folder, f'{pair}_{amp}.log')
            rc, _ = run_logged(cmd, log, env, timeout)
            if rc != 0 or not osp.isfile(out):
                checks.append(
                    CheckResult('amp', f'{pair}/{amp}', 'fail',
                                f'exit {rc} ({log}): {log_tail(log)}'))
                continue
            with open(out) as f:
                for cell in json.load(f):
                    layout = 'channels_last' if cell[
                        'channels_last'] else 'NCHW'
                    target = (f"{pair}/{amp}/{layout}/bs{cell['batch_size']}" +
                              (' (largest)' if cell['largest'] else ''))
                    data = dict(
                        cell['data'], **{
                            k: cell[k]
                            for k in ('pair', 'amp', 'channels_last',
                                      'batch_size', 'largest')
                        })
                    detail = cell['error'] or (
                        f"images/s {data['images_per_s_a']:.1f} / "
                        f"{data['images_per_s_b']:.1f}, peak "
                        f"{data['peak_mb_a']:.0f} / {data['peak_mb_b']:.0f} "
                        f"MiB, step B/A {data['step_ratio']:.3f}")
                    checks.append(
                        CheckResult('amp', target, cell['status'], detail,
                                    data))
    return checks


def run_compile_probe(out_dir: str, dry_run: bool, env: Dict[str, str],
                      timeout: int) -> CheckResult:
    """``torch.compile`` on the CSDNet model (:mod:`.compile_probe`): pass
    when it works, ``finding`` with the stage and exception when it does
    not."""
    out = osp.join(out_dir, 'compile.json')
    log = osp.join(out_dir, 'compile.log')
    cmd = [
        sys.executable, '-m', 'csdnet_mm.benchmarks.gpu.compile_probe',
        '--out', out
    ] + (['--dry-run'] if dry_run else [])
    rc, _ = run_logged(cmd, log, env, timeout)
    if rc != 0 or not osp.isfile(out):
        return CheckResult('compile', 'csdnet', 'fail',
                           f'exit {rc} ({log}): {log_tail(log)}')
    with open(out) as f:
        result = json.load(f)
    data = {k: v for k, v in result.items() if k != 'traceback'}
    if result['status'] != 'works':
        return CheckResult(
            'compile', 'csdnet', 'finding',
            f"torch.compile (backend {result['backend']}) fails at "
            f"{result['stage']}: {result['error']}", data)
    return CheckResult(
        'compile', 'csdnet', 'pass',
        f"works (backend {result['backend']}): train step "
        f"{result['eager_step_s'] * 1e3:.1f} -> "
        f"{result['compiled_step_s'] * 1e3:.1f} ms, inference "
        f"{result['eager_inference_s'] * 1e3:.1f} -> "
        f"{result['compiled_inference_s'] * 1e3:.1f} ms, compiling "
        f"{result['first_compiled_step_s']:.0f} + "
        f"{result['first_compiled_inference_s']:.0f} s, inference max abs "
        f"difference {result['inference_max_abs_diff']:.2g}, losses "
        f"{'finite' if result['compiled_losses_finite'] else 'NOT finite'}",
        data)


RNG_TESTS = 'tests/engine/hooks/test_rng_state_hook.py'


def run_rng_test(out_dir: str, cuda: bool, env: Dict[str, str],
                 timeout: int) -> CheckResult:
    """The RNG-state hook's tests, CUDA generator restore included (it
    skips without CUDA); needs the checkout's ``tests/``."""
    root = checkout_root()
    if root is None or not osp.isfile(osp.join(root, RNG_TESTS)):
        return CheckResult('rng', 'RNGStateHook', 'skip',
                           f'{RNG_TESTS} not found: run from a checkout')
    log = osp.join(out_dir, 'rng_test.log')
    cmd = [
        sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider',
        RNG_TESTS
    ]
    rc, _ = run_logged(cmd, log, env, timeout)
    tail = log_tail(log, 1)  # pytest's count line
    if rc != 0:
        return CheckResult('rng', 'RNGStateHook', 'fail',
                           f'exit {rc} ({log}): {log_tail(log)}')
    if 'skipped' in tail:
        # Without CUDA the CPU tests ran and the CUDA one cannot.
        return CheckResult('rng', 'RNGStateHook', 'fail' if cuda else 'skip',
                           f'the CUDA test was skipped: {tail}')
    return CheckResult('rng', 'RNGStateHook', 'pass', tail)


def summary_markdown(summary: dict) -> str:
    """``summary.md``: one table row per check, the benchmark numbers, the
    result.

    Args:
        summary (dict): What ``summary.json`` holds.
    """
    lines = [
        '# GPU check', '', summary['mode'], '',
        f"device: {summary['device']}, torch {summary['torch']}, "
        f"{summary['iters']} iterations per run, "
        f"{summary['wall_s']:.0f} s wall", '',
        '| check | target | status | detail |', '| --- | --- | --- | --- |'
    ]
    for check in summary['checks']:
        lines.append(f"| {check['kind']} | {check['target']} | "
                     f"{check['status']} | "
                     f"{check['detail'].replace('|', '/')} |")
    counts: Dict[str, int] = {}
    for check in summary['checks']:
        counts[check['status']] = counts.get(check['status'], 0) + 1
    benchmarks = [
        c for c in summary['checks'] if c['kind'] == 'benchmark' and c['data']
    ]
    if benchmarks:
        lines += [
            '', f"Benchmarks ({benchmarks[0]['data']['device']}, "
            'fp32, median of the repetitions; A = baseline, '
            'B = method):', '',
            '| pair | batch | px | step B/A | inference B/A | '
            'images/s A | images/s B | peak MiB A | peak MiB B | '
            'peak B/A |', '| --- ' * 10 + '|'
        ]
        for check in benchmarks:
            d = check['data']
            lines.append(
                f"| {check['target']} | {d['batch_size']} | "
                f"{d['input_size']} | {d['step_ratio']:.3f} | "
                f"{d['inference_ratio']:.3f} | {d['images_per_s_a']:.1f} | "
                f"{d['images_per_s_b']:.1f} | {d['peak_mb_a']:.0f} | "
                f"{d['peak_mb_b']:.0f} | {d['peak_ratio']:.3f} |")
    profiled = [c for c in benchmarks if c['data'].get('profile')]
    for check in profiled:
        part = check['data']['profile']['inference']
        lines += [
            '', f"Inference profile of {check['target']} "
            f"(torch.profiler self time per operator, one pass each): A "
            f"{part['total_a_ms']:.2f} ms, B {part['total_b_ms']:.2f} ms; "
            'operators with the largest B - A:', '',
            '| operator | A ms | B ms | B - A ms |', '| --- ' * 4 + '|'
        ]
        for row in part['top']:
            lines.append(f"| {row['op']} | {row['a_ms']:.3f} | "
                         f"{row['b_ms']:.3f} | "
                         f"{row['b_ms'] - row['a_ms']:+.3f} |")
    cells = [
        c for c in summary['checks']
        if c['kind'] == 'amp' and 'images_per_s_a' in c['data']
    ]
    if cells:
        lines += [
            '', 'Mixed precision (A = baseline, B = method; training step, '
            'median of the repetitions; "largest": the largest batch B\'s '
            'step fits in):', '',
            '| pair | precision | layout | batch | images/s A | images/s B '
            '| peak MiB A | peak MiB B | step B/A | inference B/A |',
            '| --- ' * 10 + '|'
        ]
        for check in cells:
            d = check['data']
            lines.append(
                f"| {d['pair']} | {d['amp']} | "
                f"{'channels_last' if d['channels_last'] else 'NCHW'} | "
                f"{d['batch_size']}{' (largest)' if d['largest'] else ''} | "
                f"{d['images_per_s_a']:.1f} | {d['images_per_s_b']:.1f} | "
                f"{d['peak_mb_a']:.0f} | {d['peak_mb_b']:.0f} | "
                f"{d['step_ratio']:.3f} | {d['inference_ratio']:.3f} |")
    lines += [
        '', 'result: ' + ('FAIL' if summary['failed'] else 'PASS') + ' (' +
        ', '.join(f'{n} {s}' for s, n in sorted(counts.items())) + ')'
    ]
    if any(c['status'] == 'inexact' for c in summary['checks']):
        lines.append('inexact: resume differs from the uninterrupted run '
                     'by the reported amount (nondeterministic CUDA '
                     'kernels); not counted as a failure.')
    if summary['wall_s'] > GPU_BUDGET_S and not summary['dry_run']:
        lines.append(f'note: took longer than the {GPU_BUDGET_S // 60} '
                     'minutes aimed at.')
    return '\n'.join(lines) + '\n'


def _print(check: CheckResult) -> None:
    print(
        f'[{check.status}] {check.kind} {check.target}: {check.detail}',
        flush=True)


def run_gpu_check(out_dir: Optional[str] = None,
                  iters: Optional[int] = None,
                  jobs: Optional[int] = None,
                  families: Optional[Sequence[str]] = None,
                  skip_train: bool = False,
                  skip_benchmark: bool = False,
                  skip_amp_table: bool = False,
                  skip_compile: bool = False,
                  skip_rng_test: bool = False,
                  dry_run: bool = False,
                  timeout: int = 600) -> int:
    """Run the check, print and write its summary; the exit status (1 if a
    check failed).

    Args:
        out_dir (str, optional): Output folder (default
            ``work_dirs/gpu_check/<timestamp>``).
        iters (int, optional): Training iterations per run, even (default
            4 on CUDA, 2 in the dry run).
        jobs (int, optional): Training runs at the same time (default one
            per family on CUDA, 1 in the dry run).
        families (list[str], optional): Only these method families.
        skip_train (bool): No training / resume checks.
        skip_benchmark (bool): No benchmarks.
        skip_amp_table (bool): No mixed-precision throughput table.
        skip_compile (bool): No ``torch.compile`` probe.
        skip_rng_test (bool): No RNG-state hook tests.
        dry_run (bool): The CPU dry run even when CUDA is available.
        timeout (int): Seconds allowed to each child process.
    """
    start = time.perf_counter()
    cuda = torch.cuda.is_available() and not dry_run
    dry_run = not cuda
    if not torch.cuda.is_available():
        print(NO_CUDA_MESSAGE, flush=True)
    elif not cuda:
        print(
            '--dry-run: running the CPU dry run of the same checks.',
            flush=True)
    if not skip_train and not osp.isdir(osp.join(PACKAGE, '.mim', 'configs')):
        # The tiny configs inherit the demo configs from there.
        raise UserInputError(
            f'{PACKAGE}/.mim/configs is missing: install the package '
            '(`pip install -e .` in a checkout) before training the tiny '
            'configs')
    out_dir = osp.abspath(
        out_dir
        or osp.join('work_dirs', 'gpu_check', time.strftime('%Y%m%d_%H%M%S')))
    os.makedirs(out_dir, exist_ok=True)
    iters = iters or (2 if dry_run else 4)
    chosen = [f for f in FAMILIES if not families or f.name in families]
    precisions = CPU_PRECISIONS if dry_run else GPU_PRECISIONS
    env = subprocess_env(cuda)
    if dry_run:
        env['CUDA_VISIBLE_DEVICES'] = ''  # --dry-run on a GPU machine
    checks: List[CheckResult] = []

    if not skip_train:
        from ...datasets import ensure_demo_ufg

        # Generated once up front so that parallel runs do not race to
        # create it.
        data_root = ensure_demo_ufg(
            osp.join(out_dir, 'data', 'ufg_demo'), **DEMO_SPEC)
        with ThreadPoolExecutor(
                max_workers=jobs or (1 if dry_run else len(chosen))) as pool:
            futures = [
                pool.submit(check_family, family, precisions, out_dir, iters,
                            data_root, env, timeout, cuda) for family in chosen
            ]
            for future in futures:
                for check in future.result():
                    checks.append(check)
                    _print(check)
    if not skip_benchmark:
        for spec in benchmark_specs(dry_run):
            checks.append(run_benchmark(spec, out_dir, dry_run, env, timeout))
            _print(checks[-1])
    if not skip_amp_table:
        for check in run_amp_table(out_dir, dry_run, env, timeout):
            checks.append(check)
            _print(check)
    if not skip_compile:
        checks.append(run_compile_probe(out_dir, dry_run, env, timeout))
        _print(checks[-1])
    if not skip_rng_test:
        checks.append(run_rng_test(out_dir, cuda, env, timeout))
        _print(checks[-1])

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
