"""The tables in the docs are what the archived runs give."""
import shutil

import pytest

from csdnet_mm.benchmarks import report
from conftest import REPO_ROOT


def test_every_generated_table_is_what_the_archives_give():
    assert report.stale(REPO_ROOT) == []


def test_a_table_edited_by_hand_is_found_and_rewritten(tmp_path):
    root = tmp_path / 'repo'
    for block in report.BLOCKS:
        (root / block.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f'{REPO_ROOT}/{block.path}', root / block.path)
    shutil.copytree(f'{REPO_ROOT}/docs/results', root / 'docs' / 'results')
    block = report.BLOCKS[0]
    path = root / block.path
    text = path.read_text()
    start = text.index(block.markers()[0]) + len(block.markers()[0])
    path.write_text(text[:start] + '| hand-typed | 1.00 |\n' + text[start:])
    assert report.stale(str(root)) == [f'{block.path}#{block.name}']
    assert report.write(str(root))[f'{block.path}#{block.name}']
    assert report.stale(str(root)) == []
    assert path.read_text() == text


def test_missing_markers_say_which_file_and_table(tmp_path):
    block = report.BLOCKS[0]
    (tmp_path / block.path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / block.path).write_text('no markers\n')
    with pytest.raises(ValueError, match=block.name):
        report.stale(str(tmp_path))
