import functools
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import worker_init_fn as default_worker_init_fn
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmpretrain.registry import HOOKS

WARNING = 30


def get_rng_state() -> dict:
    """torch (CPU and initialised CUDA devices), numpy's and Python's
    global RNG states of this process."""
    state = dict(
        torch=torch.get_rng_state(),
        numpy=np.random.get_state(),
        python=random.getstate(),
        world_size=get_world_size())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` returned (checkpoints written
    before numpy/Python states were saved restore torch only).

    The states may come on a GPU: MMEngine's resume maps a checkpoint's
    tensors to the current device, and torch takes them on the CPU only.
    """
    torch.set_rng_state(state['torch'].cpu())
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available():
        for device, device_state in enumerate(
                cuda[:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(device_state.cpu(), device)
    if state.get('numpy') is not None:
        np.random.set_state(tuple(state['numpy']))
    if state.get('python') is not None:
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))


class _RestoreAfterSkip:
    """Stands in for ``IterBasedTrainLoop.dataloader_iterator`` while the
    loop skips the batches a resumed run already trained on; after the last
    skipped batch it restores the RNG state and puts the real iterator
    back, so the first new batch is drawn with the saved state."""

    def __init__(self, loop, skip: int, restore) -> None:
        self.loop, self.left, self.restore = loop, skip, restore
        self.iterator = loop.dataloader_iterator

    def __iter__(self):
        return self

    def __next__(self):
        batch = next(self.iterator)
        self.left -= 1
        if self.left == 0:
            self.loop.dataloader_iterator = self.iterator
            self.restore()
        return batch


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves the global RNG states of torch (CPU and CUDA), numpy and
    Python's ``random`` in every checkpoint and restores them on
    ``--resume``, so a resumed run draws the same random numbers as the
    uninterrupted one (data augmentation, SynthPairs' noise, CSDNet's random
    threshold, dropout) and continues exactly where it stopped.

    MMEngine re-seeds a resumed run from the config's seed, which restarts
    these streams from the beginning. When the states are restored:

    * Epoch-based loop (checkpoint at the end of an epoch): at the first
      ``before_train_epoch``, i.e. before the epoch's data iterator is
      created, so the sampler, the pipeline draws in the main process
      (``num_workers=0``) and the model draw what the uninterrupted run
      drew in that epoch.
    * Iteration-based loop: MMEngine skips the batches already trained on
      by fetching them again, which replays their data-pipeline draws; the
      states are restored right after the last skipped batch, so the first
      new batch starts from the saved states whatever the skipping drew.
    * Validation during training runs between a checkpoint and the next
      training batch in the uninterrupted run only, so this hook keeps it
      out of the training streams: the states are saved at ``before_val``
      and put back at ``after_val``.

    With ``randomness.seed=None`` MMEngine builds the train dataloader (the
    sampler's shuffling seed, the workers' seeds) from a fresh random seed
    before it applies the checkpoint's seed; this hook re-points the
    sampler and MMEngine's ``worker_init_fn`` at the checkpoint's seed.

    DataLoader workers (``num_workers > 0``) seed numpy, ``random`` and
    torch from MMEngine's ``worker_init_fn`` (config seed + worker id +
    rank, not the epoch) whenever they start. Non-persistent workers start
    every epoch with the same seeds, so a resumed run matches. Their
    streams live in the worker processes and cannot be saved, so resume is
    NOT exact (a WARNING is logged at resume time) for:

    * persistent workers (``persistent_workers=True``, which the stock and
      the plugin's ``tools/train.py`` use unless the config says otherwise)
      in an epoch-based loop: the uninterrupted run's workers carry their
      streams across epochs, the resumed run's start afresh (use
      ``--no-persistent-workers`` or ``persistent_workers=False``);
      an iteration-based loop replays them by re-fetching the skipped
      batches and stays exact;
    * a checkpoint saved mid-epoch in an epoch-based loop: MMEngine 0.10.7
      resumes at the start of the saved epoch (its batches are trained
      again), whatever the RNG state;
    * an iteration-based loop with ``randomness.seed=None`` and workers:
      they were started, and fetched ahead, with the new run's seed before
      the checkpoint was loaded;
    * ``randomness.diff_rank_seed=True`` on several ranks: rank 0 saves
      the checkpoint, so the streams are not restored rather than giving
      every rank rank 0's stream.

    Transforms that draw from torch's global RNG in the main process of an
    iteration-based loop are replayed too (the skipped batches are fetched
    again, then the saved state is restored).

    It is in ``configs/_base_/default_runtime.py`` as
    ``default_hooks.rng_state``; turn it off in a child config with
    ``default_hooks = dict(rng_state=dict(enable=False))`` (a no-op hook)
    or remove it with ``default_hooks = dict(rng_state=None)``. The
    plugin's ``tools/train.py`` adds it to configs without one.

    Args:
        enable (bool): Save and restore the states. Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self, enable: bool = True) -> None:
        self.enable = enable
        self._pending: Optional[dict] = None
        self._outside_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.enable:
            checkpoint['rng_state'] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # `load_from` without resume starts a new run from the seed.
        if self.enable and getattr(runner, '_resume', True) is not False:
            self._pending = checkpoint.get('rng_state')

    def before_val(self, runner) -> None:
        if self.enable:
            self._outside_val = get_rng_state()

    def after_val(self, runner) -> None:
        state, self._outside_val = self._outside_val, None
        if state is not None:
            set_rng_state(state)

    def before_train_epoch(self, runner) -> None:
        state, self._pending = self._pending, None
        if state is None:
            return
        randomness = runner.cfg.get('randomness', None) or {}
        if randomness.get('diff_rank_seed', False) and get_world_size() > 1:
            self._warn('diff_rank_seed=True gives every rank its own RNG '
                       'stream, but the checkpoint holds rank 0\'s only; the '
                       'streams are not restored.')
            return
        loop = getattr(runner, 'train_loop', None)
        loader = getattr(loop, 'dataloader', None)
        workers = getattr(loader, 'num_workers', 0)
        reseeded = self._use_checkpoint_seed(runner, loader)
        if isinstance(loop, IterBasedTrainLoop):
            if reseeded and workers > 0:
                self._warn('randomness.seed is None: the train dataloader\'s '
                           'workers were started with this run\'s seed before '
                           'the checkpoint\'s seed was applied. Set '
                           'randomness.seed for an exact resume.')
            if loop.iter > 0 and hasattr(loop, 'dataloader_iterator'):
                loop.dataloader_iterator = _RestoreAfterSkip(
                    loop, loop.iter, functools.partial(set_rng_state, state))
                return
        else:
            if isinstance(loop, EpochBasedTrainLoop) and loader is not None \
                    and loop.iter != loop.epoch * len(loader):
                self._warn(f'the checkpoint was saved mid-epoch (iteration '
                           f'{loop.iter}, epoch {loop.epoch + 1}); MMEngine '
                           'restarts the epoch from its first batch, so those '
                           'batches are trained again. Resume from an '
                           'end-of-epoch checkpoint for an exact resume.')
            if workers > 0 and getattr(loader, 'persistent_workers', False):
                self._warn('the train dataloader\'s persistent workers '
                           f'(num_workers={workers}) carry their numpy/'
                           'random/torch streams across epochs and cannot be '
                           'restored; the resumed workers start from the '
                           'seed, so the data augmentation differs from the '
                           'uninterrupted run. Use persistent_workers=False '
                           '(tools/train.py --no-persistent-workers) for an '
                           'exact resume.')
        set_rng_state(state)

    @staticmethod
    def _use_checkpoint_seed(runner, loader) -> bool:
        """Point the sampler and MMEngine's ``worker_init_fn`` at the
        runner's seed (the checkpoint's after resume); True if they used
        another one (``randomness.seed=None``)."""
        seed = getattr(runner, 'seed', None)
        if loader is None or not isinstance(seed, int):
            return False
        changed = False
        samplers = {
            id(s): s
            for s in
            (getattr(loader, 'sampler', None),
             getattr(getattr(loader, 'batch_sampler', None), 'sampler', None))
            if s is not None
        }
        for sampler in samplers.values():
            if isinstance(getattr(sampler, 'seed', None), int) \
                    and sampler.seed != seed:
                sampler.seed, changed = seed, True
        init_fn = getattr(loader, 'worker_init_fn', None)
        if isinstance(init_fn, functools.partial) \
                and init_fn.func is default_worker_init_fn \
                and init_fn.keywords.get('seed', seed) != seed:
            loader.worker_init_fn = functools.partial(
                init_fn.func, *init_fn.args,
                **dict(init_fn.keywords, seed=seed))
            changed = True
        return changed

    @staticmethod
    def _warn(message: str) -> None:
        print_log(
            f'RNGStateHook: resume is not bit-exact: {message}',
            logger='current',
            level=WARNING)
