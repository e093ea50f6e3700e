import os
import os.path as osp
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


def run_tool(args, cwd=REPO_ROOT, timeout=600, env=None):
    """Run a command as a user would; return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop('CUDA_VISIBLE_DEVICES', None)
    full_env.update(env or {})
    return subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout)


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    """A small demo data set (generated once per session)."""
    from csdnet_mm.datasets import ensure_demo_ufg
    root = str(tmp_path_factory.mktemp('demo') / 'ufg_demo')
    return ensure_demo_ufg(root, num_classes=4, train_per_class=4,
                           test_per_class=2)


PYTHON = sys.executable
