"""End-to-end runs of the plugin's tools on a tiny demo configuration."""
import glob
import os
import os.path as osp
import re

import pytest
import torch

from conftest import PYTHON, REPO_ROOT, run_tool

pytestmark = pytest.mark.slow

TINY = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')
TINY_CSDNET = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_csdnet_demo.py')


def _data_opts(demo_root):
    return [
        f'train_dataloader.dataset.data_root={demo_root}',
        f'val_dataloader.dataset.data_root={demo_root}',
        f'test_dataloader.dataset.data_root={demo_root}',
    ]


def _train(work_dir, demo_root, *extra, config=TINY):
    return run_tool([
        PYTHON, 'tools/train.py', config, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *_data_opts(demo_root)
    ])


@pytest.fixture(
    scope='module',
    params=[TINY, TINY_CSDNET],
    ids=['image_classifier', 'csdnet'])
def trained(request, tmp_path_factory, demo_root):
    work_dir = tmp_path_factory.mktemp('train')
    result = _train(work_dir, demo_root, config=request.param)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir, result, request.param


def test_train_runs_and_prints_final_accuracy(trained):
    work_dir, result, _ = trained
    assert 'Final validation metrics' in result.stdout
    assert 'accuracy/top1' in result.stdout
    for it in (2, 4):
        assert osp.isfile(osp.join(work_dir, f'iter_{it}.pth'))


@pytest.mark.parametrize(
    'trained', [TINY_CSDNET], ids=['csdnet'], indirect=True)
def test_csdnet_logs_its_terms_and_draws_ssdp_grids(trained):
    work_dir, result, _ = trained
    log = result.stdout + result.stderr
    for key in ('loss_cls_aug', 'loss_qc', 'loss_ssdt', 'queue_fill',
                'mask_area', 'box_area', 'ssdp_scale'):
        assert f'{key}: ' in log, key
    grids = sorted(
        glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'vis_image', 'ssdp_*.png')))
    assert [osp.basename(g) for g in grids] == ['ssdp_2.png', 'ssdp_4.png']
    import cv2
    grid = cv2.imread(grids[0])
    # Four 64 px columns (raw, pattern, mask, view) of 4 images, 2 px gaps.
    assert grid.shape == (4 * 64 + 3 * 2, 4 * 64 + 3 * 2, 3)


def test_test_tool_on_checkpoint(trained, demo_root, tmp_path):
    work_dir, train_result, config = trained
    out = tmp_path / 'metrics.pkl'
    result = run_tool([
        PYTHON, 'tools/test.py', config,
        osp.join(work_dir, 'iter_4.pth'), '--work-dir',
        str(tmp_path), '--out',
        str(out), '--out-item', 'metrics', '--cfg-options',
        *_data_opts(demo_root)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    import mmengine
    metrics = mmengine.load(str(out))
    # The tiny config validates on the test split at its last iteration,
    # so the test tool must reproduce the training's final figure exactly.
    final = re.search(
        r'Final validation metrics \(.*\): accuracy/top1: '
        r'([0-9.]+)', train_result.stdout)
    assert final, train_result.stdout[-2000:]
    assert f"{metrics['accuracy/top1']:.2f}" == final.group(1)


def test_resume_continues_at_next_iteration(trained, demo_root, tmp_path):
    work_dir, _, config = trained
    ckpt = osp.join(work_dir, 'iter_2.pth')
    result = _train(tmp_path, demo_root, '--resume', ckpt, config=config)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log

    # Same weights and buffers (for CSDNet: the memory queue, which wraps
    # around within these 4 iterations) as the uninterrupted run.
    # Same optimizer state: the resumed run starts from the saved moments.
    # (Weights-only loading stays on: the plugin allow-lists what it needs.)
    import csdnet_mm  # noqa: F401
    saved = torch.load(ckpt, map_location='cpu')
    resumed_final = torch.load(
        osp.join(tmp_path, 'iter_4.pth'), map_location='cpu')
    uninterrupted = torch.load(
        osp.join(work_dir, 'iter_4.pth'), map_location='cpu')
    assert saved['meta']['iter'] == 2 and resumed_final['meta']['iter'] == 4
    step = [s['step'] for s in resumed_final['optimizer']['state'].values()]
    assert all(float(s) == 4 for s in step)  # 2 saved + 2 resumed steps
    for key, value in uninterrupted['state_dict'].items():
        torch.testing.assert_close(
            resumed_final['state_dict'][key], value, msg=key)
    for param, state in uninterrupted['optimizer']['state'].items():
        for name, value in state.items():
            torch.testing.assert_close(
                resumed_final['optimizer']['state'][param][name],
                value,
                msg=f'optimizer state {param}.{name}')
    # The logged losses of iterations 3 and 4 (every term) match too.
    resumed_log, full_log = _logged(tmp_path), _logged(work_dir)
    assert set(resumed_log) == {3, 4}
    for it in (3, 4):
        assert resumed_log[it] == pytest.approx(full_log[it]), it


def _logged(work_dir):
    """{iteration: {loss term: value}} from the run's scalars.json."""
    from csdnet_mm.benchmarks.scalars import logged_losses
    return logged_losses(str(work_dir))


def test_missing_data_gives_clear_error_not_traceback(tmp_path):
    result = run_tool([
        PYTHON, 'tools/train.py', 'configs/baselines/resnet50_cotton80.py',
        '--work-dir',
        str(tmp_path), '--cfg-options', 'model.backbone.init_cfg=None'
    ])
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    assert "data root 'data/UFG/Cotton80' does not exist" in result.stderr
    assert 'anno/' in result.stderr and 'Ultra-FGVC' in result.stderr


@pytest.mark.parametrize(
    'config', [TINY, TINY_CSDNET], ids=['image_classifier', 'csdnet'])
def test_dist_train_two_processes_gloo(tmp_path, demo_root, config):
    result = run_tool([
        'bash', 'tools/dist_train.sh', config, '2', '--work-dir',
        str(tmp_path), '--cfg-options', *_data_opts(demo_root)
    ],
                      env=dict(
                          PORT=str(29500 + os.getpid() % 1000),
                          OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'terminate called' not in log
    assert 'Final validation metrics' in result.stdout
    assert glob.glob(osp.join(tmp_path, 'iter_4.pth'))


# The CSDNet path is the README's: the alias of
# configs/csdnet/csdnet_resnet50_1xb8-160e_cotton80-384px.py.
@pytest.mark.parametrize('config', [
    'configs/baselines/resnet50_cotton80.py', 'configs/csdnet_r50_cotton80.py'
])
def test_cotton80_config_trains_on_ufg_layout(tmp_path, config):
    """The real Cotton80 configs on a UFG-layout folder (random init, since
    no weights can be downloaded): one epoch of one batch of 8 at 384 px."""
    import cv2
    import numpy as np
    root = tmp_path / 'Cotton80'
    (root / 'images').mkdir(parents=True)
    (root / 'anno').mkdir()
    rng = np.random.default_rng(0)
    for split, labels in (('train', [1, 20, 40, 80] * 2), ('test', [5, 80])):
        lines = []
        for i, label in enumerate(labels):
            name = f'{split}_{i}.jpg'
            cv2.imwrite(
                str(root / 'images' / name),
                rng.integers(0, 255, (450, 460, 3), dtype=np.uint8))
            lines.append(f'{name} {label}')
        (root / 'anno' / f'{split}.txt').write_text('\n'.join(lines) + '\n')
    result = run_tool([
        PYTHON, 'tools/train.py', config, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        'model.backbone.init_cfg=None', 'train_cfg.max_epochs=1',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'test_dataloader.num_workers=0', *_data_opts(root)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'Epoch(train) [1][1/1]' in (result.stdout + result.stderr)
    assert 'accuracy/top1' in result.stdout


def test_corrupt_image_in_a_worker_is_named_not_a_traceback(
        tmp_path, demo_root):
    import shutil
    root = tmp_path / 'data'
    shutil.copytree(demo_root, root)
    with open(root / 'anno' / 'train.txt') as f:
        broken = f.readline().rsplit(maxsplit=1)[0]
    with open(root / 'images' / broken, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n broken')
    result = run_tool([
        PYTHON, 'tools/train.py', TINY, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', *_data_opts(root),
        'train_dataloader.num_workers=1',
        'train_dataloader.persistent_workers=False'
    ])
    assert result.returncode == 2, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert f'cannot read image {root}/images/{broken}' in result.stderr
    assert 'corrupt_images="skip"' in result.stderr
