"""Run records: what a finished training is archived with."""
import json
import multiprocessing
import os
import time

import pytest

from csdnet_mm.benchmarks.records import (RunArchive, machine_label,
                                          run_seconds, training_record)
from csdnet_mm.errors import UserInputError
from conftest import PYTHON, run_tool


def write_work_dir(root, final=None):
    run = root / '20261206_220000'
    (run / 'vis_data').mkdir(parents=True)
    lines = [{
        'lr': 0.1,
        'loss': 2.3,
        'iter': 10,
        'step': 10
    }, {
        'accuracy/top1': 12.0,
        'step': 5
    }, {
        'loss': 2.0,
        'iter': 20,
        'step': 20
    }, {
        'accuracy/top1': 30.0,
        'step': 10
    }]
    (run / 'vis_data' /
     'scalars.json').write_text('\n'.join(json.dumps(line)
                                          for line in lines) + '\n')
    (root / 'resnet18_demo.py').write_text('model = dict()\n')
    if final is not None:
        path = root / 'final_val_metrics.json'
        path.write_text(json.dumps(final))
        started = time.mktime(
            time.strptime('20261206_220000', '%Y%m%d_%H%M%S'))
        os.utime(path, (started + 263, started + 263))


def test_training_record_has_metrics_curve_wall_time_and_machine(tmp_path):
    write_work_dir(tmp_path, {'accuracy/top1': 30.0})
    record = training_record(str(tmp_path), threads=1, note='alone')
    assert record['metrics'] == {'val/accuracy/top1': 30.0}
    assert record['val_curve'] == [{
        'accuracy/top1': 12.0,
        'step': 5
    }, {
        'accuracy/top1': 30.0,
        'step': 10
    }]
    assert record['config'] == 'resnet18_demo.py'
    assert record['seconds'] == 263.0
    assert record['machine']['threads'] == 1
    assert record['machine']['cores'] == os.cpu_count()
    assert record['note'] == 'alone'
    # tools/test.py's metrics join the validation ones.
    (tmp_path / 'test_metrics.json').write_text(
        json.dumps({'accuracy/top1': 28.0}))
    assert training_record(str(tmp_path))['metrics'] == {
        'val/accuracy/top1': 30.0,
        'test/accuracy/top1': 28.0
    }


def test_run_seconds_sums_every_piece_of_a_resumed_run_and_its_tests(tmp_path):

    def piece(work_dir, name, seconds):
        log = work_dir / name / 'vis_data' / 'scalars.json'
        log.parent.mkdir(parents=True)
        log.write_text('{}\n')
        started = time.mktime(time.strptime(name, '%Y%m%d_%H%M%S'))
        os.utime(log, (started + seconds, started + seconds))

    train, test = tmp_path / 'synthpairs', tmp_path / 'synthpairs_retrieval'
    # A training stopped after 100 s and resumed for 250 s, then its test.
    piece(train, '20261206_220000', 100)
    piece(train, '20261207_080000', 250)
    piece(test, '20261207_090000', 30.5)
    (train / 'not_a_run').mkdir()
    (train / '20261207_100000').mkdir()  # a run that wrote nothing
    assert run_seconds(str(train), str(test),
                       str(tmp_path / 'missing')) == 380.5
    assert run_seconds(str(tmp_path / 'missing')) is None


def test_options_are_recorded_only_when_the_dumped_config_has_them(tmp_path):
    write_work_dir(tmp_path, {'accuracy/top1': 30.0})
    (tmp_path / 'resnet18_demo.py').write_text(
        "model = dict(qc_loss=dict(type='QueueContrastiveLoss'), "
        'queue_neck=None)\n')
    options = [
        'model.qc_loss.type=QueueContrastiveLoss', 'model.queue_neck=None'
    ]
    record = training_record(str(tmp_path), options=options)
    assert record['options'] == options
    with pytest.raises(
            UserInputError, match='model.queue_neck.type is not set'):
        training_record(
            str(tmp_path), options=['model.queue_neck.type=MemoryQueueNeck'])
    with pytest.raises(UserInputError, match='model.neck is not set'):
        training_record(str(tmp_path), options=['model.neck=None'])


def test_unfinished_run_is_refused_with_what_to_pass(tmp_path):
    write_work_dir(tmp_path)
    with pytest.raises(UserInputError, match='final_val_metrics.json'):
        training_record(str(tmp_path))


@pytest.mark.slow
def test_archive_run_adds_the_record_under_its_key(tmp_path):
    write_work_dir(tmp_path / 'work', {'accuracy/top1': 30.0})
    archive = tmp_path / 'demo.json'
    tool = 'tools/analysis_tools/archive_run.py'
    result = run_tool([
        PYTHON, tool,
        str(tmp_path / 'work'), '--archive',
        str(archive), '--key', 'resnet18_demo'
    ])
    assert result.returncode == 0, result.stderr
    runs = RunArchive(str(archive), 'runs').runs()
    assert runs['resnet18_demo']['metrics'] == {'val/accuracy/top1': 30.0}
    assert 'resnet18_demo' in result.stdout
    # A work dir without final metrics: a message, not a traceback.
    result = run_tool(
        [PYTHON, tool,
         str(tmp_path), '--archive',
         str(archive), '--key', 'x'])
    assert result.returncode == 2
    assert 'error:' in result.stderr and 'Traceback' not in result.stderr


def _add_records(path: str, worker: int, count: int) -> None:
    archive = RunArchive(path, 'runs')
    for i in range(count):
        archive.add(f'{worker}/{i}', {'metrics': {'val/top1': float(i)}})


def test_suites_side_by_side_lose_no_record(tmp_path):
    # Two suite commands on one archive (one per core) each re-read and
    # replace the file; without the lock one's record would overwrite the
    # other's.
    path = str(tmp_path / 'ssl.json')
    context = multiprocessing.get_context('fork')
    workers = [
        context.Process(target=_add_records, args=(path, worker, 40))
        for worker in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    runs = RunArchive(path, 'runs').runs()
    assert len(runs) == 4 * 40
    assert not [name for name in os.listdir(tmp_path) if name.endswith('.tmp')]


def test_machine_label_names_device_cores_threads_and_allocator():
    assert machine_label(None) == 'machine not recorded'
    assert machine_label({'label': 'M3 (2-core CPU)'}) == 'M3 (2-core CPU)'
    assert machine_label(
        dict(cpu='EPYC', cores=2, threads=1, torch='2.1', allocator='glibc')
    ) == ('EPYC, 2 cores, 1 thread(s) per run, torch 2.1, allocator glibc')
    assert machine_label(
        dict(
            cpu='EPYC',
            gpu='H200',
            cores=16,
            threads=None,
            torch='2.1',
            allocator='x')).startswith('H200, 16 cores, torch 2.1')
