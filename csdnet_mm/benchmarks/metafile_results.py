"""The metafiles' ``Results`` (MMPretrain's format: Task, Dataset, Metrics)
computed from the run archives under ``docs/results/``: a config gets
results only where an archive holds runs of it, each metric the mean over
the archived seeds."""
import statistics
from typing import Dict, List

from .archives import (SSL_FIRST, SSL_RERUN, csdnet_units, demo_runs,
                       ssl_records)
from .realdata import definitions as defs
from .realdata.ssl_archive import per_seed_of

# Short names: `mim search` sizes its key column by the longest
# task/dataset/metric name, and cuts the values (config paths) to the rest.
DATASET = 'Fashion-MNIST'


def _mean(values: List[float]) -> float:
    return round(statistics.mean(values), 2)


def classification(root: str) -> Dict[str, List[Dict]]:
    """Test top-1 of the stock classifier and of full CSDNet on the 8-class
    10-shot task (the suite's configs; the 4-class task sets options)."""
    per_unit = csdnet_units(root)
    results = {}
    for name, backbone in defs.BACKBONES.items():
        for run, config in (('stock', backbone.stock), ('full',
                                                        backbone.csdnet)):
            top1 = [
                runs[run]['metrics']['test/top1']
                for (b, task, _), runs in sorted(per_unit.items())
                if b == name and task == 'fmnist8-10shot'
                and 'metrics' in runs.get(run, {})
            ]
            if top1:
                results[f'configs/{defs.CONFIG_DIR}/{config}'] = [
                    dict(
                        Task='Image Classification',
                        Dataset=DATASET,
                        Metrics={'Top 1 Accuracy': _mean(top1)})
                ]
    return results


def ssl(root: str) -> Dict[str, List[Dict]]:
    """Linear top-1 at 100 / 50 / 20 % labels and retrieval of each SSL
    method's encoder in the SSL comparison protocol: from the one-machine
    archive once it holds three seeds of the method, else from the first
    campaign's."""
    campaigns = [
        per_seed_of(ssl_records(root, path)) for path in (SSL_RERUN, SSL_FIRST)
    ]
    results = {}
    for method, config in defs.SSL_CONFIGS.items():
        found = [[
            rows[method] for rows in per_seed.values() if method in rows
        ] for per_seed in campaigns]
        runs = found[0] if len(found[0]) >= 3 else found[1]
        if not runs:
            continue

        def mean(key: str) -> float:
            return _mean([metrics[key] for metrics in runs])

        results[f'configs/{defs.CONFIG_DIR}/{config}'] = [
            dict(
                Task='Linear Evaluation',
                Dataset=DATASET,
                Metrics={
                    f'Top 1 Accuracy ({p}%)': mean(f'linear{p}/test')
                    for p in defs.SSL_LINEAR
                }),
            dict(
                Task='Image Retrieval',
                Dataset=DATASET,
                Metrics={
                    'Recall@1': mean('retrieval/rank1'),
                    'Recall@5': mean('retrieval/rank5'),
                    'mAP': mean('retrieval/mAP')
                })
        ]
    return results


# The demo runs archived as their configs ship (no options).
DEMO_CONFIGS = {
    'resnet18_demo':
    'configs/demo/resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo.py',
    'csdnet_r18_demo':
    'configs/demo/csdnet_resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo.py',
}


def demo(root: str) -> Dict[str, List[Dict]]:
    """Held-out top-1 of each demo config's archived run (one seed)."""
    runs = demo_runs(root)
    return {
        config: [
            dict(
                Task='Image Classification',
                Dataset='UFG demo',
                Metrics={
                    'Top 1 Accuracy': runs[key]['metrics']['val/accuracy/top1']
                })
        ]
        for key, config in DEMO_CONFIGS.items() if key in runs
    }


def metafile_results(root: str) -> Dict[str, List[Dict]]:
    """{config path: Results} from every archive."""
    return {**demo(root), **classification(root), **ssl(root)}
