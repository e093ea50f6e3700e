"""Tables of the checkpoint analysis tools' archived ``--out`` records
(``tools/analysis_tools/loss_gradients.py`` and
``synthpairs_diagnostics.py``), one column or row per record file."""
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple

from .archives import LOSS_GRADIENTS, SYNTHPAIRS_DIAGNOSTICS
from .records import machines_line

# The diagnostics' figures, in the order the tool prints them.
DIAGNOSTIC_ROWS = (
    ('rec_mse_vs_mean_image', 'decoder: MSE(D(z), x) / MSE(mean image, x)'),
    ('rec_self_retrieval', 'decoder: f(D(z)) nearest to its own z'),
    ('gradcam_zero_share', 'Grad-CAM: share of dimensions scored 0'),
    ('gradcam_noise_cv', 'Grad-CAM: noise std, coefficient of variation '
     'over dimensions'),
    ('gradcam_top10_jaccard', 'Grad-CAM: top-10 % dimensions, overlap '
     'between samples'),
    ('lowvar_share', 'low variance: share of dimensions noised'),
    ('pair_change_vs_rec_error', 'pair: ||D(z\') - D(z)|| / ||D(z) - x||'),
    ('pair_noise_corr', 'pair: corr(|z\' - z|, |f(D(z\')) - f(D(z))|) '
     'over dimensions'),
    ('pair_top_quarter_share', 'pair: share of the re-encoded change on '
     'the most-noised 25 % of dimensions'),
    ('pair_match_top1', 'pair: D(z) matched to its D(z\') among the batch'),
)
GRADIENT_TERMS = ('loss_ssl', 'loss_rec', 'loss_gen')


def _in_training_order(path: str) -> Tuple[str, int]:
    """``..._start.json`` before ``..._end.json`` of the same run."""
    stem = osp.splitext(osp.basename(path))[0]
    head, _, stage = stem.rpartition('_')
    order = {'start': 0, 'end': 1}
    return (head, order[stage]) if stage in order else (stem, 0)


def _records(root: str, folder: str) -> List[Tuple[str, Dict]]:
    found = []
    for path in sorted(
            glob.glob(osp.join(root, folder, '*.json')),
            key=_in_training_order):
        with open(path) as f:
            found.append((osp.relpath(path, root), json.load(f)))
    return found


def _weights(record: Dict) -> str:
    checkpoint = record['checkpoint']
    if checkpoint is None:
        return "the config's initialisation"
    # Work dirs are named from the repository root wherever the run was.
    if 'work_dirs/' in checkpoint:
        checkpoint = 'work_dirs/' + checkpoint.split('work_dirs/', 1)[1]
    return f'`{checkpoint}`'


def loss_gradient_table(root: str) -> str:
    """Per record: each loss term's gradient norm at the backbone output of
    the raw view / the augmented view (mean over the record's batches)."""
    records = _records(root, LOSS_GRADIENTS)
    if not records:
        return f'`{LOSS_GRADIENTS}` holds no record yet.'
    terms = ('loss_cls', 'loss_cls_aug', 'loss_qc', 'loss_ssdt')
    lines = [
        '| record | config and options | weights | ' +
        ' | '.join(f'{t} raw / aug' for t in terms) + ' |',
        '|---' * (len(terms) + 3) + '|'
    ]
    for path, record in records:
        norms = record['figures']
        cells = [
            ' / '.join(f'{v:.3g}' for v in norms[t]) if t in norms else '–'
            for t in terms
        ]
        options = ''.join(f' `{o}`' for o in record['options'])
        lines.append(f'| `{osp.basename(path)}` | '
                     f'`{osp.basename(record["config"])}`{options} | '
                     f'{_weights(record)} | ' + ' | '.join(cells) + ' |')
    return ('\n'.join(lines) + '\n\n' + machines_line(r for _, r in records) +
            '.')


def diagnostics_table(root: str) -> str:
    """One column per record: the SynthPairs diagnostics of a checkpoint."""
    records = _records(root, SYNTHPAIRS_DIAGNOSTICS)
    if not records:
        return f'`{SYNTHPAIRS_DIAGNOSTICS}` holds no record yet.'
    lines = [
        '| measure | ' + ' | '.join(f'`{osp.basename(p)}`'
                                    for p, _ in records) + ' |',
        '|---' * (len(records) + 1) + '|'
    ]
    figures = [r['figures'] for _, r in records]
    for key, label in DIAGNOSTIC_ROWS:
        cells = [f'{f[key]:.3f}' if key in f else '–' for f in figures]
        label = label.replace('|', '\\|')  # a table cell
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    cells = [
        ' / '.join(f'{f.get("grad_norm/" + t, float("nan")):.2f}'
                   for t in GRADIENT_TERMS) for f in figures
    ]
    lines.append('| gradient norm at the backbone: L_ssl / λ_rec·L_rec / '
                 'λ_gen·L_gen | ' + ' | '.join(cells) + ' |')
    cells = [
        f'{f["grad_cos/loss_gen~loss_ssl"]:.2f}'
        if 'grad_cos/loss_gen~loss_ssl' in f else '–' for f in figures
    ]
    lines.append("| cosine of L_gen's and L_ssl's gradients | " +
                 ' | '.join(cells) + ' |')
    weights = '; '.join(f'`{osp.basename(p)}`: {_weights(r)} '
                        f'({r["batches"]} batches, seed {r["seed"]})'
                        for p, r in records)
    return ('\n'.join(lines) + '\n\nCheckpoints: ' + weights + '. ' +
            machines_line(r for _, r in records) + '.')
