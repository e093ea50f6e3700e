from typing import Optional

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves torch's global RNG state (CPU and CUDA) in every checkpoint and
    restores it on ``--resume``, so a resumed run draws the same random
    numbers as the uninterrupted one (SynthPairs' noise, CSDNet's random
    threshold, dropout) and continues exactly where it stopped.

    MMEngine re-seeds a resumed run from the config's seed, which restarts
    these streams from the beginning. The state is restored at the first
    ``before_train_epoch`` after loading: before an epoch-based loop builds
    its data iterator (whose worker seeds come from this RNG) and before an
    iteration-based loop skips the batches it already trained on, which
    replays their data-pipeline draws (numpy / random, seeded as in the
    first run). Transforms that draw from torch's global RNG in the main
    process would shift the stream; MMPretrain's use numpy.

    Ranks share one seed unless ``randomness.diff_rank_seed=True``; rank 0
    saves the checkpoint, so with per-rank seeds the state is not restored
    (a warning says so) rather than giving every rank rank 0's stream.
    ``tools/train.py`` adds this hook unless the config has one.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(torch=torch.get_rng_state(),
                     world_size=get_world_size())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('rng_state')

    def before_train_epoch(self, runner) -> None:
        state, self._pending = self._pending, None
        if state is None:
            return
        randomness = runner.cfg.get('randomness', None) or {}
        if randomness.get('diff_rank_seed', False) and get_world_size() > 1:
            print_log(
                'RNGStateHook: diff_rank_seed=True gives every rank its own '
                'RNG stream, but the checkpoint holds rank 0\'s only; the '
                'streams are not restored, so the resumed run is not '
                'bit-exact.', logger='current', level=30)
            return
        torch.set_rng_state(state['torch'])
        cuda = state.get('cuda')
        if cuda is not None and torch.cuda.is_available():
            for device, device_state in enumerate(cuda[:torch.cuda.
                                                       device_count()]):
                torch.cuda.set_rng_state(device_state, device)
