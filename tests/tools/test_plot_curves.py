import json
import os.path as osp
import sys

import pytest

from conftest import PYTHON, REPO_ROOT, run_tool

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
from plot_curves import find_scalars, plot  # noqa: E402


def _write_run(root, losses, accuracies):
    scalars = root / '20260101_000000' / 'vis_data' / 'scalars.json'
    scalars.parent.mkdir(parents=True)
    lines = [
        json.dumps(
            dict(
                loss=v, lr=0.1, iter=10 * (i + 1), step=10 * (i + 1), epoch=1))
        for i, v in enumerate(losses)
    ]
    lines += [
        json.dumps({
            'accuracy/top1': v,
            'step': i + 1
        }) for i, v in enumerate(accuracies)
    ]
    scalars.write_text('\n'.join(lines) + '\n')
    return root


def test_reads_train_by_iteration_and_val_by_step(tmp_path):
    run_a = _write_run(tmp_path / 'a', [2.0, 1.5, 1.0], [10.0, 40.0])
    run_b = _write_run(tmp_path / 'b', [3.0, 1.0], [20.0])
    out = tmp_path / 'curves.png'
    series = plot(
        {
            'A': find_scalars(str(run_a)),
            'B': find_scalars(str(run_b))
        }, ['loss', 'accuracy/top1'], str(out))
    assert series['loss']['A'] == ([10, 20, 30], [2.0, 1.5, 1.0])
    assert series['accuracy/top1']['B'] == ([1], [20.0])
    assert out.stat().st_size > 1000
    # Alternatives: the first key each run logged.
    series = plot({'A': find_scalars(str(run_a))}, ['nope|accuracy/top1'],
                  str(out))
    assert series['nope|accuracy/top1']['A'] == ([1, 2], [10.0, 40.0])


@pytest.mark.slow
def test_cli_errors_name_the_problem(tmp_path):
    run = _write_run(tmp_path / 'a', [1.0], [5.0])
    result = run_tool([
        PYTHON, 'tools/analysis_tools/plot_curves.py',
        str(run), '--keys', 'los', '--out',
        str(tmp_path / 'x.png')
    ])
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert "no run logged ['los']" in result.stderr
    assert "'loss'" in result.stderr
    result = run_tool([
        PYTHON, 'tools/analysis_tools/plot_curves.py',
        str(tmp_path / 'missing')
    ])
    assert result.returncode == 2
    assert 'no <time>/vis_data/scalars.json found' in result.stderr
    result = run_tool([
        PYTHON, 'tools/analysis_tools/plot_curves.py',
        str(run), '--legend', 'A', 'B'
    ])
    assert result.returncode == 2 and 'one per run' in result.stderr
