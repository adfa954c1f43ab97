"""What a command was asked and cannot do (a file there already, a date not a date): one line, exit 1."""


class CommandRefused(Exception):
    """The message says why, for a person (never a full CPR number)."""
