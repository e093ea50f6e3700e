"""OpenMMLab lint: flake8, isort --check-only and yapf --diff over the tree,
with the settings in setup.cfg (as MMPretrain configures them;
.pre-commit-config.yaml runs the same). Run from the fresh-checkout view
(conftest.REPO_ROOT), so ``data/``, ``work_dirs/`` and other leftovers are
not linted."""
import os.path as osp
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

PATHS = ['csdnet_mm', 'tools', 'tests', 'configs', 'setup.py']
SETTINGS = osp.join(REPO_ROOT, 'setup.cfg')


def _lint(module, *args):
    # The settings are named, not looked up, so a missing setup.cfg fails
    # here rather than letting the linters fall back to their defaults.
    assert osp.isfile(SETTINGS), 'setup.cfg is not in the checkout'
    return subprocess.run([sys.executable, '-m', module, *args, *PATHS],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_flake8():
    pytest.importorskip('flake8')
    result = _lint('flake8', '--config', SETTINGS)
    assert result.returncode == 0, (
        'flake8 findings (settings: setup.cfg [flake8]):\n' + result.stdout +
        result.stderr)


def test_isort():
    pytest.importorskip('isort')
    result = _lint('isort', '--settings-path', SETTINGS, '--check-only',
                   '--diff')
    assert result.returncode == 0, (
        'isort would change imports (fix: python -m isort '
        f'{" ".join(PATHS)}; settings: setup.cfg [isort]):\n' +
        result.stdout[-20000:] + result.stderr)


def test_yapf():
    pytest.importorskip('yapf')
    result = _lint('yapf', '--style', SETTINGS, '--diff', '--recursive',
                   '--parallel')
    assert result.returncode == 0, (
        'yapf would reformat (fix: python -m yapf -i -r -p '
        f'{" ".join(PATHS)}; settings: setup.cfg [yapf]):\n' +
        result.stdout[-20000:] + result.stderr)
