"""The result tables of the docs, regenerated from the archives under
``docs/results/``.

Each :class:`Block` is a span of a markdown file between
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` whose text a function
renders from archives alone. ``python tools/analysis_tools/report.py``
rewrites every block; ``--check`` lists the blocks whose committed text
differs (a test runs it), so a table cannot drift from its runs.
"""
import glob
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List

from . import across
from .realdata.ssl_archive import read_archive
from .realdata.tables import (per_unit_of, pooled_pairs, summarize_ssl,
                              summarize_suite)
from .records import RunArchive

RESULTS = osp.join('docs', 'results')
SSL_ARCHIVE = osp.join(RESULTS, 'ssl_fmnist8-32px.json')
ABLATION_ARCHIVE = osp.join(RESULTS, 'csdnet-ablation.json')
CHECK_ARCHIVES = osp.join(RESULTS, 'csdnet_check', '*.json')
# The pooled pairs of the check-across table: one default against another.
CHECK_PAIRS = (('full_neck10x', 'full'), ('ssdp_neck10x', 'ssdp'),
               ('full_queue1024', 'full'), ('full_ssdt0.5', 'full'),
               ('full_ssdt2', 'full'), ('full_box0.5', 'full'),
               ('ssdp', 'random_view'), ('ssdp', 'stock_2x'),
               ('full', 'ssdp'))


@dataclass(frozen=True)
class Block:
    """A generated span of a markdown file.

    Args:
        path (str): The file, relative to the repository root.
        name (str): The marker name.
        render (Callable[[str], str]): The block's text from the archives
            under a repository root.
    """
    path: str
    name: str
    render: Callable[[str], str]

    def markers(self):
        return (f'<!-- {self.name}:start -->\n',
                f'<!-- {self.name}:end -->')


def check_across(root: str) -> str:
    tasks = across.load(sorted(glob.glob(osp.join(root, CHECK_ARCHIVES))))
    return across.table(tasks) + '\n\n' + across.pooled_pairs(
        tasks, CHECK_PAIRS)


def ssl_tables(root: str) -> str:
    return summarize_ssl(read_archive(osp.join(root, SSL_ARCHIVE)))


# SSDP against the stock classifier and the two controls.
ABLATION_PAIRS = (('view', 'stock'), ('view', 'stock_2x'),
                  ('view', 'random_view'), ('stock_2x', 'stock'),
                  ('random_view', 'stock'))


def ablation_tables(root: str) -> str:
    runs = RunArchive(osp.join(root, ABLATION_ARCHIVE),
                      'csdnet-ablation').runs()
    per_unit = per_unit_of(runs)
    return (summarize_suite('csdnet-ablation', per_unit) + '\n\n' +
            pooled_pairs(per_unit, ABLATION_PAIRS))


BLOCKS = (
    Block('docs/benchmarks.md', 'check-across', check_across),
    Block('docs/benchmarks.md', 'csdnet-ablation', ablation_tables),
    Block('docs/benchmarks.md', 'ssl-tables', ssl_tables),
)


def _span(text: str, block: Block, path: str):
    start, end = block.markers()
    if start not in text or end not in text:
        raise ValueError(f'{path}: markers {start.strip()} ... '
                         f'{end.strip()} not found: put them around the '
                         f'table {block.name} renders')
    a = text.index(start) + len(start)
    return a, text.index(end, a)  # the block's text ends with a newline


def stale(root: str) -> List[str]:
    """The blocks (``path#name``) whose committed text differs from what
    the archives give."""
    found = []
    for block in BLOCKS:
        path = osp.join(root, block.path)
        with open(path) as f:
            text = f.read()
        a, b = _span(text, block, path)
        if text[a:b] != block.render(root) + '\n':
            found.append(f'{block.path}#{block.name}')
    return found


def write(root: str) -> Dict[str, bool]:
    """Rewrite every block; ``{path#name: changed}``."""
    changed = {}
    for block in BLOCKS:
        path = osp.join(root, block.path)
        with open(path) as f:
            text = f.read()
        a, b = _span(text, block, path)
        new = text[:a] + block.render(root) + '\n' + text[b:]
        changed[f'{block.path}#{block.name}'] = new != text
        with open(path, 'w') as f:
            f.write(new)
    return changed
