"""Train a model with MMEngine's Runner (MMPretrain's tools/train.py + fixes).

Same arguments as MMPretrain's ``tools/train.py``. On a machine without CUDA
a distributed launch uses gloo and CPU DDP wrapping automatically.
"""
import argparse
import os

# First, before mmengine and before any config is parsed: importing
# csdnet_mm applies the stack fixes (csdnet_mm/compat.py), some of
# which patch mmengine. `isort: skip` keeps it above mmengine.
from csdnet_mm import compat  # noqa: F401  # isort: skip
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from csdnet_mm.allocator import setup_cpu_allocator
from csdnet_mm.tool_utils import (add_reliability_hooks,
                                  apply_dataloader_defaults, final_metrics,
                                  finalize_distributed, finish_cfg,
                                  quiet_known_warnings, report_user_errors,
                                  set_work_dir, write_metrics_json)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training (CUDA only)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='whether not to evaluate the checkpoint during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='whether to auto scale the learning rate according to the '
        'actual batch size and the original batch size.')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='whether to disable the persistent_workers option in dataloaders.'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--no-nonfinite-check',
        action='store_true',
        help='do not add NonFiniteLossHook (which stops training at the '
        'first NaN/inf loss, before the optimizer step)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments to config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)

    if args.amp is True:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    apply_dataloader_defaults(
        cfg, ('train_dataloader', 'val_dataloader', 'test_dataloader'),
        dict(
            pin_memory=True,
            persistent_workers=True,
            collate_fn=dict(type='default_collate')), args.no_pin_memory,
        args.no_persistent_workers)

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    add_reliability_hooks(cfg, args.no_nonfinite_check)
    finish_cfg(cfg, args)
    return cfg


@report_user_errors
def main():
    quiet_known_warnings()
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.train()

    metrics = final_metrics(runner)
    if metrics and runner.rank == 0:
        write_metrics_json(cfg.work_dir, metrics)
        shown = ', '.join(f'{k}: {v:.2f}' for k, v in sorted(metrics.items()))
        print(
            f'Final validation metrics ({cfg.work_dir}): {shown}', flush=True)
    finalize_distributed()


if __name__ == '__main__':
    setup_cpu_allocator()
    main()
