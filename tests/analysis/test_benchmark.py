"""tools/benchmark.py and its logic (csdnet_mm/analysis/): what it
builds, counts and computes. No timing is asserted (shared machines)."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from csdnet_mm import analysis
from csdnet_mm.errors import UserInputError
from conftest import PYTHON, REPO_ROOT, run_tool

DEMO = osp.join(REPO_ROOT, 'configs', 'demo')


def _side(name, batch_size=2, **kwargs):
    return analysis.ModelUnderTest(
        osp.join(DEMO, name), kwargs.pop('options', None), torch.device('cpu'),
        batch_size, kwargs.pop('size', None), 0, False, **kwargs)


def test_amp_and_channels_last_reach_the_step_and_the_inference():
    """--amp: the step's forward runs under autocast (bf16 activations,
    fp32 weights and losses); --channels-last: the weights and the
    inference inputs in that memory format."""
    side = _side('csdnet_r18_demo.py', size=32, amp='bf16', channels_last=True)
    seen = []
    side.model.backbone.register_forward_hook(
        lambda module, args, out: seen.append(
            (out[-1] if isinstance(out, tuple) else out).dtype))
    log_vars = side.train_step()
    assert seen and set(seen) == {torch.bfloat16}  # both views
    steps = len(seen)
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    weight = side.model.backbone.conv1.weight
    assert weight.dtype == torch.float32
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert side.inference() is not None and len(seen) == steps + 1
    assert seen[-1] == torch.bfloat16
    with pytest.raises(UserInputError, match='fp8'):
        _side('resnet18_demo.py', amp='fp8')


def test_views_and_input_size_come_from_the_training_pipeline():
    classifier = Config.fromfile(osp.join(DEMO, 'resnet18_demo.py'))
    moco = Config.fromfile(osp.join(DEMO, 'mocov2_demo.py'))
    synthpairs = Config.fromfile(osp.join(DEMO, 'synthpairs_mocov2_demo.py'))
    assert [analysis.num_views(c)
            for c in (classifier, moco, synthpairs)] == [1, 2, 3]
    assert analysis.input_size(classifier) == 64
    assert analysis.input_size(synthpairs) == 64
    ufg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'baselines', 'resnet50_cotton80.py'))
    assert analysis.input_size(ufg) == 384  # Resize 440 -> RandomCrop 384


def test_batch_is_identical_for_a_seed_and_shaped_like_the_loader():
    a = analysis.make_batch(3, 8, 3, num_classes=2, seed=1)
    b = analysis.make_batch(3, 8, 3, num_classes=2, seed=1)
    assert len(a['inputs']) == 3 and a['inputs'][0].shape == (3, 3, 8, 8)
    assert a['inputs'][0].dtype == torch.uint8
    for x, y in zip(a['inputs'], b['inputs']):
        assert torch.equal(x, y)
    assert [int(s.gt_label) for s in a['data_samples']] == [0, 1, 0]
    single = analysis.make_batch(3, 8, 1, num_classes=2, seed=1)
    assert torch.equal(single['inputs'], a['inputs'][0])


def test_pretrained_init_is_dropped_everywhere():
    cfg = dict(
        backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='x')),
        decoder=[dict(init_cfg=dict(type='Pretrained'))],
        neck=dict(init_cfg=dict(type='Kaiming')))
    analysis.strip_pretrained(cfg)
    assert cfg['backbone']['init_cfg'] is None
    assert cfg['decoder'][0]['init_cfg'] is None
    assert cfg['neck']['init_cfg'] == dict(type='Kaiming')


def test_inference_parameters_leave_out_training_only_parts():
    side = _side('synthpairs_mocov2_demo.py')
    model = side.model
    complexity = side.complexity()
    backbone = analysis.count_parameters(model.backbone)
    # Encoder only: not the momentum encoder, projection, or decoder.
    assert complexity['params_inference'] == backbone
    assert complexity['params'] == analysis.count_parameters(model) > (
        backbone + analysis.count_parameters(model.decoder))
    assert complexity['flops_backbone'] == complexity['flops_inference'] > 0

    classifier = _side('csdnet_r18_demo.py').complexity()
    stock = _side('resnet18_demo.py').complexity()
    assert classifier['params_backbone'] == stock['params_backbone']
    # CSDNet's inference adds the SSDP neck's parameters to the stock path.
    assert classifier['params_inference'] > stock['params_inference']


def test_peak_memory_covers_the_resident_state_and_the_step():
    side = _side('resnet18_demo.py', batch_size=4)
    side.train_step()
    resident = side.resident_bytes()
    params = sum(p.numel() * 4 for p in side.model.parameters())
    # Weights and AdamW's two moments (gradients are freed between steps).
    assert resident >= 3 * params
    # During the step all gradients exist at once, on top of that.
    assert side.peak_train_bytes() >= resident + params


def test_state_updates_are_timed_for_the_share_of_a_step():
    side = _side('mocov2_demo.py')
    side.train_step()
    assert side.state_update_seconds > 0
    before = side.model.queue_ptr.clone()
    side.train_step()
    assert not torch.equal(before, side.model.queue_ptr)  # still enqueues


@pytest.mark.slow
def test_cli_prints_the_table_and_writes_consistent_json(tmp_path):
    out = tmp_path / 'result.json'
    result = run_tool([
        PYTHON, 'tools/benchmark.py', 'configs/demo/resnet18_demo.py',
        'configs/demo/csdnet_r18_demo.py', '--batch-size', '2', '--warmup',
        '1', '--repeats', '2', '--threads', '1', '--profile', '3', '--out',
        str(out)
    ],
                      env={'MALLOC_ARENA_MAX': '2'})
    assert result.returncode == 0, result.stderr[-3000:]
    for row in ('train step (median)', 'inference (median)',
                'peak train memory', 'FLOPs backbone', 'queue/bank updates',
                'minor page faults / train step'):
        assert row in result.stdout, row
    data = json.loads(out.read_text())
    # The allocator environment is part of what a CPU figure was measured
    # under.
    assert data['setup']['allocator'] == {'MALLOC_ARENA_MAX': '2'}
    assert 'allocator settings: MALLOC_ARENA_MAX=2' in result.stdout
    # Faults per step: the median of the 2 timed steps' counts, as the
    # table prints it (rounded).
    faults = [data[side]['page_faults_per_step'] for side in 'ab']
    assert all(float(2 * f).is_integer() for f in faults), faults
    row = next(
        line for line in analysis.format_table(data).splitlines()
        if line.startswith('minor page faults / train step'))
    assert row in result.stdout.splitlines()
    assert data['setup']['repeats'] == 2 and data['setup']['batch_size'] == 2
    for key in ('train_step_s', 'inference_s'):
        assert data['a'][key]['n'] == data['b'][key]['n'] == 2
        ratios = data['ratio'][key]
        assert ratios['min'] <= ratios['median'] <= ratios['max']
    assert data['ratio']['params'] == pytest.approx(data['b']['params'] /
                                                    data['a']['params'])
    assert data['ratio']['params_backbone'] == 1.0
    extra = data['extra_params_vs_a_backbone']
    assert extra == pytest.approx(
        (data['b']['params_inference'] - data['a']['params_inference']) /
        data['a']['params_backbone'])
    assert 'Profile (torch.profiler, CPU self time' in result.stdout
    for kind in ('train_step', 'inference'):
        assert len(data['profile'][kind]['top']) == 3
        assert f"B/A {data['profile'][kind]['ratio']:.3f}" in result.stdout


def test_profile_finds_where_b_spends_its_extra_time():
    a, b = _side('resnet18_demo.py'), _side('csdnet_r18_demo.py')
    for side in (a, b):
        side.train_step()
    report = analysis.profile_ops(a, b, top=5)
    train = report['train_step']
    assert train['total_a_s'] > 0 and train['total_b_s'] > 0
    assert train['total_b_s'] == pytest.approx(train['ratio'] *
                                               train['total_a_s'])
    deltas = [row['b_s'] - row['a_s'] for row in train['top']]
    assert deltas == sorted(deltas, reverse=True)
    # SSDP's crop-and-zoom view is an operator the stock model never runs.
    assert 'aten::grid_sampler_2d' in train['only_b']
    assert 'aten::grid_sampler_2d' not in report['inference']['only_b']
    text = analysis.format_profile(report)
    assert text.count('B/A') == 2 and 'largest B - A' in text


class _CountingSide:
    """A side of the comparison whose steps add set numbers of page faults
    to a fake counter and report fixed sizes."""

    def __init__(self, name, counter, train_faults):
        self.config, self.device = name, torch.device('cpu')
        self.counter, self.train_faults = counter, iter(train_faults)
        self.state_update_seconds = 0.0

    def train_step(self):
        self.counter[0] += next(self.train_faults)

    def inference(self):
        self.counter[0] += 1000  # counted, but not per train step

    def peak_train_bytes(self):
        return 100

    def complexity(self):
        return dict(
            params=10,
            params_inference=8,
            params_backbone=4,
            flops_backbone=40,
            flops_inference=50)


def test_page_faults_per_step_are_the_median_over_the_timed_steps(monkeypatch):
    from csdnet_mm.analysis import step_timing
    counter = [0]
    monkeypatch.setattr(step_timing, 'minor_page_faults', lambda: counter[0])
    # One warm-up step, 3 timed steps, then the step timed for the state
    # update share: only the 3 timed steps count.
    a = _CountingSide('a', counter, [500, 7, 1, 4, 900])
    b = _CountingSide('b', counter, [500, 30, 10, 20, 900])
    results = analysis.compare(a, b, warmup=1, repeats=3)
    assert results['a']['page_faults_per_step'] == 4
    assert results['b']['page_faults_per_step'] == 20
    # Printed rounded, with B/A of the medians.
    assert any(line.split()[-3:] == ['4', '20', '5.000']
               for line in analysis.format_table(results).splitlines()
               if line.startswith('minor page faults / train step'))


def test_minor_page_faults_count_memory_touched_for_the_first_time():
    before = analysis.minor_page_faults()
    # 64 MiB is above glibc's largest mmap threshold, so the pages are new
    # to the process and filling them must fault.
    fresh = torch.empty(16 * 2**20, dtype=torch.float32).fill_(1.0)
    assert analysis.minor_page_faults() - before > 0
    assert fresh.sum() == fresh.numel()


@pytest.mark.slow
def test_cli_missing_input_size_is_a_clear_error(tmp_path):
    config = tmp_path / 'no_pipeline.py'
    config.write_text(
        "_base_ = ['{}']\ntrain_dataloader = dict(dataset=dict(pipeline=[]))".
        format(osp.join(DEMO, 'resnet18_demo.py')))
    result = run_tool([
        PYTHON, 'tools/benchmark.py',
        str(config), 'configs/demo/resnet18_demo.py', '--repeats', '1'
    ])
    assert result.returncode == 2
    assert 'pass --input-size' in result.stderr
    assert 'Traceback' not in result.stderr
