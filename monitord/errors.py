"""User-facing errors and the process exit codes that go with them.

A user mistake (bad file, bad config, missing device) raises `UserError`; the CLI prints its message and hint
and exits with its code — never a bare traceback. Codes follow BSD sysexits(3) so systemd and scripts can tell
a config error (78) from a missing input (66).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2  # also: "that recording holds no clear alarm" (enroll), as argparse uses 2 for bad input
    DATA_ERR = 65  # input data was readable but wrong (a corrupt profile, an impossible value)
    NO_INPUT = 66  # a file could not be opened or read
    UNAVAILABLE = 69  # a device or service is not there (microphone missing, broker refused)
    SOFTWARE = 70  # a bug in monitord
    CONFIG = 78  # configuration error


class UserError(Exception):
    """Something the user can fix. `message` says what is wrong; `hint` says how to fix it."""

    def __init__(self, message: str, *, hint: str | None = None, exit_code: ExitCode = ExitCode.FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(UserError):
    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=ExitCode.CONFIG)


class AudioInputError(UserError):
    """An audio file or stream that cannot be read or decoded."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=ExitCode.NO_INPUT)
