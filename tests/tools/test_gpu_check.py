"""tools/gpu_check.py without CUDA: its CPU dry run runs every check family
(training, losses, fp32 state, resume, benchmark) through the same code as
on a GPU, says that nothing ran on a GPU, writes the summary and exits 0."""
import json
import os.path as osp

from conftest import PYTHON, run_tool

FAMILIES = ('classifier', 'csdnet', 'synthpairs_mocov2',
            'synthpairs_simsiam', 'synthpairs_decoder')


def test_gpu_check_dry_run_without_cuda(tmp_path):
    out = tmp_path / 'gpu_check'
    # No GPU visible, as on a CPU-only CI machine.
    result = run_tool([PYTHON, 'tools/gpu_check.py', '--out-dir', str(out)],
                      env=dict(CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1'))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert 'No CUDA device: running the CPU dry run' in result.stdout
    assert 'result: PASS' in result.stdout

    with open(out / 'summary.json') as f:
        summary = json.load(f)
    assert summary['dry_run'] and summary['device'] == 'cpu'
    assert not summary['failed']
    statuses = {(c['kind'], c['target']): c['status']
                for c in summary['checks']}
    assert set(statuses.values()) == {'pass'}
    for family in FAMILIES:
        for kind in ('train', 'losses', 'state', 'resume'):
            assert statuses.get((kind, f'{family}/fp32')) == 'pass', (
                kind, family)
    benchmarks = [c for c in summary['checks'] if c['kind'] == 'benchmark']
    assert {c['target'].split('_')[0] for c in benchmarks} == {
        'csdnet', 'synthpairs'}
    for check in benchmarks:
        assert osp.isfile(check['data']['json'])
        assert check['data']['step_ratio'] > 0

    markdown = (out / 'summary.md').read_text()
    assert 'CPU dry run' in markdown
    for family in FAMILIES:
        assert f'{family}/fp32' in markdown
    for kind in ('train', 'losses', 'state', 'resume', 'benchmark'):
        assert f'| {kind} |' in markdown
    # The memory the methods keep fp32 is named in the state checks.
    assert 'queue_neck.queue' in markdown
    assert 'perturbation.feat_bank' in markdown


def _gpu_check():
    import importlib.util

    from conftest import REPO_ROOT
    spec = importlib.util.spec_from_file_location(
        'gpu_check', osp.join(REPO_ROOT, 'tools', 'gpu_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _checkpoint(queue, scale=None):
    import torch
    optimizer = {'state': {0: {'momentum_buffer': torch.ones(2)}},
                 'param_groups': [{'lr': 0.1, 'params': [0]}]}
    if scale is not None:
        optimizer['loss_scaler'] = {'scale': scale, '_growth_tracker': 1}
    return {'state_dict': {'queue_neck.queue': queue,
                           'queue_neck.queue_ptr': torch.zeros(1).long()},
            'optimizer': optimizer}


def _write_run(work_dir, ckpt, iters, losses):
    import torch
    vis = work_dir / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    torch.save(ckpt, work_dir / f'iter_{iters}.pth')
    with open(vis / 'scalars.json', 'w') as f:
        for it, loss in losses.items():
            f.write(json.dumps({'iter': it, 'loss': loss}) + '\n')


def test_resume_check_exact_inexact_and_failing(tmp_path):
    """A bit-exact resume passes; a difference is `inexact` (with its size)
    on CUDA and a failure on the CPU; a changed loss scale counts too."""
    import torch
    tool = _gpu_check()
    queue = torch.arange(6.).reshape(2, 3)
    _write_run(tmp_path / 'a', _checkpoint(queue, 1024.), 4,
               {1: 2.0, 2: 1.9, 3: 1.8, 4: 1.7})
    _write_run(tmp_path / 'same', _checkpoint(queue.clone(), 1024.), 4,
               {3: 1.8, 4: 1.7})
    _write_run(tmp_path / 'off', _checkpoint(queue + 1e-3, 1024.), 4,
               {3: 1.8, 4: 1.7})
    _write_run(tmp_path / 'scale', _checkpoint(queue.clone(), 512.), 4,
               {3: 1.8, 4: 1.7})

    def check(name, cuda):
        return tool.check_resume('csdnet/fp16', str(tmp_path / 'a'),
                                 str(tmp_path / name), 4, cuda)

    assert check('same', cuda=True).status == 'pass'
    assert check('same', cuda=False).status == 'pass'
    inexact = check('off', cuda=True)
    assert inexact.status == 'inexact' and not inexact.failed
    assert abs(inexact.data['max_abs_diff'] - 1e-3) < 1e-6
    assert check('off', cuda=False).failed
    assert check('scale', cuda=True).data['max_abs_diff'] == 512.


def test_state_check_wants_fp32_memory_and_an_amp_loss_scaler():
    import torch
    tool = _gpu_check()
    csdnet = next(f for f in tool.FAMILIES if f.name == 'csdnet')
    fp16, = [p for p in tool.GPU_PRECISIONS if p.name == 'fp16']
    queue = torch.zeros(2, 3)
    good = tool.check_state('t', csdnet, fp16, _checkpoint(queue, 1024.))
    assert good.status == 'pass' and 'loss scale 1024.0' in good.detail
    half = tool.check_state('t', csdnet, fp16,
                            _checkpoint(queue.half(), 1024.))
    assert half.failed and 'torch.float16' in half.detail
    assert tool.check_state('t', csdnet, fp16, _checkpoint(queue)).failed
    nan = tool.check_state('t', csdnet, fp16,
                           _checkpoint(queue / 0., 1024.))
    assert nan.failed and 'not finite' in nan.detail
