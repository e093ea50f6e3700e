"""How strongly each loss term pulls on the backbone, per training batch.

    python tools/analysis_tools/loss_gradients.py CONFIG [CHECKPOINT]
        [--batches 4] [--seed 0] [--cfg-options k=v ...] [--out FILE.json]

``--out`` writes them (``figures``) with the config, checkpoint, options,
commit and machine that gave them.

Builds the model and the training dataloader of CONFIG (with CHECKPOINT's
weights, queue and bank when given; else the config's initialisation),
runs ``model.loss()`` on a few training batches in train mode without an
optimizer step, and for every term whose name contains ``loss`` prints the
L2 norm of its gradient with respect to each output of the backbone's last
stage (CSDNet: the raw view's and the augmented view's feature maps; the
mean over the batches). A term far larger than the classification loss
decides where the backbone goes; a term with no gradient there does not
train the backbone at all. Used to measure which CSDNet module moves the
features (docs/methods/csdnet.md, "SSDT").
"""
import sys
from collections import defaultdict
from typing import Dict, List

import torch

from csdnet_mm import compat  # noqa: F401  (fixes before config parse)
from csdnet_mm.benchmarks.records import write_analysis_record
from csdnet_mm.tool_utils import (checkpoint_analysis_parser,
                                  model_and_train_loader, quiet_known_warnings,
                                  report_user_errors)


def term_gradients(config: str,
                   checkpoint: str = None,
                   batches: int = 4,
                   seed: int = 0,
                   options: dict = None) -> Dict[str, List[float]]:
    """``{term: [gradient norm at backbone output 0, 1, ...]}`` averaged
    over ``batches`` training batches."""
    model, loader = model_and_train_loader(config, checkpoint, seed, options)

    outputs: List[torch.Tensor] = []

    def keep_output(module, inputs, output):
        last = output[-1] if isinstance(output, (tuple, list)) else output
        outputs.append(last)

    handle = model.backbone.register_forward_hook(keep_output)
    sums: Dict[str, List[float]] = defaultdict(list)
    seen = 0
    try:
        for batch in loader:
            outputs.clear()
            data = model.data_preprocessor(batch, True)
            losses = model.loss(data['inputs'], data['data_samples'])
            for name, value in losses.items():
                if 'loss' not in name or not value.requires_grad:
                    continue
                grads = torch.autograd.grad(
                    value, outputs, retain_graph=True, allow_unused=True)
                norms = [
                    0.0 if g is None else g.float().norm().item()
                    for g in grads
                ]
                if not sums[name]:
                    sums[name] = [0.0] * len(norms)
                sums[name] = [a + b for a, b in zip(sums[name], norms)]
            seen += 1
            if seen >= batches:
                break
    finally:
        handle.remove()
    return {name: [v / seen for v in values] for name, values in sums.items()}


def parse_args(argv=None):
    return checkpoint_analysis_parser(
        'Gradient norm of each loss term at the backbone output',
        checkpoint_required=False).parse_args(argv)


@report_user_errors
def main(argv=None) -> int:
    quiet_known_warnings()
    args = parse_args(argv)
    norms = term_gradients(args.config, args.checkpoint, args.batches,
                           args.seed, args.cfg_options)
    views = max((len(v) for v in norms.values()), default=0)
    header = ' | '.join(['raw view'] + ['augmented view'] * (views > 1))
    print(f'| loss term | {header} |')
    print('|---' * (views + 1) + '|')
    for name, values in norms.items():
        cells = ' | '.join(f'{v:.3g}' for v in values)
        print(f'| {name} | {cells} |')
    write_analysis_record(args, norms)
    return 0


if __name__ == '__main__':
    sys.exit(main())
