"""The SynthPairs chain through the stock tools on tiny demo configs:
stage 1 (decoder) -> stage 2 (SynthPairs-MoCo) and the MoCo v2 baseline,
both initialised from stage 1 -> linear evaluation on 20 % of the labels and
retrieval, each from the stage-2 checkpoint."""
import glob
import json
import os
import os.path as osp
import sys

import pytest
import torch

from conftest import PYTHON, REPO_ROOT, run_tool

pytestmark = pytest.mark.slow

DATA = osp.join(REPO_ROOT, 'tests', 'data')
TINY_DECODER = osp.join(DATA, 'tiny_synthpairs_decoder.py')
TINY_SYNTHPAIRS = osp.join(DATA, 'tiny_synthpairs_mocov2.py')
TINY_MOCO = osp.join(DATA, 'tiny_mocov2.py')
TINY_LINEAR = osp.join(DATA, 'tiny_linear_20pct.py')
TINY_RETRIEVAL = osp.join(DATA, 'tiny_retrieval.py')


def _ssl_opts(demo_root, stage1_ckpt=None):
    opts = [f'train_dataloader.dataset.data_root={demo_root}']
    if stage1_ckpt is not None:
        opts.append(f'model.backbone.init_cfg.checkpoint={stage1_ckpt}')
    return opts


def _train(config, work_dir, opts, *extra, env=None):
    return run_tool([
        PYTHON, 'tools/train.py', config, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *opts
    ],
                    env=env)


def _grids(work_dir, name):
    return sorted(
        glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'vis_image', f'{name}_*.png')))


def _loaded_from(work_dir, checkpoint):
    """Top-level modules whose parameters the init summary (in the log
    file only) reports as loaded from ``checkpoint``."""
    log_file, = glob.glob(osp.join(work_dir, '*', '*.log'))
    lines = open(log_file).read().splitlines()
    return {
        previous.split('.')[0]
        for previous, line in zip(lines, lines[1:])
        if line.strip() == f'PretrainedInit: load from {checkpoint}'
    }


def _grid_shape(columns, rows=4, size=64, gap=2):
    return (rows * size + (rows - 1) * gap,
            columns * size + (columns - 1) * gap, 3)


@pytest.fixture(scope='module')
def stage1(tmp_path_factory, demo_root):
    work_dir = tmp_path_factory.mktemp('stage1')
    result = _train(TINY_DECODER, work_dir, _ssl_opts(demo_root))
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir, result


@pytest.fixture(scope='module')
def stage2(tmp_path_factory, demo_root, stage1):
    work_dir = tmp_path_factory.mktemp('stage2')
    ckpt = osp.join(stage1[0], 'iter_4.pth')
    opts = _ssl_opts(demo_root,
                     ckpt) + [f'model.decoder.init_cfg.checkpoint={ckpt}']
    result = _train(TINY_SYNTHPAIRS, work_dir, opts)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir, result, opts


def test_stage1_trains_the_decoder_and_draws_reconstructions(stage1):
    work_dir, result = stage1
    log = result.stdout + result.stderr
    assert 'loss_rec: ' in log
    grids = _grids(work_dir, 'synthpairs')
    assert [osp.basename(g)
            for g in grids] == ['synthpairs_2.png', 'synthpairs_4.png']
    import cv2
    assert cv2.imread(grids[0]).shape == _grid_shape(columns=2)
    # Stage 1 leaves the encoder as it found it (frozen, BN in eval mode).
    first = torch.load(osp.join(work_dir, 'iter_2.pth'), map_location='cpu')
    last = torch.load(osp.join(work_dir, 'iter_4.pth'), map_location='cpu')
    for key, value in first['state_dict'].items():
        if key.startswith('backbone.'):
            torch.testing.assert_close(last['state_dict'][key], value, msg=key)
    assert any(not torch.equal(last['state_dict'][k], v)
               for k, v in first['state_dict'].items()
               if k.startswith('decoder.'))


def test_stage2_loads_stage1_logs_its_terms_and_draws_pairs(stage1, stage2):
    work_dir, result, _ = stage2
    log = result.stdout + result.stderr
    stage1_ckpt = osp.join(stage1[0], 'iter_4.pth')
    assert _loaded_from(work_dir, stage1_ckpt) == {'backbone', 'decoder'}
    for key in ('loss_ssl', 'loss_rec', 'loss_gen', 'noise_std_g',
                'lowvar_frac', 'bank_fill'):
        assert f'{key}: ' in log, key
    grids = _grids(work_dir, 'synthpairs')
    assert [osp.basename(g)
            for g in grids] == ['synthpairs_2.png', 'synthpairs_4.png']
    import cv2
    assert cv2.imread(grids[1]).shape == _grid_shape(columns=3)
    # The bank (12 rows) is in the checkpoint and wrapped: 4 x 4 pushes.
    state = torch.load(
        osp.join(work_dir, 'iter_4.pth'), map_location='cpu')['state_dict']
    assert int(state['perturbation.bank_count']) == 12
    assert int(state['perturbation.bank_ptr']) == 16 % 12
    assert state['perturbation.feat_bank'].shape == (12, 256)


def test_stage2_resume_is_exact(stage2, tmp_path):
    work_dir, _, opts = stage2
    ckpt = osp.join(work_dir, 'iter_2.pth')
    result = _train(TINY_SYNTHPAIRS, tmp_path, opts, '--resume', ckpt)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    resumed = torch.load(
        osp.join(tmp_path, 'iter_4.pth'), map_location='cpu')['state_dict']
    uninterrupted = torch.load(
        osp.join(work_dir, 'iter_4.pth'), map_location='cpu')['state_dict']
    # A restart from scratch would show 8 pushes: count 8, pointer 8.
    for key in ('perturbation.bank_count', 'perturbation.bank_ptr',
                'queue_ptr'):
        assert int(resumed[key]) == int(uninterrupted[key]), key
    # Exact continuation: the noise draws resume from the saved RNG state
    # (RNGStateHook), so weights, queue and bank match bit for bit.
    for key, value in uninterrupted.items():
        torch.testing.assert_close(
            resumed[key], value, rtol=0, atol=0, msg=key)


def _diagnostics(config, checkpoint, opts, out, *extra):
    return run_tool([
        PYTHON, 'tools/analysis_tools/synthpairs_diagnostics.py', config,
        checkpoint, '--batches', '2', '--out',
        str(out), '--cfg-options', *opts, *extra
    ])


def test_diagnostics_measure_the_pairs_of_a_checkpoint(stage2, tmp_path):
    work_dir, _, opts = stage2
    ckpt = osp.join(work_dir, 'iter_4.pth')
    result = _diagnostics(TINY_SYNTHPAIRS, ckpt, opts, tmp_path / 'd.json')
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / 'd.json').read_text())
    assert record['checkpoint'] == ckpt and record['batches'] == 2
    figures = record['figures']
    # The figures (each checked by hand in test_synthpairs_diagnostics.py)
    # of this checkpoint on the same 2 seeded batches, computed here.
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
    from synthpairs_diagnostics import ROWS, diagnose
    expected = diagnose(
        TINY_SYNTHPAIRS,
        ckpt,
        batches=2,
        seed=0,
        options=dict(item.split('=', 1) for item in opts))
    assert figures.keys() == expected.keys()
    assert {key for key, _ in ROWS} <= set(figures)
    for key, value in expected.items():
        assert figures[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    # Each row printed as the table shows it.
    for key, label in ROWS:
        assert f'| {label} | {figures[key]:.3f} |' in result.stdout, key
    # Shares of 4 images over 2 batches are multiples of 1/8.
    for key in ('rec_self_retrieval', 'pair_match_top1'):
        assert float(8 * figures[key]).is_integer(), key
    for term in ('loss_ssl', 'loss_rec', 'loss_gen'):
        assert figures[f'grad_norm/{term}'] > 0, term
    # With lambda_gen = 0, L_gen pulls on nothing; with random noise there
    # are no Grad-CAM scores to describe.
    result = _diagnostics(TINY_SYNTHPAIRS, ckpt, opts, tmp_path / 'g.json',
                          'model.gen_weight=0',
                          'model.perturbation.noise_mode=random')
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads((tmp_path / 'g.json').read_text())['figures']
    assert figures['grad_norm/loss_gen'] == 0
    assert figures['grad_norm/loss_ssl'] > 0
    assert 'gradcam_zero_share' not in figures


def test_diagnostics_refuse_a_model_without_synthesized_pairs(
        stage1, demo_root, tmp_path):
    ckpt = osp.join(stage1[0], 'iter_4.pth')
    result = _diagnostics(TINY_MOCO, ckpt, _ssl_opts(demo_root),
                          tmp_path / 'm.json')
    assert result.returncode != 0
    assert 'reads a SynthPairs model' in result.stderr


def test_mocov2_baseline_from_stage1(stage1, demo_root, tmp_path):
    ckpt = osp.join(stage1[0], 'iter_4.pth')
    result = _train(TINY_MOCO, tmp_path, _ssl_opts(demo_root, ckpt))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert _loaded_from(tmp_path, ckpt) == {'backbone'}
    assert 'Iter(train) [4/4]' in log and 'loss: ' in log
    assert 'loss_gen' not in log


def test_linear_evaluation_on_20pct_of_the_labels(stage2, demo_root, tmp_path):
    ckpt = osp.join(stage2[0], 'iter_4.pth')
    result = _train(TINY_LINEAR, tmp_path, [
        f'train_dataloader.dataset.dataset.data_root={demo_root}',
        f'val_dataloader.dataset.data_root={demo_root}',
        f'test_dataloader.dataset.data_root={demo_root}',
        f'model.backbone.init_cfg.checkpoint={ckpt}'
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    # 4 classes x 4 training images; 20 % rounds to 1 image per class.
    assert 'LabelSubsetDataset: kept 4 of 16 samples' in log
    assert _loaded_from(tmp_path, ckpt) == {'backbone'}
    assert 'accuracy/top1' in result.stdout
    # The encoder is frozen: linear probing trains the head only.
    state = torch.load(
        osp.join(tmp_path, 'iter_2.pth'), map_location='cpu')['state_dict']
    encoder = torch.load(ckpt, map_location='cpu')['state_dict']
    for key, value in state.items():
        if key.startswith('backbone.') and 'num_batches_tracked' not in key:
            torch.testing.assert_close(value, encoder[key], msg=key)


def test_retrieval_evaluation_of_the_encoder(stage2, demo_root, tmp_path):
    out = tmp_path / 'metrics.pkl'
    result = run_tool([
        PYTHON, 'tools/test.py', TINY_RETRIEVAL,
        osp.join(stage2[0], 'iter_4.pth'), '--work-dir',
        str(tmp_path), '--out',
        str(out), '--out-item', 'metrics', '--cfg-options',
        f'test_dataloader.dataset.data_root={demo_root}'
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    import mmengine
    metrics = mmengine.load(str(out))
    assert set(metrics) == {
        'retrieval/rank1', 'retrieval/rank5', 'retrieval/mAP'
    }
    # 8 test images of 4 classes: every query has exactly one relevant
    # image among its 7 gallery images, so its AP is at least 1/7.
    assert 100 / 7 - 1e-6 <= metrics['retrieval/mAP'] <= 100
    assert metrics['retrieval/rank1'] <= metrics['retrieval/rank5'] <= 100


def test_dist_test_gives_the_single_process_retrieval_metrics(
        stage2, demo_root, tmp_path):
    ckpt = osp.join(stage2[0], 'iter_4.pth')
    opts = ['--cfg-options', f'test_dataloader.dataset.data_root={demo_root}']
    single, dist = tmp_path / 'single.pkl', tmp_path / 'dist.pkl'
    result = run_tool([
        PYTHON, 'tools/test.py', TINY_RETRIEVAL, ckpt, '--work-dir',
        str(tmp_path / 'a'), '--out',
        str(single), '--out-item', 'metrics', *opts
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    # Batches of 3 over 2 ranks: 8 images give the ranks 4 each, in
    # batches of 3 and 1 (an uneven last batch on both).
    result = run_tool([
        'bash', 'tools/dist_test.sh', TINY_RETRIEVAL, ckpt, '2', '--work-dir',
        str(tmp_path / 'b'), '--out',
        str(dist), '--out-item', 'metrics', *opts,
        'test_dataloader.batch_size=3'
    ],
                      env=dict(
                          PORT=str(29700 + os.getpid() % 100),
                          OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    import mmengine
    expected, got = mmengine.load(str(single)), mmengine.load(str(dist))
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-4), key


def test_dist_train_two_processes_gathers_the_bank(stage1, demo_root,
                                                   tmp_path):
    ckpt = osp.join(stage1[0], 'iter_4.pth')
    opts = _ssl_opts(demo_root,
                     ckpt) + [f'model.decoder.init_cfg.checkpoint={ckpt}']
    result = run_tool([
        'bash', 'tools/dist_train.sh', TINY_SYNTHPAIRS, '2', '--work-dir',
        str(tmp_path), '--cfg-options', *opts
    ],
                      env=dict(
                          PORT=str(29600 + os.getpid() % 1000),
                          OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'terminate called' not in result.stdout + result.stderr
    state = torch.load(
        osp.join(tmp_path, 'iter_4.pth'), map_location='cpu')['state_dict']
    # Each step pushes both ranks' 4 features: 4 x 8 = 32 pushes.
    assert int(state['perturbation.bank_count']) == 12
    assert int(state['perturbation.bank_ptr']) == 32 % 12
