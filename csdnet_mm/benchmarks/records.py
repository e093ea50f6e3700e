"""What a benchmark run is archived with: its machine, its commit, and one
JSON archive per suite that every run is added to as soon as it finishes."""
import json
import os
import os.path as osp
import platform
import subprocess
import threading
from typing import Dict, Optional

ARCHIVE_FORMAT = 1


def commit() -> Optional[str]:
    """The plugin checkout's commit, when it is a git checkout."""
    here = osp.dirname(osp.abspath(__file__))
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=here,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def machine(threads: Optional[int] = None,
            env: Optional[Dict[str, str]] = None) -> Dict:
    """The machine and stack a result was measured on.

    Args:
        threads (int, optional): ``OMP_NUM_THREADS`` the runs were given.
        env (dict, optional): The runs' environment (default: this
            process's), for the CPU allocator they put in effect.
    """
    import mmengine
    import mmpretrain
    import torch

    from ..allocator import planned
    info = dict(cpu=platform.processor() or platform.machine(),
                cores=os.cpu_count(), threads=threads,
                torch=torch.__version__, mmengine=mmengine.__version__,
                mmpretrain=mmpretrain.__version__, allocator=planned(env))
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(0)
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    info['cpu'] = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return info


class RunArchive:
    """A suite's archive: ``{"suite", "format", "runs": {key: record}}``.

    Each record holds a run's metrics at full precision, its config and
    options, seed, commit, machine and wall time. :meth:`add` re-reads the
    file before writing, so several threads (or calls) add to one archive.

    Args:
        path (str): The JSON file (created on the first :meth:`add`).
        suite (str): The suite's name; a file of another suite is refused.
    """

    def __init__(self, path: str, suite: str):
        self.path, self.suite = path, suite
        self._lock = threading.Lock()
        self.runs()  # a bad file stops before any training

    def runs(self) -> Dict[str, Dict]:
        """The archived records by key ({} for a new file)."""
        if not osp.isfile(self.path):
            return {}
        try:
            with open(self.path) as f:
                data = json.load(f)
            suite, runs = data['suite'], data['runs']
        except (ValueError, KeyError, TypeError) as e:
            raise SystemExit(
                f'error: {self.path} is not a run archive ({e!r}); expected '
                '{"suite": ..., "format": 1, "runs": {...}} as the benchmark '
                'writes it: restore the file (git checkout) or name a new '
                'one') from e
        if suite != self.suite:
            raise SystemExit(f'error: {self.path} archives suite {suite!r}, '
                             f'not {self.suite!r}: name another file')
        return runs

    def add(self, key: str, record: Dict) -> None:
        """Add (or replace) one run's record."""
        with self._lock:
            runs = self.runs()
            runs[key] = record
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            tmp = f'{self.path}.tmp'
            with open(tmp, 'w') as f:
                json.dump(dict(suite=self.suite, format=ARCHIVE_FORMAT,
                               runs=runs), f, indent=1, sort_keys=True)
                f.write('\n')
            os.replace(tmp, self.path)
