import os
import textwrap

import pytest

from conftest import PYTHON, run_tool

pytestmark = pytest.mark.slow

SNIPPET = textwrap.dedent("""
    import os, sys
    from csdnet_mm.allocator import setup_cpu_allocator
    print(os.getpid(), sys.argv[1:], setup_cpu_allocator(), flush=True)
""")


def _run(tmp_path, env, *args):
    script = tmp_path / 'tool.py'
    script.write_text(SNIPPET)
    return run_tool([PYTHON, str(script), *args], env=env)


def test_found_library_is_preloaded_by_one_re_execution(tmp_path):
    # Not a real library: the loader says it cannot preload it and goes on,
    # which is enough to see the re-execution and what it passed on.
    fake = tmp_path / 'libtcmalloc_minimal.so.4'
    fake.write_bytes(b'not an ELF file')
    result = _run(
        tmp_path,
        {'CSDNET_MM_ALLOCATOR_LIBS': f'/nonexistent/libjemalloc.so.2:{fake}'},
        '--flag', 'a b')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1  # printed once: by the re-executed process
    assert lines[0].endswith(f"['--flag', 'a b'] {fake} (preloaded by "
                             'csdnet_mm)')


@pytest.mark.parametrize('mode', ['auto', 'glibc'])
def test_without_a_library_glibc_keeps_its_memory(tmp_path, mode):
    result = _run(tmp_path, {'CSDNET_MM_ALLOCATOR': mode})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        'glibc malloc, thresholds raised with mallopt')


def test_mallopt_accepts_every_setting():
    result = run_tool([
        PYTHON, '-c',
        textwrap.dedent("""
        from csdnet_mm.allocator import GLIBC_SETTINGS, tune_glibc
        print([value for _, value in GLIBC_SETTINGS], tune_glibc())
    """)
    ])
    assert result.stdout.strip().splitlines()[-1] == \
        f'{[4 << 30, 256 << 20, 0]} True', result.stderr


def test_off_and_a_user_preload_are_left_alone(tmp_path):
    off = _run(tmp_path, {'CSDNET_MM_ALLOCATOR': 'off'})
    assert off.stdout.strip().endswith('unchanged (CSDNET_MM_ALLOCATOR=off)')
    fake = tmp_path / 'libjemalloc.so.2'
    fake.write_bytes(b'')
    user = _run(tmp_path, {
        'LD_PRELOAD': str(fake),
        'CSDNET_MM_ALLOCATOR_LIBS': str(fake)
    })
    assert user.stdout.strip().endswith(f'{fake} (preloaded by the user)')
    bad = _run(tmp_path, {'CSDNET_MM_ALLOCATOR': 'fast'})
    assert bad.returncode == 1
    assert "CSDNET_MM_ALLOCATOR='fast': expected one of auto, glibc, off" \
        in bad.stderr


def test_importing_the_plugin_chooses_no_allocator():
    result = run_tool([
        PYTHON, '-c', 'import os, csdnet_mm; '
        'print(os.environ.get("CSDNET_MM_ALLOCATOR_ACTIVE"))'
    ],
                      env={'CSDNET_MM_ALLOCATOR_LIBS': os.devnull})
    assert result.stdout.strip().splitlines()[-1] == 'None'


def _losses(work_dir):
    from csdnet_mm.benchmarks.scalars import logged_losses
    return list(logged_losses(work_dir).values())


def test_train_logs_the_same_losses_with_and_without_the_allocator(
        tmp_path, demo_root):
    from conftest import REPO_ROOT
    config = os.path.join(REPO_ROOT, 'tests', 'data', 'tiny_csdnet_demo.py')
    runs = {}
    for mode in ('glibc', 'off'):
        work_dir = str(tmp_path / mode)
        result = run_tool([
            PYTHON, 'tools/train.py', config, '--work-dir', work_dir,
            '--cfg-options', f'train_dataloader.dataset.data_root={demo_root}',
            f'val_dataloader.dataset.data_root={demo_root}'
        ],
                          env={'CSDNET_MM_ALLOCATOR': mode})
        assert result.returncode == 0, result.stderr[-2000:]
        runs[mode] = _losses(work_dir)
    assert len(runs['off']) == 4 and runs['glibc'] == runs['off']
