"""A CPU allocator that keeps its memory, chosen by the tools at start-up.

CSDNet holds two views' activations until its one backward pass and
SynthPairs encodes three batches per step. glibc's ``malloc`` hands that
larger peak back to the operating system after every step and faults it in
again on the next, which makes a CPU step about 10 % slower than its
two-pass floor (docs/training.md, "Training on a CPU"). The plugin's tools
call :func:`setup_cpu_allocator` first thing, so a user gets the floor with
a plain ``python tools/train.py``:

* ``auto`` (default): re-execute the tool once with tcmalloc (or jemalloc)
  preloaded when one is installed; otherwise raise glibc's trim, top-pad and
  mmap thresholds with ``mallopt`` (the ``MALLOC_*_`` tunables, set from
  inside the process);
* ``glibc``: only the ``mallopt`` thresholds;
* ``off``: leave the allocator alone.

Set the mode with ``CSDNET_MM_ALLOCATOR=auto|glibc|off``; an allocator the
user preloaded (``LD_PRELOAD``) is kept as it is. Nothing happens on import:
only the tools call this, never ``import csdnet_mm``; a process with a GPU
(``/dev/nvidiactl``) is not re-executed. The allocator changes speed only:
the same run logs the same losses with any of them.
"""
import ctypes
import ctypes.util
import os
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

MODE_ENV = 'CSDNET_MM_ALLOCATOR'
MODES = ('auto', 'glibc', 'off')
# Where to look for a caching allocator; a path list separated by ':'.
# Empty: never re-execute (the test suite sets this).
LIBRARIES_ENV = 'CSDNET_MM_ALLOCATOR_LIBS'
DEFAULT_LIBRARIES = tuple(
    osp.join(prefix, name)
    for prefix in ('/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu',
                   '/usr/lib64', '/usr/lib', '/usr/local/lib')
    for name in ('libtcmalloc_minimal.so.4', 'libtcmalloc.so.4',
                 'libjemalloc.so.2'))
# Set on the re-executed process: what it preloaded.
ACTIVE_ENV = 'CSDNET_MM_ALLOCATOR_ACTIVE'
_MALLOC_NAMES = ('tcmalloc', 'jemalloc', 'mimalloc')
# glibc mallopt parameters (malloc.h): keep up to 4 GiB of freed memory,
# grow the heap by 256 MiB at a time and serve every block from the heap
# (no mmap, whose pages are returned at every free: with a 32 MiB threshold,
# glibc's largest, a 384 px step still faulted 181 k pages back in).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
GLIBC_SETTINGS = ((_M_TRIM_THRESHOLD, 4 << 30), (_M_TOP_PAD, 256 << 20),
                  (_M_MMAP_MAX, 0))


def _preloaded(env: Optional[Dict[str, str]] = None) -> Optional[str]:
    env = os.environ if env is None else env
    for path in env.get('LD_PRELOAD', '').replace(':', ' ').split():
        if any(name in osp.basename(path) for name in _MALLOC_NAMES):
            return path
    return None


def find_library(candidates: Optional[Sequence[str]] = None,
                 env: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The first installed caching allocator of ``candidates`` (default:
    ``$CSDNET_MM_ALLOCATOR_LIBS`` of ``env`` or the usual Debian / Red Hat
    paths)."""
    if candidates is None:
        listed = (os.environ if env is None else env).get(LIBRARIES_ENV)
        candidates = (
            DEFAULT_LIBRARIES
            if listed is None else [p for p in listed.split(':') if p])
    return next((p for p in candidates if osp.isfile(p)), None)


def tune_glibc() -> bool:
    """Set :data:`GLIBC_SETTINGS` with glibc's ``mallopt``; False where the
    C library is not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(param, value) == 1 for param, value in GLIBC_SETTINGS)


def planned(env: Optional[Dict[str, str]] = None) -> str:
    """What :func:`setup_cpu_allocator` will put in effect in a tool started
    with environment ``env`` (default: this process's), e.g. for the
    record of a benchmark run."""
    env = os.environ if env is None else env
    mode = env.get(MODE_ENV, 'auto').strip().lower() or 'auto'
    if mode == 'off':
        return 'unchanged (CSDNET_MM_ALLOCATOR=off)'
    preloaded = _preloaded(env)
    if preloaded:
        return f'{preloaded} (preloaded)'
    library = find_library(env=env) if mode == 'auto' else None
    if library and not osp.exists('/dev/nvidiactl'):
        return f'{library} (preloaded by csdnet_mm)'
    return 'glibc malloc, thresholds raised with mallopt'


def setup_cpu_allocator(mode: Optional[str] = None) -> str:
    """Choose the allocator for this tool process; return what is in
    effect, for the log (e.g. ``'tcmalloc (preloaded by csdnet_mm:
    /usr/lib/.../libtcmalloc_minimal.so.4)'``). May re-execute the process
    (same interpreter, arguments and environment plus ``LD_PRELOAD``)."""
    mode = mode or os.environ.get(MODE_ENV, 'auto').strip().lower() or 'auto'
    if mode not in MODES:
        raise SystemExit(f'error: {MODE_ENV}={mode!r}: expected one of '
                         f'{", ".join(MODES)}')
    if mode == 'off':
        return 'unchanged (CSDNET_MM_ALLOCATOR=off)'
    active = os.environ.get(ACTIVE_ENV)
    if active and _preloaded() == active:
        return f'{active} (preloaded by csdnet_mm)'
    preloaded = _preloaded()
    if preloaded:
        return f'{preloaded} (preloaded by the user)'
    library = find_library() if mode == 'auto' else None
    if library and not active and not osp.exists('/dev/nvidiactl'):
        env = dict(os.environ, **{ACTIVE_ENV: library})
        env['LD_PRELOAD'] = ' '.join(
            p for p in (library, os.environ.get('LD_PRELOAD', '')) if p)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, list(sys.orig_argv), env)
    if tune_glibc():
        return 'glibc malloc, thresholds raised with mallopt'
    return 'unchanged (not glibc)'
