"""Errors a user may see. Each message names the thing at fault and the reason."""


class WriterError(Exception):
    """Base of every error that is reported to the user as one line, never a traceback."""
