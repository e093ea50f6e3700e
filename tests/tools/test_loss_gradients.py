"""tools/analysis_tools/loss_gradients.py: per-term gradient norms at the
backbone output, checked against what each term is built from."""
import json
import os.path as osp

import pytest

from conftest import PYTHON, REPO_ROOT, run_tool

pytestmark = pytest.mark.slow

TINY_CSDNET = osp.join(REPO_ROOT, 'tests', 'data', 'tiny_csdnet_demo.py')
TOOL = 'tools/analysis_tools/loss_gradients.py'


def test_each_term_reaches_the_views_it_is_built_from(tmp_path, demo_root):
    out = tmp_path / 'norms.json'
    result = run_tool([
        PYTHON, TOOL, TINY_CSDNET, '--batches', '2', '--out',
        str(out), '--cfg-options',
        f'train_dataloader.dataset.data_root={demo_root}'
    ],
                      env=dict(OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(out.read_text())
    assert record['config'] == TINY_CSDNET and record['batches'] == 2
    norms = record['figures']
    assert set(norms) == {'loss_cls', 'loss_cls_aug', 'loss_qc', 'loss_ssdt'}
    raw, aug = 0, 1
    # CE of a view trains through that view's features only.
    assert norms['loss_cls'][raw] > 0 and norms['loss_cls'][aug] == 0
    assert norms['loss_cls_aug'][aug] > 0 and norms['loss_cls_aug'][raw] == 0
    # SSDT (raw teaches aug by default): the teacher's logits are detached.
    assert norms['loss_ssdt'][aug] > 0 and norms['loss_ssdt'][raw] == 0
    # The queue loss contrasts both views' projections.
    assert norms['loss_qc'][raw] > 0 and norms['loss_qc'][aug] > 0
    assert '| loss_ssdt |' in result.stdout


def test_missing_checkpoint_is_named(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    result = run_tool([PYTHON, TOOL, TINY_CSDNET, missing])
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert f'checkpoint {missing} does not exist' in result.stderr
