"""tools/realdata_benchmark.py: the whole chain on tiny synthetic
Fashion-MNIST files (one epoch per training), resume, and the summary."""
import argparse
import json
import operator
import os
import os.path as osp
import signal
import subprocess
import time

import pytest

from csdnet_mm.benchmarks.realdata import definitions as defs
from csdnet_mm.benchmarks.realdata import run_ssl_suite, suites
from csdnet_mm.benchmarks.realdata.ssl_archive import (add_run, machines_of,
                                                       open_archive,
                                                       per_seed_of)
from csdnet_mm.benchmarks.realdata.tables import (mean_std, ssl_campaigns,
                                                  ssl_pairs, summarize,
                                                  summarize_ssl,
                                                  summarize_suite)
from csdnet_mm.benchmarks.runner import ChildProcesses, StepFailed
from conftest import PYTHON, REPO_ROOT, run_tool, write_fashion_source

pytest.importorskip('efficientnet_lite_pytorch')

SCRIPT = osp.join('tools', 'realdata_benchmark.py')


def test_summary_is_mean_and_sample_std_with_each_seed():
    assert mean_std([60.0, 64.0, 68.0]) == '64.00 ± 4.00'
    assert mean_std([50.0]) == '50.00'

    def run(top1):
        return {'accuracy/top1': top1}

    def retrieval(r1):
        return {
            'retrieval/rank1': r1,
            'retrieval/rank5': r1 + 10,
            'retrieval/mAP': r1 - 10
        }

    per_seed = {}
    for seed, base in ((0, 60.0), (1, 62.0)):
        per_seed[seed] = {'stock': run(base), 'csdnet': run(base + 1)}
        for encoder in ('imagenet', 'mocov2', 'synthpairs'):
            per_seed[seed][f'{encoder}_linear'] = run(base - 10)
            per_seed[seed][f'{encoder}_retrieval'] = retrieval(base - 20)
    table = summarize(per_seed)
    assert 'Seeds 0 / 1' in table
    assert '| CSDNet | 62.00 ± 1.41 (61.0 / 63.0) |' in table
    assert ('| MoCo v2 | 51.00 ± 1.41 (50.0 / 52.0) | 41.00 ± 1.41 '
            '(40.0 / 42.0) | 51.00 ± 1.41 (50.0 / 52.0) | 31.00 ± 1.41 '
            '(30.0 / 32.0) |') in table


@pytest.fixture(scope='module')
def src(tmp_path_factory):
    root = tmp_path_factory.mktemp('fashion_src')
    write_fashion_source(root, 7, 6, 3)
    return root


def _benchmark(src, tmp_path):
    return run_tool([
        PYTHON, SCRIPT, '--seeds', '0', '--src',
        str(src), '--work-dir',
        str(tmp_path / 'work'), '--data-dir',
        str(tmp_path / 'data'), '--shots', '1', '--unlabeled-per-class', '4',
        '--test-per-class', '2', '--val-per-class', '1', '--threads', '1',
        '--cfg-options', 'train_cfg.max_epochs=1'
    ],
                    timeout=1200)


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_whole_chain_runs_then_a_second_call_only_reads(src, tmp_path):
    result = _benchmark(src, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    work = tmp_path / 'work' / 'seed0'
    for run in ('stock', 'csdnet', 'mocov2', 'synthpairs_decoder',
                'synthpairs', 'imagenet_linear', 'mocov2_linear',
                'synthpairs_linear'):
        assert (work / run / 'finished_checkpoint').is_file(), run
    # Training validated on the val split; the test split was tested once.
    log = (work / 'stock' / 'train.log').read_text()
    assert "split='val'" in log or "'split': 'val'" in log
    # Stage 2 started from this seed's stage-1 decoder.
    log = (work / 'synthpairs' / 'train.log').read_text()
    assert str(work / 'synthpairs_decoder' / 'epoch_1.pth') in log
    results = json.loads((tmp_path / 'work' / 'results.json').read_text())
    assert set(results['0']) == {
        'stock', 'csdnet', 'imagenet_linear', 'imagenet_retrieval',
        'mocov2_linear', 'mocov2_retrieval', 'synthpairs_linear',
        'synthpairs_retrieval'
    }
    for name, metrics in results['0'].items():
        assert all(0.0 <= v <= 100.0 for v in metrics.values()), name
    table = (tmp_path / 'work' / 'results.md').read_text()
    assert table.strip() in result.stdout
    assert '| SynthPairs-MoCo |' in table

    again = _benchmark(src, tmp_path)
    assert again.returncode == 0, again.stderr
    assert '] train ' not in again.stdout and '] test ' not in again.stdout
    assert '] done' in again.stdout
    assert table.strip() in again.stdout


@pytest.mark.slow
def test_failed_step_names_its_log(tmp_path, src):
    result = run_tool([
        PYTHON, SCRIPT, '--seeds', '0', '--src',
        str(src), '--work-dir',
        str(tmp_path / 'work'), '--data-dir',
        str(tmp_path / 'data'), '--shots', '1', '--unlabeled-per-class', '4',
        '--test-per-class', '2', '--val-per-class', '1', '--cfg-options',
        'model.backbone.arch=lite9'
    ])
    assert result.returncode == 1
    assert 'seed 0, train stock: exit status 2' in result.stderr
    assert "arch='lite9' is not one of" in result.stderr
    assert str(tmp_path / 'work' / 'seed0' / 'stock' / 'train.log') in \
        result.stderr


def _children_running(parent_pid: int, marker: str) -> list:
    """PIDs of ``parent_pid``'s children whose command line has ``marker``."""
    pids = []
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().decode(errors='replace')
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent_pid and marker in cmdline:
            pids.append(int(entry))
    return pids


@pytest.mark.slow
@pytest.mark.skipif(not osp.isdir('/proc'), reason='reads /proc')
def test_sigterm_stops_the_training_it_started(tmp_path, src):
    work = tmp_path / 'work'
    benchmark = subprocess.Popen([
        PYTHON, SCRIPT, '--seeds', '0', '--src',
        str(src), '--work-dir',
        str(work), '--data-dir',
        str(tmp_path / 'data'), '--shots', '1', '--unlabeled-per-class', '4',
        '--test-per-class', '2', '--val-per-class', '1', '--threads', '1'
    ],
                                 cwd=REPO_ROOT,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
    training = []
    try:
        deadline = time.monotonic() + 300
        while not training and benchmark.poll() is None:
            assert time.monotonic() < deadline, 'no training started'
            time.sleep(0.5)
            training = _children_running(benchmark.pid, 'tools/train.py')
        assert training, benchmark.stdout.read().decode()[-2000:]
        time.sleep(1)
        benchmark.send_signal(signal.SIGTERM)
        assert benchmark.wait(timeout=60) == 128 + signal.SIGTERM
        # The benchmark waited for its training to end: no process is left.
        assert not osp.exists(f'/proc/{training[0]}')
    finally:
        benchmark.kill()
        benchmark.wait()
        for pid in training:  # what a failed check would have left
            if osp.exists(f'/proc/{pid}'):
                os.kill(pid, signal.SIGKILL)


def test_no_command_starts_after_sigterm(monkeypatch, tmp_path):
    """With --jobs > 1 a seed's thread can be between two steps when the
    signal comes: its next command must not start."""
    children = ChildProcesses()
    with pytest.raises(SystemExit) as stop:
        children.stop(signal.SIGTERM)
    assert stop.value.code == 128 + signal.SIGTERM
    marker = tmp_path / 'started'
    with pytest.raises(StepFailed, match='not started') as failed:
        children.run([PYTHON, '-c', f'open({str(marker)!r}, "w")'],
                     str(tmp_path / 'log'))
    assert failed.value.returncode == 128 + signal.SIGTERM
    assert not marker.exists()


def test_ablation_table_has_paired_differences_and_collapses():

    def run(val, test):
        return {'metrics': {'val/top1': val, 'test/top1': test}}

    per_unit = {}
    for seed, base in ((0, 60.0), (1, 64.0)):
        results = {
            row.name: run(base + i, base + 2 * i)
            for i, row in enumerate(defs.ABLATION)
        }
        per_unit[('mobilenet-v2', 'upper4-5shot', seed)] = results
    per_unit[('mobilenet-v2', 'upper4-5shot', 1)]['full'] = {
        'collapsed_at': 57.0
    }
    table = summarize_suite('csdnet-ablation', per_unit)
    assert '**mobilenet-v2, upper4-5shot** — seeds 0 / 1' in table
    # SSDP + SSDT is row 3: val base + 3, test base + 6, +6 over stock.
    assert ('| SSDP + SSDT | 65.00 ± 2.83 (63.0 / 67.0) | 68.00 ± 2.83 '
            '(66.0 / 70.0) | 6.00 ± 0.00 (6.0 / 6.0) |') in table
    assert ('| SSDP + DDL + SSDT | collapsed on 1 of 2 seeds (stopped at '
            'iteration 57) | – | – |') in table
    assert '**All' not in table  # one unit: nothing to pool

    # A second unit (one seed, val 10 points lower): the pooled table
    # weighs each unit's seed mean equally.
    per_unit[('efficientnet-lite0', 'fmnist8-10shot', 0)] = {
        row.name: run(50.0 + i, 50.0 + 2 * i)
        for i, row in enumerate(defs.ABLATION)
    }
    table = summarize_suite('csdnet-ablation', per_unit)
    assert '**All 2 backbone × task units**' in table
    # SSDP + SSDT: val (65 + 53) / 2; test - stock +6 in all three runs.
    assert '| SSDP + SSDT | 59.00 | 6.00 ± 0.00, n = 3 |' in table
    assert '| SSDP + DDL + SSDT | collapsed in some runs | – |' in table


def test_stability_grid_covers_every_rate_and_multiplier():
    names = [row.name for row in defs.stability_rows()]
    assert len(names) == len(set(names)) == 3 * (1 + 2) + 1
    assert 'csdnet_lr0.03_neck10x' in names
    assert 'csdnet_lr0.003_neck1x' in names
    assert names[-1] == 'csdnet_norm-none_lr0.03_neck10x'
    options = {row.name: row.options for row in defs.stability_rows()}
    assert options[names[-1]] == (
        'optim_wrapper.optimizer.lr=0.03',
        'optim_wrapper.paramwise_cfg.custom_keys.neck.lr_mult=10',
        'model.neck.pattern_norm=none')


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_ablation_suite_runs_every_variant(tmp_path):
    """The ablation suite end to end on tiny synthetic idx files (one epoch
    per run, one backbone, the 5-shot task): every variant trains on the
    shots, reports val (its own split) and test top-1."""
    root = tmp_path / 'src'
    root.mkdir()
    write_fashion_source(root, 3, 8, 2)
    result = run_tool([
        PYTHON, SCRIPT, '--suite', 'csdnet-ablation', '--seeds', '0',
        '--backbones', 'efficientnet-lite0', '--tasks', 'upper4-5shot',
        '--src',
        str(root), '--work-dir',
        str(tmp_path / 'work'), '--data-dir',
        str(tmp_path / 'data'), '--test-per-class', '2', '--val-per-class',
        '2', '--threads', '1', '--archive',
        str(tmp_path / 'archive.json'), '--cfg-options',
        'train_cfg.max_epochs=1'
    ],
                      timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    data = tmp_path / 'data' / 'upper4-5shot' / 'seed0' / 'anno'
    assert len((data / 'train.txt').read_text().splitlines()) == 20
    assert len((data / 'val.txt').read_text().splitlines()) == 8
    out = tmp_path / 'work' / 'csdnet-ablation'
    results = json.loads((out / 'results.json').read_text())
    runs = results['efficientnet-lite0/upper4-5shot/0']
    assert set(runs) == {row.name for row in defs.ABLATION}
    for name, record in runs.items():
        metrics = record['metrics']
        assert set(metrics) == {'val/top1', 'test/top1'}, name
        # 8 val / 8 test images of 4 classes: multiples of 12.5 %.
        assert metrics['val/top1'] % 12.5 == 0, name
        assert record['machine']['threads'] == 1
        assert record['seconds'] > 0 and record['seed'] == 0
    work = out / 'efficientnet-lite0' / 'upper4-5shot' / 'seed0'
    # Each variant trained the modules it names, validating on val.txt.
    logs = {name: (work / name / 'train.log').read_text() for name in runs}
    assert 'loss_qc' in logs['full'] and 'loss_ssdt' in logs['full']
    assert 'loss_qc' not in logs['view_ssdt']
    assert 'loss_cls_aug' in logs['view']
    assert 'loss_cls_aug' not in logs['reweight']
    assert 'gate_mean' in logs['reweight']
    assert "'split': 'val'" in logs['stock'] or "split='val'" in \
        logs['stock']
    table = (out / 'results.md').read_text().strip()
    assert table in result.stdout
    # Every run went into the archive as it finished; the archive alone
    # reprints the table (a fresh clone has no work dir).
    archive = json.loads((tmp_path / 'archive.json').read_text())
    assert archive['suite'] == 'csdnet-ablation'
    assert {key.rsplit('/', 1)[1] for key in archive['runs']} == set(runs)
    report = run_tool([
        PYTHON, SCRIPT, '--suite', 'csdnet-ablation', '--report', '--archive',
        str(tmp_path / 'archive.json'), '--work-dir',
        str(tmp_path / 'fresh')
    ])
    assert report.returncode == 0, report.stderr
    assert table in report.stdout
    # --runs narrows the suite; a second call trains nothing.
    again = run_tool([
        PYTHON, SCRIPT, '--suite', 'csdnet-ablation', '--seeds', '0',
        '--backbones', 'efficientnet-lite0', '--tasks', 'upper4-5shot',
        '--runs', 'stock', 'random_view', '--src',
        str(root), '--work-dir',
        str(tmp_path / 'work'), '--data-dir',
        str(tmp_path / 'data'), '--test-per-class', '2', '--val-per-class', '2'
    ])
    assert again.returncode == 0, again.stderr
    assert '] train ' not in again.stdout
    assert '| control: stock + random crop-and-zoom view |' in again.stdout
    assert '| SSDP + DDL |' not in again.stdout
    # A row without the stock classifier: with --archive the table takes
    # the archived rows of the unit too (the paired column needs stock).
    only = run_tool([
        PYTHON, SCRIPT, '--suite', 'csdnet-ablation', '--seeds', '0',
        '--backbones', 'efficientnet-lite0', '--tasks', 'upper4-5shot',
        '--runs', 'random_view', '--src',
        str(root), '--work-dir',
        str(tmp_path / 'work'), '--data-dir',
        str(tmp_path / 'data'), '--test-per-class', '2', '--val-per-class',
        '2', '--archive',
        str(tmp_path / 'archive.json')
    ])
    assert only.returncode == 0, only.stderr
    assert '| stock ImageClassifier |' in only.stdout
    assert '| SSDP + DDL |' in only.stdout


def test_ssl_table_gives_each_encoder_and_the_paired_gain_over_mocov2():

    def encoder(linear, rank1):
        return {
            'linear100/test': linear,
            'linear50/test': linear - 2,
            'linear20/test': linear - 5,
            'retrieval/rank1': rank1,
            'retrieval/rank5': rank1 + 10,
            'retrieval/mAP': rank1 - 40
        }

    per_seed = {
        seed: {
            'start': encoder(60 + seed, 70),
            'mocov2': encoder(70 + seed, 80),
            'synthpairs': encoder(73 + 2 * seed, 81)
        }
        for seed in (0, 1)
    }
    # A diagnostic row finished at seed 1 only.
    per_seed[1]['synthpairs_random'] = encoder(69, 75)
    table = summarize_ssl(per_seed)
    assert ('| MoCo v2 | 70.50 ± 0.71 (70.0 / 71.0) | 68.50 ± 0.71 '
            '(68.0 / 69.0) | 65.50 ± 0.71 (65.0 / 66.0) | 80.00 ± 0.00 '
            '(80.0 / 80.0) |') in table
    assert table.count(' | 0 / 1 |') == 4  # three encoders, one difference
    # Paired differences to MoCo v2: +3 and +4 at every label fraction.
    assert ('| SynthPairs-MoCo | 3.50 ± 0.71 (3.0 / 4.0) | 3.50 ± 0.71 '
            '(3.0 / 4.0) | 3.50 ± 0.71 (3.0 / 4.0) | 0 / 1 |') in table
    # The partial row is over its own seed, and so is its difference.
    assert ('| SynthPairs, random noise on all dimensions | 69.00 (69.0) | '
            '67.00 (67.0) | 64.00 (64.0) | 75.00 (75.0) | 85.00 (85.0) | '
            '35.00 (35.0) | 1 |') in table
    assert ('| SynthPairs, random noise on all dimensions | -2.00 (-2.0) | '
            '-2.00 (-2.0) | -2.00 (-2.0) | 1 |') in table
    # A diagnostic row is also paired with its method's default.
    default = table.split('| encoder − SynthPairs-MoCo (paired) |')[1].split(
        '\n\n')[0]
    assert default.strip().splitlines()[2:] == [
        '| SynthPairs, random noise on all dimensions | -6.00 (-6.0) | '
        '-6.00 (-6.0) | -6.00 (-6.0) | 1 |'
    ]
    # The same linear tables on the validation split, once runs have it.
    assert 'Validation split' not in table
    for runs in per_seed.values():
        for metrics in runs.values():
            metrics.update({
                f'linear{p}/val': metrics[f'linear{p}/test'] + 1
                for p in (100, 50, 20)
            })
    validation = summarize_ssl(per_seed).split('Validation split')[1]
    assert (
        '| MoCo v2 | 71.50 ± 0.71 (71.0 / 72.0) | 69.50 ± 0.71 '
        '(69.0 / 70.0) | 66.50 ± 0.71 (66.0 / 67.0) | 0 / 1 |') in validation
    assert ('| encoder − MoCo v2 (paired) | linear 100 % (val) | '
            'linear 50 % (val) | linear 20 % (val) | seeds |') in validation
    assert ('| SynthPairs-MoCo | 3.50 ± 0.71 (3.0 / 4.0) | 3.50 ± 0.71 '
            '(3.0 / 4.0) | 3.50 ± 0.71 (3.0 / 4.0) | 0 / 1 |') in validation
    assert ('| SynthPairs, random noise on all dimensions | -6.00 (-6.0) | '
            '-6.00 (-6.0) | -6.00 (-6.0) | 1 |') in validation
    # A run without a split's figures is left out of that split's tables.
    del per_seed[1]['synthpairs_random']['linear20/val']
    validation = summarize_ssl(per_seed).split('Validation split')[1]
    assert 'random noise' not in validation
    # Rows that did not run are left out.
    assert 'Grad-CAM noise only' not in table
    assert 'SimSiam' not in table
    # SynthPairs-SimSiam is paired with SimSiam, in its own table.
    per_seed[0]['simsiam'] = encoder(65, 78)
    per_seed[0]['synthpairs_simsiam'] = encoder(66, 79)
    table = summarize_ssl(per_seed)
    moco = table.split('| encoder − MoCo v2 (paired) |')[1].split('\n\n')[0]
    assert 'SimSiam' not in moco
    simsiam = table.split('| encoder − SimSiam (paired) |')[1].split('\n\n')[0]
    assert simsiam.strip().splitlines()[2:] == [
        '| SynthPairs-SimSiam | 1.00 (1.0) | 1.00 (1.0) | 1.00 (1.0) | 0 |'
    ]
    del per_seed[0]['simsiam'], per_seed[0]['synthpairs_simsiam']
    del per_seed[1]['synthpairs_random']
    # Without a SynthPairs row there is no difference table.
    for seed in per_seed.values():
        del seed['synthpairs']
    assert 'paired' not in summarize_ssl(per_seed)


def test_each_ssl_row_sets_the_arguments_it_names():
    import argparse

    from mmengine.config import Config, DictAction
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    # --cfg-options as tools/train.py parses it.
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    init_default_scope('mmpretrain')
    for row in defs.SSL_ROWS:
        if not row.options:
            continue
        name = row.name
        cfg = Config.fromfile(
            osp.join(REPO_ROOT, 'configs', 'fashion_mnist',
                     defs.SSL_CONFIGS[row.method]))
        parsed = parser.parse_args(['--cfg-options', *row.options]).cfg_options
        cfg.merge_from_dict(parsed)
        cfg.model.decoder.init_cfg = None
        model = MODELS.build(cfg.model)
        for key, value in parsed.items():
            attribute = key.removeprefix('model.')
            assert operator.attrgetter(attribute)(model) == value, (name, key)


def ssl_record(seed, run, metrics, machine=None):
    return dict(
        suite='ssl', seed=seed, run=run, metrics=metrics, machine=machine)


def test_archive_keeps_finished_runs_beyond_their_work_dir(tmp_path, capsys):
    path = tmp_path / 'results' / 'ssl.json'
    moco, synthpairs = {'linear100/test': 70.0}, {'linear100/test': 73.0}
    archive = open_archive(str(path))  # a new file
    add_run(archive, ssl_record(0, 'synthpairs', synthpairs))
    add_run(archive, ssl_record(0, 'mocov2', moco))
    add_run(archive, ssl_record(1, 'mocov2', {'linear100/test': 71.0}))
    # Another call reads what the first wrote; tables are by seed, in the
    # suite's row order.
    runs = open_archive(str(path)).runs()
    assert sorted(runs) == ['seed0/mocov2', 'seed0/synthpairs', 'seed1/mocov2']
    per_seed = per_seed_of(runs.values())
    assert list(per_seed) == [0, 1]
    assert list(per_seed[0]) == ['mocov2', 'synthpairs']
    assert per_seed[0]['synthpairs'] == synthpairs
    assert json.loads(path.read_text())['suite'] == 'ssl'
    assert capsys.readouterr().err == ''
    # The same figures again keep the archived record (its machine); a
    # rerun whose figures differ is said and wins.
    machine = {'label': 'M1'}
    add_run(archive, ssl_record(0, 'mocov2', moco, machine))
    assert archive.runs()['seed0/mocov2']['machine'] is None
    add_run(archive, ssl_record(0, 'mocov2', {'linear100/test': 69.5},
                                machine))
    warning = capsys.readouterr().err
    assert 'seed 0, mocov2' in warning
    assert 'linear100/test 70.0 -> 69.5' in warning
    assert archive.runs()['seed0/mocov2']['metrics'] == {
        'linear100/test': 69.5
    }
    assert machines_of(archive.runs().values()) == {
        0: {
            'mocov2': 'M1',
            'synthpairs': 'machine not recorded'
        },
        1: {
            'mocov2': 'machine not recorded'
        }
    }
    # A file that is not such an archive is named, and left as it is.
    for text in ('{"0": {"mocov2": ', '[1, 2]', '{"zero": {}}'):
        path.write_text(text)
        with pytest.raises(SystemExit, match='is not a run archive'):
            open_archive(str(path))
        assert path.read_text() == text


def test_ssl_table_names_the_machine_of_each_run():

    def encoder(top1):
        return dict.fromkeys([key for key, _ in defs.SSL_METRICS], top1)

    per_seed = {
        s: {
            'mocov2': encoder(70.0 + s),
            'synthpairs': encoder(72.0 + s)
        }
        for s in (0, 1)
    }
    one = {s: dict.fromkeys(per_seed[s], 'CPU X') for s in per_seed}
    table = summarize_ssl(per_seed, one)
    assert 'Every run: CPU X.' in table and 'machine |' not in table
    mixed = {
        0: {
            'mocov2': 'CPU X',
            'synthpairs': 'GPU Y'
        },
        1: {
            'mocov2': 'CPU X',
            'synthpairs': 'CPU X'
        }
    }
    table = summarize_ssl(per_seed, mixed)
    assert 'A = CPU X; B = GPU Y.' in table
    # Each seed's letter, and a paired row's run and baseline letters.
    assert '| 0 / 1 | A / A |' in table
    assert '| 0 / 1 | B / A |' in table
    assert '| 0 / 1 | BA / AA |' in table
    assert table.count('| seeds | machine |') == 2
    # The pairs table counts the seeds whose two runs share a machine.
    pairs = ssl_pairs(per_seed, mixed, [('synthpairs', 'mocov2')])
    assert pairs.splitlines()[2].startswith(
        '| SynthPairs-MoCo − MoCo v2 | +2.00 (+2.0..+2.0), 2/2 |')
    assert pairs.endswith('| 0 / 1 | 1 of 2 |')


def test_campaigns_table_differs_row_by_row_on_shared_seeds_only():

    def encoder(top1):
        return dict.fromkeys([key for key, _ in defs.SSL_METRICS], top1)

    later = {
        0: {
            'mocov2': encoder(71.0),
            'simsiam': encoder(60.0)
        },
        1: {
            'mocov2': encoder(72.5)
        },
        2: {
            'mocov2': encoder(80.0)
        }
    }
    earlier = {0: {'mocov2': encoder(70.0)}, 1: {'mocov2': encoder(72.0)}}
    # Letters follow the labels' sorted order (as in summarize_ssl), not the
    # order the seeds meet them.
    machines = {0: {'mocov2': 'GPU Y'}, 1: {'mocov2': 'CPU X'}}
    table = ssl_campaigns(later, earlier, machines, ('rerun', 'first'))
    lines = table.splitlines()
    assert lines[0].startswith('| row: rerun − first | linear 100 % (test)')
    assert "| seeds | first's machine |" in lines[0]
    # Seed 2 is in one archive only and SimSiam in one only: neither shows.
    assert lines[2] == ('| MoCo v2 | ' +
                        ' | '.join(['0.75 ± 0.35 (1.0 / 0.5)'] * 5) +
                        ' | 0 / 1 | B / A |')
    assert [x for x in lines if x.startswith('| ')] == lines[:1] + lines[2:3]
    assert lines[-1] == ('Machines of the first: A = CPU X; B = GPU Y.')
    assert 'no run of one row and seed in common' in ssl_campaigns(
        {2: later[2]}, earlier, machines)


def test_each_finished_ssl_run_is_archived_before_a_later_step_fails(
        tmp_path, monkeypatch):

    def evaluate(suite, name, checkpoint):
        if name == 'mocov2':
            raise StepFailed(f'seed {suite.seed}, test mocov2: exit 1')
        return {'linear100/test': 60.0 + suite.seed}

    monkeypatch.setattr(suites.SSLSuite, 'prepare_data', lambda *a, **k: None)
    monkeypatch.setattr(suites.SSLSuite, 'train', lambda *a: 'epoch_1.pth')
    monkeypatch.setattr(suites.SSLSuite, 'evaluate', evaluate)
    archive = tmp_path / 'archive.json'
    args = argparse.Namespace(
        suite='ssl',
        seeds=[0, 1],
        jobs=2,
        work_dir=str(tmp_path),
        data_dir=str(tmp_path / 'data'),
        ssl_runs=['start', 'mocov2'],
        archive=str(archive),
        report=False,
        dry_run=False,
        cwd=REPO_ROOT,
        threads=1,
        cfg_options=[],
        val_per_class=100)
    assert run_ssl_suite(args, ChildProcesses()) == 1
    # Both seeds' start runs finished before their MoCo v2 step failed,
    # each with its record: config, machine, commit and wall time.
    runs = json.loads(archive.read_text())['runs']
    assert sorted(runs) == ['seed0/start', 'seed1/start']
    for seed in (0, 1):
        record = runs[f'seed{seed}/start']
        assert record['metrics'] == {'linear100/test': 60.0 + seed}
        assert record['config'] == ('configs/fashion_mnist/' +
                                    defs.SSL_CONFIGS['decoder'])
        assert record['machine']['threads'] == 1
        assert record['machine']['cores'] == os.cpu_count()
        assert record['seconds'] >= 0 and 'commit' in record
        assert json.loads((tmp_path / 'ssl' / f'seed{seed}' / 'start' /
                           'record.json').read_text()) == record


@pytest.mark.slow
def test_ssl_report_tabulates_the_finished_runs_and_trains_nothing(tmp_path):
    seed0 = tmp_path / 'ssl' / 'seed0'
    for run, top1 in (('mocov2', 70.0), ('synthpairs', 73.0),
                      ('synthpairs_gen0', 71.0)):
        for fraction in (100, 50, 20):
            work = seed0 / f'{run}_linear{fraction}'
            work.mkdir(parents=True)
            (work / 'test_metrics.json').write_text(
                json.dumps({'accuracy/top1': top1 - fraction / 100}))
            (work / 'final_val_metrics.json').write_text(
                json.dumps({'accuracy/top1': 66.5}))
            (work / 'finished_checkpoint').write_text(str(work / 'e.pth'))
        if run != 'synthpairs_gen0':  # unfinished: no retrieval yet
            (seed0 / f'{run}_retrieval').mkdir()
            (seed0 / f'{run}_retrieval' / 'test_metrics.json').write_text(
                json.dumps({
                    'retrieval/rank1': 1.0,
                    'retrieval/rank5': 2.0,
                    'retrieval/mAP': 3.0
                }))
    archive = tmp_path / 'archive.json'
    open_archive(str(archive)).add(
        'seed1/start',
        ssl_record(1, 'start',
                   dict.fromkeys([key for key, _ in defs.SSL_METRICS], 50.0)))
    result = run_tool([
        PYTHON, SCRIPT, '--suite', 'ssl', '--seeds', '0', '1', '--work-dir',
        str(tmp_path), '--report', '--archive',
        str(archive)
    ])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    results = json.loads((tmp_path / 'ssl' / 'results.json').read_text())
    assert list(results['1']) == ['start']  # from the archive only
    assert '| start (random weights, no SSL) | 50.00 (50.0) |' in \
        result.stdout
    assert sorted(json.loads(archive.read_text())['runs']) == [
        'seed0/mocov2', 'seed0/synthpairs', 'seed1/start'
    ]
    assert list(results['0']) == ['mocov2', 'synthpairs']
    assert results['0']['synthpairs']['linear50/val'] == 66.5
    assert '| SynthPairs-MoCo | 3.00 (3.0) | 3.00 (3.0) | 3.00 (3.0) | 0 |' \
        in result.stdout
    assert not (seed0 / 'synthpairs_decoder').exists()  # nothing trained
    assert not (tmp_path / 'ssl' / 'seed1').exists()
    # The archive alone makes the table: a fresh clone has no work dir.
    fresh = tmp_path / 'fresh'
    result = run_tool([
        PYTHON, SCRIPT, '--suite', 'ssl', '--seeds', '1', '--work-dir',
        str(fresh), '--report', '--archive',
        str(archive)
    ])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert '| start (random weights, no SSL) | 50.00 (50.0) |' in \
        result.stdout
    assert list(json.loads(
        (fresh / 'ssl' / 'results.json').read_text())['1']) == ['start']
    # --report and --archive are not the main suite's.
    assert run_tool([PYTHON, SCRIPT, '--report']).returncode == 2
    assert run_tool([PYTHON, SCRIPT, '--archive',
                     str(archive)]).returncode == 2
    # A bad archive stops the suite before it trains or writes anything.
    archive.write_text('[]')
    result = run_tool([
        PYTHON, SCRIPT, '--suite', 'ssl', '--seeds', '2', '--work-dir',
        str(tmp_path), '--archive',
        str(archive)
    ])
    assert result.returncode == 1
    assert f'{archive} is not a run archive' in result.stderr
    assert not (tmp_path / 'ssl' / 'seed2').exists()


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_ssl_suite_trains_every_encoder_from_one_start(tmp_path):
    """The SSL suite end to end on tiny synthetic idx files (one epoch per
    run, batches of 16): stage 1, MoCo v2, SynthPairs (its lambda_gen = 0
    row, the same config with one option) and SynthPairs-SimSiam from the
    stage-1 encoder and decoder, each evaluated at the three label fractions
    and by retrieval."""
    root = tmp_path / 'src'
    root.mkdir()
    write_fashion_source(root, 5, 12, 2)
    runs = ['start', 'mocov2', 'synthpairs_gen0', 'synthpairs_simsiam']
    result = run_tool([
        PYTHON, SCRIPT, '--suite', 'ssl', '--seeds', '0', '--src',
        str(root), '--work-dir',
        str(tmp_path / 'work'), '--data-dir',
        str(tmp_path / 'data'), '--shots', '5', '--unlabeled-per-class', '4',
        '--val-per-class', '2', '--test-per-class', '2', '--threads', '1',
        '--ssl-runs', *runs, '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=16'
    ],
                      timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    anno = tmp_path / 'data' / 'ssl-pool8k' / 'seed0' / 'anno'
    assert len((anno / 'unlabeled.txt').read_text().splitlines()) == 32
    out = tmp_path / 'work' / 'ssl'
    results = json.loads((out / 'results.json').read_text())['0']
    assert list(results) == runs
    for name, metrics in results.items():
        assert set(metrics) == {
            'linear100/val', 'linear100/test', 'linear50/val', 'linear50/test',
            'linear20/val', 'linear20/test', 'retrieval/rank1',
            'retrieval/rank5', 'retrieval/mAP'
        }, name
    work = out / 'seed0'
    stage1 = str(work / 'synthpairs_decoder' / 'epoch_1.pth')
    for name in runs[1:]:
        log = (work / name / 'train.log').read_text()
        # Every SSL run starts from the stage-1 encoder ...
        assert f'load backbone. in model from: {stage1}' in log, name
    # ... SynthPairs also from its decoder; lambda_gen = 0 leaves L_gen out.
    log = (work / 'synthpairs_gen0' / 'train.log').read_text()
    assert f'load decoder. in model from: {stage1}' in log
    assert 'loss_gen: 0.0000' in log and 'loss_rec: ' in log
    # SynthPairs-SimSiam: the same stage 1, the SimSiam loss and L_gen.
    log = (work / 'synthpairs_simsiam' / 'train.log').read_text()
    assert f'load decoder. in model from: {stage1}' in log
    assert 'SynthPairsSimSiam' in log and 'loss_gen: ' in log
    # SimSiam's collapse watch measures the projector and logs it.
    assert 'embedding_std: ' in log
    # The label fractions train on 100 / 50 / 20 % of the 5 shots.
    for fraction, count in ((100, 40), (50, 24), (20, 8)):
        log = (work / f'mocov2_linear{fraction}' / 'train.log').read_text()
        assert f'[1][{-(-count // 16)}/{-(-count // 16)}]' in log, fraction
    assert (out / 'results.md').read_text().strip() in result.stdout


def test_stability_collapse_row_does_not_follow_the_loop_order(monkeypatch):
    """The earlier-default row is at the highest rate with the 10x neck
    whatever order the grids are listed in."""
    monkeypatch.setattr(defs, 'STABILITY_LRS', (0.03, 0.01, 0.003))
    monkeypatch.setattr(defs, 'NECK_LR_MULTS', (10, 1))
    last = defs.stability_rows()[-1]
    name, options = last.name, last.options
    assert name == 'csdnet_norm-none_lr0.03_neck10x'
    assert options[:2] == (
        'optim_wrapper.optimizer.lr=0.03',
        'optim_wrapper.paramwise_cfg.custom_keys.neck.lr_mult=10')


def test_ablation_controls_double_the_schedule_or_randomise_the_view():
    from mmengine.config import Config

    rows = {row.name: (row.csdnet, row.options) for row in defs.ABLATION}
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', defs.CONFIG_DIR,
                 defs.BACKBONES['mobilenet-v2'].stock))
    # Every key doubles a value the schedule sets to 30.
    for option in rows['stock_2x'][1]:
        key, value = option.split('=')
        node = cfg
        for part in key.split('.'):
            node = node[int(part)] if part.isdigit() else node[part]
        assert (node, int(value)) == (30, 60), key
    is_csdnet, options = rows['random_view']
    assert is_csdnet and 'model.neck.reweight=none' in options
    assert 'model.neck.box_placement=random' in options
    assert set(defs.NO_DDL + defs.NO_SSDT) <= set(options)


def test_pooled_pairs_give_val_and_test_differences_over_every_unit():
    from csdnet_mm.benchmarks.realdata.tables import pooled_pairs

    def run(val, test):
        return {'metrics': {'val/top1': val, 'test/top1': test}}

    per_unit = {
        ('b', 't', 0): {
            'view': run(62.0, 61.0),
            'stock_2x': run(60.0, 62.0)
        },
        ('b', 't', 1): {
            'view': run(64.0, 65.0),
            'stock_2x': run(60.0, 62.0)
        },
        # A collapsed run is left out of the pairs.
        ('b', 'u', 0): {
            'view': {
                'collapsed_at': 9
            },
            'stock_2x': run(50.0, 50.0)
        },
    }
    table = pooled_pairs(per_unit, [('view', 'stock_2x'), ('view', 'gone')])
    # val: +2, +4 -> 3.00 ± 1.41, t(1) = 12.71: 3 ± 12.71; test: -1, +3.
    assert ('| view − stock_2x | +3.00 ± 1.41 (95 % CI -9.71..+15.71) | '
            '+1.00 ± 2.83 (95 % CI -24.41..+26.41) | 2 | 2 / 1 |') in table
    assert 'gone' not in table


def test_collapse_message_keeps_the_finding_not_the_advice():
    from csdnet_mm.benchmarks.realdata.suites import collapse_message
    log = ('Epoch(train) [11][5/5] loss: 4.68\n'
           'error: training collapsed at iteration 59 (epoch 12): loss_cls '
           'has stayed at chance. Terms: gate_mean=0.0000. What to try: a '
           'lower learning rate\n')
    assert collapse_message(log) == (
        'training collapsed at iteration 59 (epoch 12): loss_cls has '
        'stayed at chance. Terms: gate_mean=0.0000.')
    assert collapse_message('Epoch(train) [1][5/5] loss: 2.0\n') is None
