"""The errors the plugin raises for bad input and failed runs, and the exit
status its tools give each (what scripts driving the tools test for)."""

# Exit statuses of the plugin's tools (tool_utils.report_user_errors).
USER_INPUT_EXIT_STATUS = 2
NON_FINITE_EXIT_STATUS = 3
COLLAPSE_EXIT_STATUS = 4


class UserInputError(ValueError):
    """Bad input that the user can fix; the message says what and how.

    The plugin's tools print the message without a traceback and exit with
    status 2.
    """


def check_choice(owner: str, name: str, value, choices) -> None:
    """Raise a :class:`UserInputError` naming the option if ``value`` is not
    one of ``choices`` (e.g. a typo in a mode name in a config)."""
    if value not in choices:
        raise UserInputError(
            f'{owner}: {name}={value!r} is not one of {tuple(choices)}.')


def check_holds_global_batch(owner: str, name: str, capacity: int,
                             rows: int) -> None:
    """Raise a :class:`UserInputError` if a FIFO of ``capacity`` rows cannot
    hold one global batch of ``rows`` (all ranks): every step would then
    overwrite all of it, so it would never hold history."""
    if rows > capacity:
        raise UserInputError(
            f'{owner}: {name}={capacity} is smaller than one global batch '
            f'({rows} rows gathered from all ranks), so every step would '
            'overwrite all of it and it would hold no history. Set '
            f'{name} to at least {rows} (ideally several batches), or '
            'lower the batch size / number of processes.')


class NonFiniteLossError(RuntimeError):
    """Training stopped because a loss became NaN or infinite.

    Raised before the optimizer step, so the weights in memory and in every
    saved checkpoint are still finite; the message names the iteration, the
    non-finite terms and the checkpoint to resume from. The plugin's tools
    print it without a traceback and exit with status 3.
    """


class TrainingCollapseError(RuntimeError):
    """Training stopped because a classifier collapsed to chance.

    Its classification loss had fallen below ln(num_classes) and then stayed
    at ln(num_classes) (the loss of a constant, input-independent
    prediction) for a whole window of iterations. The message names the
    iteration, the loss terms and what to try. The plugin's tools print it
    without a traceback and exit with status 4.
    """
