"""The tables in the docs are what the archived runs give."""
import glob
import os.path as osp

from conftest import REPO_ROOT

from csdnet_mm.benchmarks import across

# The rows of docs/benchmarks.md's pooled table, in order.
PAIRS = ['full_neck10x:full', 'ssdp_neck10x:ssdp', 'full_queue1024:full',
         'full_ssdt0.5:full', 'full_ssdt2:full', 'full_box0.5:full',
         'ssdp:random_view', 'ssdp:stock_2x', 'full:ssdp']


def test_check_across_tasks_table_is_reprinted_from_the_archives():
    archives = sorted(glob.glob(osp.join(
        REPO_ROOT, 'docs', 'results', 'csdnet_check', '*.json')))
    assert len(archives) >= 3
    tasks = across.load(archives)
    expected = across.table(tasks) + '\n\n' + across.pooled_pairs(
        tasks, [pair.split(':', 1) for pair in PAIRS])
    with open(osp.join(REPO_ROOT, 'docs', 'benchmarks.md')) as f:
        text = f.read()
    start = text.index('<!-- check-across:start -->\n') + len(
        '<!-- check-across:start -->\n')
    end = text.index('\n<!-- check-across:end -->')
    assert text[start:end] == expected
