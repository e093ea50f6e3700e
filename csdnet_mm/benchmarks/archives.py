"""The repository's run archives under ``docs/results/`` and how each is
read: one place for the report's blocks, the README's Measured rows and the
metafiles' Results."""
import glob
import os.path as osp
from typing import Dict, List, Tuple

from . import across
from .realdata.ssl_archive import open_archive
from .realdata.tables import per_unit_of
from .records import RunArchive

RESULTS = osp.join('docs', 'results')
DEMO = osp.join(RESULTS, 'demo.json')
ABLATION = osp.join(RESULTS, 'csdnet-ablation.json')
STABILITY = osp.join(RESULTS, 'csdnet-stability.json')
CHECK = osp.join(RESULTS, 'csdnet_check', '*.json')
# The SSL headline re-run on one machine (leak-free validation split), and
# the first campaign's runs on several machines.
SSL_RERUN = osp.join(RESULTS, 'ssl.json')
SSL_FIRST = osp.join(RESULTS, 'ssl_fmnist8-32px.json')
# tools/analysis_tools/{loss_gradients,synthpairs_diagnostics}.py --out.
LOSS_GRADIENTS = osp.join(RESULTS, 'loss_gradients')
SYNTHPAIRS_DIAGNOSTICS = osp.join(RESULTS, 'synthpairs_diagnostics')


def demo_runs(root: str) -> Dict[str, Dict]:
    """``tools/analysis_tools/archive_run.py``'s records of the demo runs."""
    return RunArchive(osp.join(root, DEMO), 'runs').runs()


def csdnet_units(
        root: str,
        suite: str = 'csdnet-ablation') -> Dict[Tuple[str, str, int], Dict]:
    """A CSDNet suite's records by (backbone, task, seed), then run."""
    path = {'csdnet-ablation': ABLATION, 'csdnet-stability': STABILITY}[suite]
    return per_unit_of(RunArchive(osp.join(root, path), suite).runs())


def ssl_records(root: str, path: str = SSL_RERUN) -> List[Dict]:
    """The SSL suite's records in one of its archives."""
    return list(open_archive(osp.join(root, path)).runs().values())


def check_tasks(root: str) -> Dict[str, Dict]:
    """``tools/csdnet_check.py`` results, one per task."""
    return across.load(sorted(glob.glob(osp.join(root, CHECK))))
