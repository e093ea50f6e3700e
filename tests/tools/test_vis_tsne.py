import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from conftest import PYTHON, REPO_ROOT, run_tool

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'visualization'))
import vis_tsne  # noqa: E402

pytest.importorskip('sklearn')
TINY = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_demo.py')


@pytest.fixture
def run(tmp_path, demo_root):
    """A tiny demo config on the test data and a random checkpoint."""
    config = tmp_path / 'tiny.py'
    config.write_text(f"_base_ = ['{TINY}']\n"
                      f'test_dataloader = dict(dataset=dict('
                      f"data_root='{demo_root}'))\n")
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(str(config))
    torch.manual_seed(0)
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), str(checkpoint))
    return str(config), str(checkpoint), model


def test_features_are_what_the_classifier_head_sees(run):
    config, checkpoint, model = run
    features, labels = vis_tsne.extract(config, checkpoint, 'test', 1000)
    assert features.shape == (8, 256)
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3]
    # Same logits as the stock predict path (incl. the config's top-level
    # normalisation, which the runner injects into the model).
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    model.eval()
    loader = Runner.build_dataloader(
        dict(cfg.test_dataloader, num_workers=0, persistent_workers=False))
    scores = torch.cat([
        torch.stack([s.pred_score for s in model.test_step(batch)])
        for batch in loader
    ])
    torch.testing.assert_close(
        model.head.fc(torch.from_numpy(features)).softmax(1), scores)


@pytest.mark.slow
def test_cli_draws_one_panel_per_run_and_prints_silhouettes(run, tmp_path):
    config, checkpoint, _ = run
    out = tmp_path / 'tsne.png'
    result = run_tool([
        PYTHON, 'tools/visualization/vis_tsne.py', '--run', 'A', config,
        checkpoint, '--run', 'B', config, checkpoint, '--max-iter', '250',
        '--out',
        str(out)
    ])
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [
        line for line in result.stdout.splitlines() if 'silhouette' in line
    ]
    assert len(lines) == 2 and lines[0].startswith('A: 8 images, 256-d')
    assert lines[0].split()[-1] == lines[1].split()[-1]  # same model
    import cv2
    height, width = cv2.imread(str(out)).shape[:2]
    assert width == 2 * height  # two square panels


@pytest.mark.slow
def test_missing_checkpoint_is_a_clear_error(run):
    config, _, _ = run
    result = run_tool([
        PYTHON, 'tools/visualization/vis_tsne.py', '--run', 'A', config,
        'nope.pth'
    ])
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert 'checkpoint nope.pth does not exist' in result.stderr
