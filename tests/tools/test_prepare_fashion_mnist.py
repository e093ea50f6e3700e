"""tools/dataset_converters/prepare_fashion_mnist_fewshot.py, the command
line of csdnet_mm.datasets.fashion_mnist_fewshot (whose logic
tests/datasets/test_fashion_mnist_fewshot.py tests), on tiny synthetic idx
files (the Debian package is not needed)."""
import json
import os.path as osp

import pytest

from conftest import PYTHON, run_tool, write_fashion_source

pytestmark = pytest.mark.slow

SCRIPT = osp.join('tools', 'dataset_converters',
                  'prepare_fashion_mnist_fewshot.py')


def test_cli_writes_the_set_and_reports_bad_input_without_traceback(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    write_fashion_source(src, 123, 30, 25)
    out = tmp_path / 'seed1'
    result = run_tool([
        PYTHON, SCRIPT, '--src',
        str(src), '--out',
        str(out), '--classes', '0,2,3', '--shots', '3', '--seed', '1',
        '--unlabeled-per-class', '20', '--test-per-class', '15',
        '--val-per-class', '5'
    ])
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith(
        'Fashion-MNIST few-shot: 3 classes (0,2,3), seed 1: train 9 '
        '(3/class), test 45 (15/class), unlabeled 60 (20/class), val 15 '
        '(5/class); ') and f'images -> {out} in ' in summary[0]
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['seed'] == 1 and meta['per_class'] == dict(
        train=3, unlabeled=20, test=15, val=5)
    assert meta['tool'] == SCRIPT.replace(osp.sep, '/')
    for name in ('train', 'test', 'unlabeled', 'val'):
        assert (out / 'anno' / f'{name}.txt').is_file()

    # Bad input: a message saying what to fix, exit status 2.
    result = run_tool([
        PYTHON, SCRIPT, '--src',
        str(tmp_path / 'nowhere'), '--out',
        str(tmp_path / 'out')
    ])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        'error: missing Fashion-MNIST source file(s): ')
    assert 'apt-get install dataset-fashion-mnist' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'out').exists()
