"""Errors that carry a message for the user: what is wrong and how to fix it."""


class HydratuneError(Exception):
    """Base class: raised before expensive work starts, with a message naming the fix."""


class ConfigError(HydratuneError):
    """A config key or value is wrong."""


class DataError(HydratuneError):
    """A file, column or label in the data is wrong."""


class HubUnreachableError(HydratuneError):
    """A hub id was asked for and the Hugging Face Hub cannot be reached."""


class DiskFullError(HydratuneError):
    """A checkpoint or the final save ran out of disk space."""


class Refusal(BaseException):
    """Carries an error out of code that swallows every ``Exception``: Hydra's callbacks only
    warn and go on, so a command refused in ``on_run_start`` would go on writing its run dir.
    :func:`hydratune.config.messages.clean_errors` shows the carried error as any other."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error
