"""What SynthPairs' generated pairs are made of, on training batches.

    python tools/analysis_tools/synthpairs_diagnostics.py CONFIG CHECKPOINT
        [--batches 4] [--seed 0] [--cfg-options k=v ...] [--out FILE.json]

(``--out``: the figures with the config, checkpoint, options, commit and
machine that gave them.)

Builds the SynthPairs-MoCo / -SimSiam model of CONFIG with CHECKPOINT's
weights, queue and feature bank, runs ``model.loss()`` on a few training
batches in train mode (no optimizer step), keeps the step's intermediates
(clean images x, features z, Grad-CAM scores, perturbed copies z', the
pair D(z), D(z')) and prints, as means over the batches, what item 3 of
the SynthPairs evaluation asks (docs/methods/synthpairs.md, "Diagnostics"):

* **decoder**: MSE of D(z) against x relative to the MSE of the batch's
  mean image (1 = no better than the mean image), and how often f(D(z)) is
  nearest (cosine) to its own source's z among the batch (self-retrieval);
* **Grad-CAM scores**: the share of dimensions scored 0 (the ReLU of
  Eq. 3), the coefficient of variation over dimensions of the Grad-CAM
  noise std (0: every dimension gets the same noise, the scores choose
  nothing) and the overlap (Jaccard) of the 10 % highest-scored dimensions
  between samples;
* **the pair**: ||D(z') - D(z)|| relative to ||D(z) - x||; re-encoded,
  d = f(D(z')) - f(D(z)): its correlation over dimensions with the noise
  |z' - z|, and the share of ||d||^2 on the most-noised quarter of the
  dimensions (0.25 = where the noise went does not matter); the top-1
  accuracy of matching D(z) to D(z') among the batch (1 = L_gen's task is
  solved already);
* **encoder pull**: the norm of each loss term's gradient with respect to
  the backbone's parameters, and the cosine between L_gen's and L_ssl's.
"""
import contextlib
import sys
from collections import defaultdict
from typing import Dict

import torch
import torch.nn.functional as F

from csdnet_mm import compat  # noqa: F401  (fixes before config parse)
from csdnet_mm.benchmarks.checkpoint_figures import DIAGNOSTIC_ROWS as ROWS
from csdnet_mm.benchmarks.records import write_analysis_record
from csdnet_mm.errors import UserInputError
from csdnet_mm.models.selfsup.synthpairs_base import (SynthPairsMixin,
                                                      pool_features)
from csdnet_mm.models.utils.feature_perturbation import minmax_normalize
from csdnet_mm.tool_utils import (checkpoint_analysis_parser,
                                  model_and_train_loader, quiet_known_warnings,
                                  report_user_errors)


@contextlib.contextmanager
def kept(obj, name: str, store: dict, keep):
    """Wrap ``obj.name`` for the duration: call it and let
    ``keep(store, args, result)`` record what it saw."""
    original = getattr(obj, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        keep(store, args, result)
        return result

    setattr(obj, name, wrapper)
    try:
        yield
    finally:
        delattr(obj, name)


def _pairwise_jaccard(top: torch.Tensor, dims: int) -> float:
    sets = torch.zeros(len(top), dims).scatter_(1, top, 1.0)
    inter = sets @ sets.t()
    union = sets.sum(1, keepdim=True) + sets.sum(1) - inter
    off_diagonal = ~torch.eye(len(top), dtype=torch.bool)
    return (inter / union)[off_diagonal].mean().item()


def _rowwise_corr(a: torch.Tensor, b: torch.Tensor) -> float:
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    corr = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-12)
    return corr.mean().item()


@torch.no_grad()
def pair_statistics(model, seen: dict) -> Dict[str, float]:
    """The decoder, Grad-CAM and pair rows of one batch."""
    clean, z, z_pert = seen['clean'], seen['z'].float(), seen['z_pert']
    gen_a, gen_b = seen['gen_a'].float(), seen['gen_b'].float()
    stats = {}
    mean_image_error = (clean - clean.mean(0, keepdim=True)).pow(2).mean()
    stats['rec_mse_vs_mean_image'] = ((gen_a - clean).pow(2).mean() /
                                      mean_image_error).item()
    # The generated pair goes through the encoder as one batch, as in
    # training (train-mode BN normalises over it); one backbone pass serves
    # the pooled features and the projections (``model.embed``).
    pair_feats = model.backbone(torch.cat([gen_a, gen_b]))
    f_a, f_b = pool_features(pair_feats).float().chunk(2)
    nearest = (F.normalize(f_a, dim=1) @ F.normalize(z, dim=1).t()).argmax(1)
    stats['rec_self_retrieval'] = (nearest == torch.arange(
        len(z))).float().mean().item()

    scores = seen.get('scores')
    if scores is not None:
        dims = scores.shape[1]
        stats['gradcam_zero_share'] = (scores == 0).float().mean().item()
        noise_std = 1 - minmax_normalize(scores)
        stats['gradcam_noise_cv'] = (
            noise_std.std(1) / (noise_std.mean(1) + 1e-12)).mean().item()
        top = scores.topk(max(1, dims // 10), dim=1).indices
        stats['gradcam_top10_jaccard'] = _pairwise_jaccard(top, dims)
    if 'lowvar_frac' in seen:
        stats['lowvar_share'] = float(seen['lowvar_frac'])

    flat = lambda x: x.flatten(1)  # noqa: E731
    stats['pair_change_vs_rec_error'] = (
        flat(gen_b - gen_a).norm(dim=1) /
        (flat(gen_a - clean).norm(dim=1) + 1e-12)).mean().item()
    noise = (z_pert - z).abs()
    change = (f_b - f_a).abs()
    stats['pair_noise_corr'] = _rowwise_corr(noise, change)
    quarter = noise.topk(max(1, noise.shape[1] // 4), dim=1).indices
    energy = change.pow(2)
    stats['pair_top_quarter_share'] = (energy.gather(1, quarter).sum(1) /
                                       (energy.sum(1) + 1e-12)).mean().item()
    emb_a, emb_b = model.neck(pair_feats)[0].float().chunk(2)
    match = (F.normalize(emb_a, dim=1) @ F.normalize(emb_b, dim=1).t())
    stats['pair_match_top1'] = (match.argmax(1) == torch.arange(
        len(emb_a))).float().mean().item()
    return stats


def gradient_pull(model, losses: Dict[str, torch.Tensor]) -> Dict[str, float]:
    """Norm of each loss term's gradient at the backbone's parameters, and
    the cosine between L_gen's and L_ssl's."""
    params = [p for p in model.backbone.parameters() if p.requires_grad]
    grads = {}
    for name, value in losses.items():
        if not name.startswith('loss') or not value.requires_grad:
            continue
        parts = torch.autograd.grad(
            value, params, retain_graph=True, allow_unused=True)
        grads[name] = torch.cat([
            (torch.zeros_like(p) if g is None else g).flatten().float()
            for p, g in zip(params, parts)
        ])
    stats = {f'grad_norm/{name}': g.norm().item() for name, g in grads.items()}
    if 'loss_gen' in grads and 'loss_ssl' in grads:
        stats['grad_cos/loss_gen~loss_ssl'] = F.cosine_similarity(
            grads['loss_gen'], grads['loss_ssl'], dim=0).item()
    return stats


def diagnose(config: str,
             checkpoint: str,
             batches: int = 4,
             seed: int = 0,
             options: dict = None) -> Dict[str, float]:
    model, loader = model_and_train_loader(config, checkpoint, seed, options)
    if not isinstance(model, SynthPairsMixin):
        raise UserInputError(
            f'{config}: the model is {type(model).__name__}; this tool '
            'reads a SynthPairs model (SynthPairsMoCo / SynthPairsSimSiam).')
    seen: dict = {}

    def keep_clean(store, args, result):
        store['clean'] = args[0].detach().float()

    def keep_scores(store, args, result):
        store['scores'] = result.detach().float()

    def keep_perturbation(store, args, result):
        store['z'] = args[0].detach()
        store['z_pert'] = result[0].detach().float()
        if 'lowvar_frac' in result[1]:
            store['lowvar_frac'] = result[1]['lowvar_frac']

    def keep_pair(store, args, result):
        store['gen_a'], store['gen_b'] = (x.detach() for x in result)

    sums: Dict[str, float] = defaultdict(float)
    done = 0
    with kept(model, 'synthpairs_loss', seen, keep_clean), \
            kept(model.perturbation, 'gradcam_scores', seen, keep_scores), \
            kept(model.perturbation, 'forward', seen, keep_perturbation), \
            kept(model, '_generate_pair', seen, keep_pair):
        for batch in loader:
            seen.clear()
            data = model.data_preprocessor(batch, True)
            losses = model.loss(data['inputs'], data['data_samples'])
            step = gradient_pull(model, losses)
            step.update(pair_statistics(model, seen))
            for key, value in step.items():
                sums[key] += value
            done += 1
            if done >= batches:
                break
    return {key: value / done for key, value in sums.items()}


def parse_args(argv=None):
    return checkpoint_analysis_parser(
        'Measure what the generated pairs of a SynthPairs '
        'checkpoint are made of',
        checkpoint_required=True).parse_args(argv)


@report_user_errors
def main(argv=None) -> int:
    quiet_known_warnings()
    args = parse_args(argv)
    figures = diagnose(args.config, args.checkpoint, args.batches, args.seed,
                       args.cfg_options)
    print('| measure | value |\n|---|---|')
    for key, label in ROWS:
        if key in figures:
            print(f'| {label} | {figures[key]:.3f} |')
    for key in sorted(k for k in figures if k.startswith('grad_')):
        print(f'| {key} | {figures[key]:.3g} |')
    write_analysis_record(args, figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
