import json
import os
import shutil

import pytest

from conftest import PYTHON, REPO_ROOT, run_tool, write_config

TINY = os.path.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')
CHECK = 'tools/csdnet_check.py'


def _stock_config(tmp_path, demo_root):
    """The tiny demo classifier on a copy of the demo set whose test
    annotation is gone: a check that read the test split would fail."""
    data = tmp_path / 'data'
    shutil.copytree(demo_root, data)
    os.remove(data / 'anno' / 'test.txt')
    return write_config(
        tmp_path, 'stock', TINY, f"""
train_dataloader = dict(dataset=dict(
    _delete_=True, type='UFGDataset', data_root={str(data)!r},
    split='train', num_classes=4, pipeline={{{{_base_.train_pipeline}}}}))
""")


@pytest.mark.slow
def test_check_trains_every_fold_and_seed_on_training_images_only(
        tmp_path, demo_root):
    config = _stock_config(tmp_path, demo_root)
    work = tmp_path / 'check'
    args = [
        PYTHON, CHECK, config, '--work-dir',
        str(work), '--folds', '2', '--variants', 'stock', 'random_view',
        'ssdp_ddl'
    ]
    result = run_tool(args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert '6 runs (2 fold x seed units x 3 variants), 0 finished' in \
        result.stdout
    assert '[6/6] 100 %' in result.stdout
    assert 'Recommendation (validation only): use stock' in result.stdout
    summary = json.loads((work / 'check.json').read_text())
    assert summary['units'] == [[0, 0], [1, 0]]
    assert set(summary['scores']) == {'stock', 'random_view', 'ssdp_ddl'}
    assert all(len(v) == 2 for v in summary['scores'].values())
    assert summary['recommendation']['variant'] == 'stock'
    assert summary['recommended_config'] == str(work / 'recommended_stock.py')
    assert f'Its config on the whole training set: {work}' in result.stdout
    # 4 classes x 4 training images: 8 validation images per fold.
    for k in (0, 1):
        assert len((work / 'folds' / f'fold{k}' /
                    'val.txt').read_text().splitlines()) == 8
    run = work / 'runs' / 'fold0_seed0' / 'ssdp_ddl'
    assert not [p for p in os.listdir(run) if p.endswith('.pth')]
    # The queue holds one epoch of both views of the fold's 8 training
    # images, at least one step's 2 x 4 rows.
    ssdp_ddl = (work / 'configs' / 'fold0' / 'ssdp_ddl.py').read_text()
    assert 'queue_len=16' in ssdp_ddl

    again = run_tool(args + ['--threads', '1'])
    assert again.returncode == 0, again.stderr
    assert '6 finished' in again.stdout and '[' not in again.stdout.split(
        'finished')[1].split('\n')[1]
    report = run_tool([
        PYTHON, CHECK, config, '--work-dir',
        str(work), '--folds', '2', '--variants', 'stock', 'random_view',
        'ssdp_ddl', '--report'
    ])
    assert report.returncode == 0, report.stderr
    assert '| stock: stock classifier |' in report.stdout


@pytest.mark.slow
def test_check_dry_run_prints_the_commands_and_trains_nothing(
        tmp_path, demo_root):
    config = _stock_config(tmp_path, demo_root)
    result = run_tool([
        PYTHON, CHECK, config, '--work-dir',
        str(tmp_path / 'check'), '--folds', '2', '--seeds', '3', '--variants',
        'full_neck10x', '--dry-run'
    ])
    assert result.returncode == 0, result.stderr
    commands = [
        line for line in result.stdout.splitlines() if 'tools/train.py' in line
    ]
    assert len(commands) == 4  # stock and full_neck10x on two folds
    assert all('randomness.seed=3' in c for c in commands)
    assert not (tmp_path / 'check' / 'runs').exists()


@pytest.mark.slow
def test_check_names_a_class_too_small_for_the_folds(tmp_path, demo_root):
    config = _stock_config(tmp_path, demo_root)
    result = run_tool([
        PYTHON, CHECK, config, '--work-dir',
        str(tmp_path / 'check'), '--folds', '4'
    ])
    assert result.returncode == 2
    assert 'need more than 4 training images in every class' in \
        result.stderr


def test_recommended_config_is_the_variant_on_the_whole_training_set(
        tmp_path, demo_root):
    from mmengine.config import Config

    from csdnet_mm.benchmarks import Check, CheckPlan
    from csdnet_mm.benchmarks.variants import all_variants
    config = _stock_config(tmp_path, demo_root)
    check = Check(
        CheckPlan(
            config, str(tmp_path / 'check'), folds=2, variants=all_variants()))
    cfg = Config.fromfile(check.write_recommended('ssdp_ddl_neck10x'))
    assert cfg.model.type == 'CSDNet'
    assert cfg.train_dataloader.dataset.type == 'UFGDataset'
    assert cfg.train_dataloader.dataset.data_root == str(tmp_path / 'data')
    # Both views of all 16 training images (4 classes x 4).
    assert cfg.model.queue_neck.queue_len == 32
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.neck.lr_mult == 10
    stock = Config.fromfile(check.write_recommended('stock'))
    assert stock.model.type == 'ImageClassifier'
