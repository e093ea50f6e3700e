"""Runs the plugin's tools as child processes, one log per step, for the
benchmark suites and the per-dataset check."""
import contextlib
import os
import os.path as osp
import signal
import subprocess
import threading
from typing import Dict, Iterator, List, Optional, Set

from ..errors import UserInputError

_PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))


def checkout_root() -> Optional[str]:
    """The repository the package runs from, or None for an installed copy
    (whose configs and tools live in ``csdnet_mm/.mim``)."""
    root = osp.dirname(_PACKAGE)
    return root if osp.isfile(osp.join(root, 'tools', 'train.py')) else None


def plugin_file(*parts: str) -> str:
    """A path under the plugin's ``tools/`` or ``configs/``: the checkout's,
    or the copy an installed package carries for ``mim``."""
    for base in (checkout_root(), osp.join(_PACKAGE, '.mim')):
        if base and osp.exists(osp.join(base, *parts)):
            return osp.join(base, *parts)
    raise UserInputError(f'{osp.join(*parts)} of csdnet_mm not found next to '
                         f'the package ({_PACKAGE}); reinstall it with pip')


def log_tail(log: str, lines: int = 15) -> str:
    with open(log) as f:
        return ''.join(f.readlines()[-lines:])


class StepFailed(RuntimeError):
    """A command the runner started exited with an error.

    Args:
        message (str): What failed, with the log's path and its tail.
        returncode (int): The command's exit status (e.g.
            ``errors.COLLAPSE_EXIT_STATUS`` for a run CollapseHook stopped).
        log (str): The command's log file.
    """

    def __init__(self, message: str, returncode: int = 1, log: str = ''):
        super().__init__(message)
        self.returncode, self.log = returncode, log


class ChildProcesses:
    """Starts commands and stops the running ones on SIGTERM.

    ``kill <pid>`` reaches only the driving process; without passing it on,
    a training would go on filling its work dir with nothing left to read
    its result. Threads may start commands concurrently (``--jobs``).
    """

    def __init__(self):
        self._children: Set[subprocess.Popen] = set()
        # Re-entrant: the SIGTERM handler runs in the main thread, possibly
        # while that thread holds the lock in run().
        self._lock = threading.RLock()
        # A thread between two steps when the signal comes must not start
        # its next one.
        self.stopping = threading.Event()

    def run(self,
            cmd: List[str],
            log: str,
            env: Optional[Dict] = None,
            cwd: Optional[str] = None,
            append: bool = False) -> int:
        """Run ``cmd`` with stdout and stderr in ``log``; its exit status."""
        os.makedirs(osp.dirname(osp.abspath(log)), exist_ok=True)
        with open(log, 'a' if append else 'w') as f:
            with self._lock:
                if self.stopping.is_set():
                    raise StepFailed(
                        f'{cmd[1]} not started: told to stop (SIGTERM)',
                        128 + signal.SIGTERM, log)
                child = subprocess.Popen(
                    cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT)
                self._children.add(child)
            with child:
                try:
                    return child.wait()
                finally:
                    with self._lock:
                        self._children.discard(child)

    def stop(self, signum: int, frame=None) -> None:
        """SIGTERM handler: terminate the running commands, start no more,
        then exit with 128 + signum. An interrupted training resumes from
        its last checkpoint when the caller runs again."""
        with self._lock:
            self.stopping.set()
            children = list(self._children)
        for child in children:
            child.terminate()
        for child in children:
            child.wait()
        raise SystemExit(128 + signum)

    @contextlib.contextmanager
    def stopped_by_sigterm(self) -> Iterator[None]:
        """Install :meth:`stop` as the SIGTERM handler while inside (main
        thread only; elsewhere the caller's handler stays)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGTERM, self.stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)
