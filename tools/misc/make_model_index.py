"""Write model-index.yml and the per-folder metafile.yml files (MMPretrain's
format, read by ``mim search``) from the configs.

    python tools/misc/make_model_index.py [--check]

Every config outside ``configs/_base_`` is listed once with its task,
training data and collection, except aliases: a config that is only
``_base_ = '<path>'`` keeps an old path working and is the model of the
config it names, so only that one is listed (MMPretrain lists each model
once, under its real config). Each collection is defined in one metafile,
its folder's (COLLECTIONS); metafiles of other folders list their models
under it, and model-index.yml imports them all. Results are only those
computed from the run archives under docs/results/
(``csdnet_mm.benchmarks.metafile_results``: a config has results only where
an archive holds its runs); FLOPs and parameters are left out where they
were not measured. ``--check`` exits 1 if the files on disk differ from
what would be written, or a metafile would be removed (a test runs it).
"""
import argparse
import ast
import glob
import os
import os.path as osp
import sys

import yaml

from csdnet_mm.benchmarks.metafile_results import metafile_results

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# Name -> (folder whose metafile defines it, its fields).
COLLECTIONS = {
    'CSDNet': ('configs/csdnet',
               dict(
                   Metadata={
                       'Training Data':
                       ['Ultra-FGVC', 'CUB-200-2011', 'Fashion-MNIST'],
                       'Architecture': [
                           'ResNet', 'EfficientNet-Lite', 'MobileNetV2',
                           'SSDP', 'Memory queue', 'Self-distillation'
                       ]
                   },
                   Paper={
                       'Title':
                       'Learning Contrastive Self-Distillation for '
                       'Ultra-Fine-Grained Visual Categorization Targeting '
                       'Limited Samples',
                       'URL':
                       'https://arxiv.org/abs/2311.06056'
                   },
                   README='configs/csdnet/README.md')),
    'SynthPairs': ('configs/synthpairs',
                   dict(
                       Metadata={
                           'Training Data': [
                               'CUB-200-2011', 'Stanford Cars',
                               'FGVC-Aircraft', 'Cotton80', 'Fashion-MNIST'
                           ],
                           'Architecture': [
                               'ResNet', 'EfficientNet-Lite', 'MoCo v2',
                               'SimSiam', 'Feature decoder'
                           ]
                       },
                       Paper={
                           'Title':
                           'On Learning Discriminative Features from '
                           'Synthesized Data for Self-Supervised Fine-Grained '
                           'Visual Recognition',
                           'URL':
                           'https://arxiv.org/abs/2407.14676'
                       },
                       README='configs/synthpairs/README.md')),
    'Baselines':
    ('configs/baselines',
     dict(
         Metadata={
             'Architecture':
             ['ResNet', 'EfficientNet-Lite', 'MoCo v2', 'SimSiam']
         },
         README='README.md')),
}

DATASETS = (('cotton80', 'Cotton80'), ('soylocal', 'SoyLocal'),
            ('soygene', 'SoyGene'), ('soyglobal', 'SoyGlobal'),
            ('soyageing', 'SoyAgeing'), ('cub', 'CUB-200-2011'),
            ('cars', 'Stanford Cars'), ('aircraft', 'FGVC-Aircraft'),
            ('demo', 'UFG demo'), ('fmnist8',
                                   'Fashion-MNIST (8 classes, few-shot)'))

# Names of the stock models and SSL baselines (the linear and retrieval
# evaluations start with their backbone's name too).
BASELINE_PREFIXES = ('mocov2', 'simsiam', 'resnet', 'efficientnet',
                     'mobilenet')


def describe(path: str, results: dict) -> dict:
    name = osp.splitext(osp.basename(path))[0]
    data = next((title for key, title in DATASETS if key in name), None)
    if 'csdnet' in name:
        collection = 'CSDNet'
    elif name.startswith(BASELINE_PREFIXES):
        collection = 'Baselines'
    else:  # SynthPairs stages and the SSL evaluations
        collection = 'SynthPairs'
    if 'retrieval' in name:
        task = 'Image Retrieval'
    elif 'linear' in name:
        task = 'Linear Evaluation'
    elif 'decoder' in name:
        task = 'Decoder Pre-training'
    elif name.startswith(('mocov2', 'simsiam', 'synthpairs-mocov2',
                          'synthpairs-simsiam', 'synthpairs_mocov2')):
        task = 'Self-supervised Pre-training'
    else:
        task = 'Image Classification'
    entry = {
        'Name': name,
        'In Collection': collection,
        'Metadata': {
            'Training Data': data,
            'Task': task
        },
        'Config': path,
    }
    if path in results:
        entry['Results'] = results[path]
    elif task == 'Image Classification':
        # MMPretrain's inference_model picks its inferencer from the tasks
        # under Results; an entry with the task and no metrics lets
        # inference_model(name, img, pretrained=CKPT) work without claiming
        # a figure nobody measured.
        entry['Results'] = [dict(Task=task, Dataset=data, Metrics={})]
    return entry


def alias_target(path: str):
    """The config an alias names (relative to the repository), or None
    if ``path`` is not just ``_base_ = '<path>'``."""
    with open(osp.join(REPO, path)) as f:
        body = ast.parse(f.read()).body
    if (len(body) == 1 and isinstance(body[0], ast.Assign)
            and [getattr(t, 'id', None)
                 for t in body[0].targets] == ['_base_']
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        return osp.normpath(osp.join(osp.dirname(path), body[0].value.value))
    return None


def listed_configs() -> list:
    """The configs that are models: all outside configs/_base_ but
    aliases."""
    configs = sorted(
        osp.relpath(p, REPO) for p in glob.glob(
            osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p)
    return [p for p in configs if alias_target(p) is None]


def build() -> dict:
    """{file: yaml text} of every metafile and model-index.yml."""
    by_folder: dict = {folder: [] for folder, _ in COLLECTIONS.values()}
    results = metafile_results(REPO)
    for path in listed_configs():
        by_folder.setdefault(osp.dirname(path),
                             []).append(describe(path, results))
    files = {}
    for folder, models in sorted(by_folder.items()):
        meta = {}
        defined = [
            dict(Name=name, **fields)
            for name, (home, fields) in COLLECTIONS.items() if home == folder
        ]
        if defined:
            meta['Collections'] = defined
        meta['Models'] = models
        files[osp.join(folder, 'metafile.yml')] = yaml.safe_dump(
            meta, sort_keys=False, allow_unicode=True)
    files['model-index.yml'] = yaml.safe_dump(
        dict(Import=sorted(f for f in files)), sort_keys=False)
    return files


def stale_metafiles(files: dict) -> list:
    """metafile.yml files under configs/ that build() no longer writes."""
    return sorted(
        rel for rel in (osp.relpath(p, REPO) for p in glob.glob(
            osp.join(REPO, 'configs', '**', 'metafile.yml'), recursive=True))
        if rel not in files)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true')
    args = parser.parse_args(argv)
    stale = []
    files = build()
    for path, text in files.items():
        full = osp.join(REPO, path)
        if args.check:
            if not osp.isfile(full) or open(full).read() != text:
                stale.append(path)
        else:
            with open(full, 'w') as f:
                f.write(text)
    for path in stale_metafiles(files):
        if args.check:
            stale.append(path + ' (to be removed)')
        else:
            os.remove(osp.join(REPO, path))
    if stale:
        print(
            'out of date (run python tools/misc/make_model_index.py): ' +
            ', '.join(stale),
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
