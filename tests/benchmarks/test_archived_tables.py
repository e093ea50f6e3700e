"""The tables in the docs are what the archived runs give."""
import json
import shutil

import pytest

from csdnet_mm.benchmarks import report
from csdnet_mm.benchmarks.checkpoint_figures import (diagnostics_table,
                                                     loss_gradient_table)
from csdnet_mm.benchmarks.records import RunArchive
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


def _write(path, record):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_checkpoint_figures_name_each_record_and_keep_cells_whole(tmp_path):
    machine = dict(cpu='EPYC', cores=2, threads=1, torch='2.1', allocator='x')
    common = dict(
        config='configs/demo/csdnet_r18_demo.py',
        options=['model.qc_loss.type=QueueContrastiveLoss'],
        batches=4,
        seed=0,
        machine=machine)
    grads = tmp_path / 'docs' / 'results' / 'loss_gradients'
    _write(
        grads / 'a_start.json',
        dict(
            common,
            checkpoint=None,
            figures=dict(loss_cls=[0.00278, 0.0], loss_qc=[0.00216, 0.00218])))
    _write(
        grads / 'b_end.json',
        dict(
            common,
            checkpoint='/elsewhere/work_dirs/demo/epoch_30.pth',
            figures=dict(loss_cls=[0.0081, 0.0])))
    table = loss_gradient_table(str(tmp_path)).splitlines()
    assert table[2].startswith('| `a_start.json` | `csdnet_r18_demo.py` '
                               '`model.qc_loss.type=QueueContrastiveLoss` | '
                               "the config's initialisation | 0.00278 / 0 |")
    # A term the run does not have; the checkpoint named from work_dirs/.
    assert '`work_dirs/demo/epoch_30.pth` | 0.0081 / 0 | – | – | – |' in (
        table[3])
    assert table[-1] == 'Machine: EPYC, 2 cores, 1 thread(s) per run, ' \
        'torch 2.1, allocator x.'

    diag = tmp_path / 'docs' / 'results' / 'synthpairs_diagnostics'
    _write(
        diag / 'seed0_start.json',
        dict(
            common,
            checkpoint='work_dirs/s/epoch_5.pth',
            figures={
                'pair_change_vs_rec_error': 0.9641,
                'grad_norm/loss_ssl': 0.831,
                'grad_norm/loss_rec': 3.13,
                'grad_norm/loss_gen': 0.467,
                'grad_cos/loss_gen~loss_ssl': -0.293
            }))
    table = diagnostics_table(str(tmp_path))
    # Pipes inside a label are escaped, so each row keeps its two cells.
    assert ("| pair: \\|\\|D(z') - D(z)\\|\\| / \\|\\|D(z) - x\\|\\| | 0.964 |"
            in table)
    assert '| decoder: MSE(D(z), x) / MSE(mean image, x) | – |' in table
    assert '| 0.83 / 3.13 / 0.47 |' in table and '| -0.29 |' in table
    assert '`work_dirs/s/epoch_5.pth` (4 batches, seed 0)' in table


def test_demo_table_gives_each_archived_run_its_curve_and_options(tmp_path):
    archive = RunArchive(
        str(tmp_path / 'docs' / 'results' / 'demo.json'), 'runs')
    archive.add(
        'csdnet_r18_demo_ddl',
        dict(
            metrics={'val/accuracy/top1': 15.0},
            val_curve=[
                dict(step=5, **{'accuracy/top1': 12.0}),
                dict(step=30, **{'accuracy/top1': 15.0})
            ],
            options=['model.qc_loss.type=QueueContrastiveLoss'],
            seconds=725.0,
            note='alone',
            machine=None))
    table = report.demo_table(str(tmp_path)).splitlines()
    assert table[2] == ('| CSDNet, SSDP + DDL + SSDT | '
                        '`model.qc_loss.type=QueueContrastiveLoss` | '
                        '5: 12 / 30: **15.0** | 12 min 5 s | alone |')
    assert table[-1] == 'Machine: machine not recorded'
