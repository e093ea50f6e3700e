"""The GPU check's search for the largest batch and its back-off on
out-of-memory, with a fake device (these paths run only on CUDA)."""
import types

import pytest
import torch

from csdnet_mm.benchmarks.gpu import throughput

MIB = 2**20


class FakeSide:
    """A method whose step needs 100 MiB + 10 MiB per image, on a device
    of ``total`` MiB that fails above ``limit`` images (fragmentation: the
    real limit is below what the linear model gives)."""
    limit = 10**6
    built = []

    def __init__(self, batch):
        self.batch = batch
        FakeSide.built.append(batch)

    def train_step(self):
        if self.batch > FakeSide.limit:
            raise torch.cuda.OutOfMemoryError('CUDA out of memory.')

    def peak_train_bytes(self):
        return (100 + 10 * self.batch) * MIB


@pytest.fixture
def fake_device(monkeypatch):
    FakeSide.built = []
    monkeypatch.setattr(
        throughput, '_side',
        lambda spec, which, batch, amp, cl, device: FakeSide(batch))
    monkeypatch.setattr(
        torch.cuda, 'get_device_properties',
        lambda device: types.SimpleNamespace(total_memory=1100 * MIB))
    monkeypatch.setattr(throughput, '_free', lambda device: None)
    spec = throughput.pair_specs(dry_run=False)['csdnet']
    return spec


def test_largest_batch_extrapolates_the_peak_to_90_percent(fake_device):
    # (0.9 * 1100 - 100) / 10 = 89 -> 88, a multiple of 8.
    batch = throughput.largest_batch(
        fake_device, 'bf16', False, torch.device('cuda'), log=lambda _: None)
    assert batch == 88
    assert FakeSide.built == [16, 32, 88]


def test_largest_batch_backs_off_on_out_of_memory(fake_device):
    FakeSide.limit = 70
    try:
        batch = throughput.largest_batch(
            fake_device,
            'bf16',
            False,
            torch.device('cuda'),
            log=lambda _: None)
    finally:
        FakeSide.limit = 10**6
    # 88 fails, 88 * 0.85 = 74.8 -> 72 fails, 72 * 0.85 = 61.2 -> 56 fits.
    assert batch == 56
    assert FakeSide.built[2:] == [88, 72, 56]


def test_measure_reports_out_of_memory_apart_from_other_failures(
        fake_device, monkeypatch):

    def compare(a, b, warmup, repeats):
        a.train_step()
        raise ValueError('not a memory problem')

    monkeypatch.setattr(throughput, 'compare', compare)
    FakeSide.limit = 40
    try:
        oom = throughput.measure(fake_device, 'fp16', True, 64, True,
                                 torch.device('cuda'), 1, 3)
        other = throughput.measure(fake_device, 'fp16', True, 32, False,
                                   torch.device('cuda'), 1, 3)
    finally:
        FakeSide.limit = 10**6
    assert oom.status == 'oom' and 'OutOfMemoryError' in oom.error
    assert other.status == 'fail' and 'not a memory problem' in other.error


def test_summary_lists_measured_cells_and_names_failed_ones():
    from csdnet_mm.benchmarks.gpu import summary_markdown
    keys = dict(pair='csdnet', amp='fp16', largest=True)
    measured = dict(
        keys,
        channels_last=False,
        batch_size=88,
        images_per_s_a=900.0,
        images_per_s_b=450.0,
        peak_mb_a=40000.0,
        peak_mb_b=70000.0,
        step_ratio=2.0,
        inference_ratio=1.01)
    checks = [
        dict(
            kind='amp',
            target='csdnet/fp16/NCHW/bs88 (largest)',
            status='pass',
            detail='',
            data=measured),
        dict(
            kind='amp',
            target='csdnet/fp16/channels_last/bs32 (largest)',
            status='fail',
            detail='OutOfMemoryError: CUDA out of memory.',
            data=dict(keys, channels_last=True, batch_size=32)),
    ]
    markdown = summary_markdown(
        dict(
            mode='CUDA',
            device='GPU',
            torch='2',
            iters=4,
            wall_s=1.0,
            dry_run=False,
            failed=True,
            checks=checks))
    row = '| csdnet | fp16 | NCHW | 88 (largest) | 900.0 | 450.0 |'
    assert row in markdown
    assert 'channels_last | 32' not in markdown
    failed = ('| amp | csdnet/fp16/channels_last/bs32 (largest) | fail | '
              'OutOfMemoryError')
    assert failed in markdown
    assert 'result: FAIL' in markdown
