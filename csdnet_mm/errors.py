"""The error the plugin raises for bad user input (data, config options)."""


class UserInputError(ValueError):
    """Bad input that the user can fix; the message says what and how.

    The plugin's tools print the message without a traceback and exit with
    status 2.
    """
