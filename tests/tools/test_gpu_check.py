"""tools/gpu_check.py without CUDA: its CPU dry run runs every check family
(training, losses, fp32 state, resume, benchmark) through the same code as
on a GPU, says that nothing ran on a GPU, writes the summary and exits 0,
from the checkout and from an installed (non-editable) copy. The checks
themselves are :mod:`csdnet_mm.benchmarks.gpu`'s."""
import json
import os
import os.path as osp
import shutil
import subprocess

import pytest
import torch

from csdnet_mm.benchmarks.gpu import (FAMILIES, GPU_PRECISIONS, check_resume,
                                      check_state)
from conftest import CHECKOUT, PYTHON, run_tool

FAMILY_NAMES = ('classifier', 'csdnet', 'synthpairs_mocov2',
                'synthpairs_simsiam', 'synthpairs_decoder')
# No GPU visible, as on a CPU-only CI machine.
CPU_ONLY = dict(CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')


def _assert_dry_run_passed(result, out, extras=True):
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert 'No CUDA device: running the CPU dry run' in result.stdout
    assert 'result: PASS' in result.stdout

    with open(out / 'summary.json') as f:
        summary = json.load(f)
    assert summary['dry_run'] and summary['device'] == 'cpu'
    assert not summary['failed']
    statuses = {
        (c['kind'], c['target']): c['status']
        for c in summary['checks']
    }
    if extras:
        # The CPU half of the RNG tests passed; the CUDA one cannot run.
        rng = statuses.pop(('rng', 'RNGStateHook'))
        assert rng == 'skip'
    assert set(statuses.values()) == {'pass'}
    for family in FAMILY_NAMES:
        for kind in ('train', 'losses', 'state', 'resume'):
            assert statuses.get(
                (kind, f'{family}/fp32')) == 'pass', (kind, family)
    benchmarks = [c for c in summary['checks'] if c['kind'] == 'benchmark']
    assert {c['target'].split('_')[0]
            for c in benchmarks} == {'csdnet', 'synthpairs'}
    for check in benchmarks:
        assert osp.isfile(check['data']['json'])
        assert check['data']['step_ratio'] > 0

    markdown = (out / 'summary.md').read_text()
    assert 'CPU dry run' in markdown
    for family in FAMILY_NAMES:
        assert f'{family}/fp32' in markdown
    for kind in ('train', 'losses', 'state', 'resume', 'benchmark'):
        assert f'| {kind} |' in markdown
    # The memory the methods keep fp32 is named in the state checks.
    assert 'queue_neck.queue' in markdown
    assert 'perturbation.feat_bank' in markdown
    # CSDNet's smallest-batch benchmark carries its inference profile.
    profiled = [c for c in benchmarks if c['data'].get('profile')]
    assert [c['target'] for c in profiled] == ['csdnet_64px_bs2']
    assert profiled[0]['data']['profile']['inference']['top']
    assert 'Inference profile of csdnet_64px_bs2' in markdown
    if not extras:
        return
    # Mixed precision: both pairs, both precisions, both layouts.
    cells = {(c['data']['pair'], c['data']['amp'], c['data']['channels_last'])
             for c in summary['checks'] if c['kind'] == 'amp'}
    assert cells == {(pair, amp, layout)
                     for pair in ('csdnet', 'synthpairs')
                     for amp in ('fp16', 'bf16')
                     for layout in (False, True)}
    assert '| csdnet | bf16 | channels_last | 2 |' in markdown
    assert statuses[('compile', 'csdnet')] == 'pass'
    assert 'works (backend eager)' in markdown


@pytest.mark.slow
# Every part of the check: about 8 minutes with both cores busy.
@pytest.mark.timeout(1800)
def test_gpu_check_dry_run_without_cuda(tmp_path):
    out = tmp_path / 'gpu_check'
    result = run_tool([PYTHON, 'tools/gpu_check.py', '--out-dir',
                       str(out)],
                      env=CPU_ONLY,
                      timeout=1500)
    _assert_dry_run_passed(result, out)


def _copy_sources(dest):
    """The files a commit would hold (tracked and new, not ignored): a
    build writes ``csdnet_mm/.mim`` and ``build/`` into its source folder,
    which must not replace the checkout's links."""
    listed = subprocess.run([
        'git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'
    ],
                            cwd=CHECKOUT,
                            capture_output=True,
                            text=True)
    if listed.returncode != 0:
        pytest.skip('not a git checkout')
    for name in filter(None, listed.stdout.split('\0')):
        source = osp.join(CHECKOUT, name)
        if osp.isfile(source):  # not deleted in the working tree
            os.makedirs(osp.dirname(osp.join(dest, name)), exist_ok=True)
            shutil.copy2(source, osp.join(dest, name))


@pytest.mark.slow
# A build, then the whole dry run: about 4 minutes with both cores busy.
@pytest.mark.timeout(1200)
def test_gpu_check_dry_run_from_an_installed_copy(tmp_path):
    """A non-editable install (as from a wheel) carries the tiny configs
    the check trains and the tools and configs it runs (``.mim``); the dry
    run passes from it, outside the repository."""
    source, site, out = tmp_path / 'src', tmp_path / 'site', tmp_path / 'out'
    _copy_sources(source)
    result = run_tool([
        PYTHON, '-m', 'pip', 'install', '--no-deps', '--no-build-isolation',
        '--no-index', '--target',
        str(site),
        str(source)
    ],
                      cwd=str(tmp_path))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    package = site / 'csdnet_mm'
    configs = package / 'benchmarks' / 'gpu' / 'tiny-configs'
    for family in FAMILIES:
        assert (configs / family.config).is_file(), family.config

    env = dict(CPU_ONLY, PYTHONPATH=str(site))
    imported = run_tool(
        [PYTHON, '-c', 'import csdnet_mm; '
         'print(csdnet_mm.__file__)'],
        cwd=str(tmp_path),
        env=env)
    assert imported.stdout.strip().splitlines()[-1] == str(package /
                                                           '__init__.py')
    result = run_tool([
        PYTHON,
        str(package / '.mim' / 'tools' / 'gpu_check.py'), '--out-dir',
        str(out), '--skip-amp-table', '--skip-compile', '--skip-rng-test'
    ],
                      cwd=str(tmp_path),
                      env=env)
    # The parts skipped here run the package's own modules, which the test
    # from the checkout covers.
    _assert_dry_run_passed(result, out, extras=False)
    # The runs trained the installed copy's configs.
    with open(out / 'train' / 'csdnet' / 'fp32.log') as f:
        assert str(configs / 'tiny_csdnet_demo.py') in f.readline()


def _checkpoint(queue, scale=None):
    optimizer = {
        'state': {
            0: {
                'momentum_buffer': torch.ones(2)
            }
        },
        'param_groups': [{
            'lr': 0.1,
            'params': [0]
        }]
    }
    if scale is not None:
        optimizer['loss_scaler'] = {'scale': scale, '_growth_tracker': 1}
    return {
        'state_dict': {
            'queue_neck.queue': queue,
            'queue_neck.queue_ptr': torch.zeros(1).long()
        },
        'optimizer': optimizer
    }


def _write_run(work_dir, ckpt, iters, losses):
    vis = work_dir / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    torch.save(ckpt, work_dir / f'iter_{iters}.pth')
    with open(vis / 'scalars.json', 'w') as f:
        for it, loss in losses.items():
            f.write(json.dumps({'iter': it, 'loss': loss}) + '\n')


def test_resume_check_exact_inexact_and_failing(tmp_path):
    """A bit-exact resume passes; a difference is `inexact` (with its size)
    on CUDA and a failure on the CPU; a changed loss scale counts too."""
    queue = torch.arange(6.).reshape(2, 3)
    _write_run(tmp_path / 'a', _checkpoint(queue, 1024.), 4, {
        1: 2.0,
        2: 1.9,
        3: 1.8,
        4: 1.7
    })
    _write_run(tmp_path / 'same', _checkpoint(queue.clone(), 1024.), 4, {
        3: 1.8,
        4: 1.7
    })
    _write_run(tmp_path / 'off', _checkpoint(queue + 1e-3, 1024.), 4, {
        3: 1.8,
        4: 1.7
    })
    _write_run(tmp_path / 'scale', _checkpoint(queue.clone(), 512.), 4, {
        3: 1.8,
        4: 1.7
    })

    def check(name, cuda):
        return check_resume('csdnet/fp16', str(tmp_path / 'a'),
                            str(tmp_path / name), 4, cuda)

    assert check('same', cuda=True).status == 'pass'
    assert check('same', cuda=False).status == 'pass'
    inexact = check('off', cuda=True)
    assert inexact.status == 'inexact' and not inexact.failed
    assert abs(inexact.data['max_abs_diff'] - 1e-3) < 1e-6
    assert check('off', cuda=False).failed
    assert check('scale', cuda=True).data['max_abs_diff'] == 512.


def test_state_check_wants_fp32_memory_and_an_amp_loss_scaler():
    csdnet = next(f for f in FAMILIES if f.name == 'csdnet')
    fp16, = [p for p in GPU_PRECISIONS if p.name == 'fp16']
    queue = torch.zeros(2, 3)
    good = check_state('t', csdnet, fp16, _checkpoint(queue, 1024.))
    assert good.status == 'pass' and 'loss scale 1024.0' in good.detail
    half = check_state('t', csdnet, fp16, _checkpoint(queue.half(), 1024.))
    assert half.failed and 'torch.float16' in half.detail
    assert check_state('t', csdnet, fp16, _checkpoint(queue)).failed
    nan = check_state('t', csdnet, fp16, _checkpoint(queue / 0., 1024.))
    assert nan.failed and 'not finite' in nan.detail
