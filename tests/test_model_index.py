"""model-index.yml and the metafiles (MMPretrain's format) list every
config once (aliases under the config they name), define each collection
once, point at files that exist, and are what the generator writes."""
import ast
import glob
import json
import os.path as osp
import statistics

import pytest
import yaml

from conftest import PYTHON, REPO_ROOT, run_tool

COTTON80 = 'csdnet_resnet50_1xb8-160e_cotton80-384px'
CSDNET_DEMO = 'csdnet_resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo'


def _metafiles():
    index = yaml.safe_load(open(osp.join(REPO_ROOT, 'model-index.yml')))
    return [
        yaml.safe_load(open(osp.join(REPO_ROOT, metafile)))
        for metafile in index['Import']
    ]


def _models():
    metafiles = _metafiles()
    # As modelindex (mim search, mmpretrain.get_model) resolves them: over
    # every imported metafile.
    collections = [
        c['Name'] for meta in metafiles for c in meta.get('Collections', [])
    ]
    assert len(collections) == len(set(collections)), collections
    for meta in metafiles:
        for model in meta['Models']:
            assert model['In Collection'] in collections, model['Name']
            yield model


def _alias(path):
    """The config an alias (a file that is only `_base_ = '...'`) names."""
    lines = open(osp.join(REPO_ROOT, path)).read().splitlines()
    if len(lines) == 1 and lines[0].startswith('_base_ = '):
        target = ast.literal_eval(lines[0][len('_base_ = '):])
        return osp.normpath(osp.join(osp.dirname(path), target))
    return None


def test_every_config_is_listed_once_with_task_and_data():
    models = list(_models())
    listed = [m['Config'] for m in models]
    configs = sorted(
        osp.relpath(p, REPO_ROOT) for p in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p)
    aliases = {p: _alias(p) for p in configs if _alias(p)}
    assert 'configs/csdnet_r50_cotton80.py' in aliases
    assert sorted(listed) == sorted(set(configs) - set(aliases))
    assert set(aliases.values()) <= set(listed)
    for model in models:
        assert osp.isfile(osp.join(REPO_ROOT, model['Config']))
        assert model['Metadata']['Task'] and model['Metadata'][
            'Training Data'], model['Name']
    by_name = {m['Name']: m for m in models}
    assert by_name[COTTON80]['In Collection'] == 'CSDNet'
    assert by_name[COTTON80]['Config'] == f'configs/csdnet/{COTTON80}.py'
    assert by_name['resnet50_cotton80']['In Collection'] == 'Baselines'
    assert by_name['synthpairs-mocov2_resnet50_4xb32-coslr-100e_cub'][
        'Metadata']['Task'] == 'Self-supervised Pre-training'
    # Results only where a run archive holds runs of the config: the mean
    # over its archived seeds.
    with open(osp.join(REPO_ROOT, 'docs', 'results',
                       'csdnet-ablation.json')) as f:
        runs = json.load(f)['runs'].values()
    stock = [
        r['metrics']['test/top1'] for r in runs
        if r['backbone'] == 'efficientnet-lite0' and r['run'] == 'stock'
        and r['task'] == 'fmnist8-10shot'
    ]
    assert len(stock) >= 2
    assert by_name['efficientnet-lite0_1xb16-coslr-30e_fmnist8-10shot'][
        'Results'][0]['Metrics'] == {
            'Top 1 Accuracy': round(statistics.mean(stock), 2)
        }
    # The demo SSL chain has no archive: no figure.
    assert 'Results' not in by_name[
        'synthpairs-mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo']
    assert by_name[COTTON80]['Results'] == [
        dict(
            Task='Image Classification',
            Dataset=by_name[COTTON80]['Metadata']['Training Data'],
            Metrics={})
    ]
    # The demo CSDNet config: its archived run (one seed), as it ships.
    with open(osp.join(REPO_ROOT, 'docs', 'results', 'demo.json')) as f:
        demo = json.load(f)['runs']['csdnet_r18_demo']
    assert 'options' not in demo
    assert by_name[CSDNET_DEMO]['Results'][0]['Metrics'] == {
        'Top 1 Accuracy': demo['metrics']['val/accuracy/top1']
    }
    assert 'Results' not in by_name[
        'synthpairs-decoder_resnet18-cifar-w32_1xb32-adam-20e_ufg-demo']


@pytest.mark.slow
def test_files_are_up_to_date_with_the_generator():
    result = run_tool([PYTHON, 'tools/misc/make_model_index.py', '--check'])
    assert result.returncode == 0, result.stderr
