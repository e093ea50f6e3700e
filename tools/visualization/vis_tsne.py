"""t-SNE of the features several models give the same test images.

    python tools/visualization/vis_tsne.py \
        --run "ResNet-18" configs/demo/resnet18_demo.py RUN_A.pth \
        --run "CSDNet" configs/demo/csdnet_r18_demo.py RUN_B.pth \
        [--split test|val] [--max-samples 1000] [--perplexity 30] \
        [--max-iter 1000] [--seed 0] [--out tsne.png]

For each run the config's test (or val) loader feeds the checkpoint's
``extract_feat`` (for a classifier: backbone and neck, i.e. the raw view's
pooled feature the head sees); one panel per run, points coloured by class.
Also prints the silhouette score of the features by class (cosine), a
number to read next to the pictures. MMPretrain's ``vis_tsne.py`` passes
``n_iter`` to scikit-learn's TSNE, which scikit-learn >= 1.7 rejects; this
tool uses ``max_iter``. Needs scikit-learn (``pip install -e .[analysis]``).
"""
import argparse
import os.path as osp

import numpy as np
import torch

from csdnet_mm import compat  # noqa: F401  (fixes before config parse)
from csdnet_mm.errors import UserInputError
from csdnet_mm.tool_utils import (model_cfg_of, quiet_known_warnings,
                                  report_user_errors)


def extract(config: str, checkpoint: str, split: str, max_samples: int):
    """(features, labels) of up to ``max_samples`` images of ``split``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint
    from mmpretrain.registry import MODELS

    if not osp.isfile(checkpoint):
        raise UserInputError(f'checkpoint {checkpoint} does not exist.')
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader_cfg = cfg.get(f'{split}_dataloader')
    if not loader_cfg:
        raise UserInputError(f'{config} has no {split}_dataloader; use '
                             "--split with 'test' or 'val'.")
    loader_cfg = dict(loader_cfg, num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg)
    model = MODELS.build(model_cfg_of(cfg))
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    features, labels = [], []
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            feats = model.extract_feat(data['inputs'])
            feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
            if feats.dim() > 2:
                feats = feats.flatten(2).mean(-1)
            features.append(feats.float())
            labels += [int(s.gt_label) for s in data['data_samples']]
            if len(labels) >= max_samples:
                break
    return (torch.cat(features)[:max_samples].numpy(),
            np.array(labels[:max_samples]))


def embed(features: np.ndarray, perplexity: float, max_iter: int,
          seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE
    perplexity = min(perplexity, (len(features) - 1) / 3)
    return TSNE(
        n_components=2,
        perplexity=perplexity,
        max_iter=max_iter,
        init='pca',
        random_state=seed).fit_transform(features)


def silhouette(features: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score
    return float(silhouette_score(features, labels, metric='cosine'))


@report_user_errors
def main(argv=None):
    quiet_known_warnings()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--run',
        nargs=3,
        action='append',
        required=True,
        metavar=('LABEL', 'CONFIG', 'CHECKPOINT'))
    parser.add_argument('--split', default='test', choices=['test', 'val'])
    parser.add_argument('--max-samples', type=int, default=1000)
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--max-iter', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='tsne.png')
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise UserInputError(
            'vis_tsne.py needs scikit-learn: pip install -e ".[analysis]" '
            '(or pip install scikit-learn).')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(args.run), figsize=(4.5 * len(args.run), 4.5), squeeze=False)
    for ax, (label, config, checkpoint) in zip(axes[0], args.run):
        features, labels = extract(config, checkpoint, args.split,
                                   args.max_samples)
        score = silhouette(features, labels)
        points = embed(features, args.perplexity, args.max_iter, args.seed)
        ax.scatter(points[:, 0], points[:, 1], c=labels, cmap='tab10', s=8)
        ax.set_title(f'{label}\nsilhouette (cosine) {score:.3f}')
        ax.set_xticks([])
        ax.set_yticks([])
        print(f'{label}: {len(labels)} images, {features.shape[1]}-d '
              f'features, silhouette by class (cosine) {score:.4f}')
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    plt.close(fig)
    print(f'saved {args.out}')


if __name__ == '__main__':
    main()
