"""systemd notify protocol (sd_notify(3)): READY, STATUS, WATCHDOG, STOPPING over $NOTIFY_SOCKET.

The protocol is one datagram of `KEY=VALUE` lines to a unix socket, so 30 lines here beat a dependency
(python-systemd needs libsystemd headers to build on the Pi). Sending never blocks and never raises: supervision
must not be able to take the monitor down.
"""

from __future__ import annotations

import os
import socket

import structlog

log = structlog.get_logger(__name__)


class SystemdNotifier:
    def __init__(self, *, address: str | None = None, watchdog_usec: str | None = None,
                 watchdog_pid: str | None = None) -> None:
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        self.watchdog_interval_s = _watchdog_interval_s(
            watchdog_usec if watchdog_usec is not None else os.environ.get("WATCHDOG_USEC"),
            watchdog_pid if watchdog_pid is not None else os.environ.get("WATCHDOG_PID"),
        )
        self._socket: socket.socket | None = None
        self._warned = False
        self.sent = 0

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, **fields: str | int) -> bool:
        """`notify(READY=1, STATUS="listening")`. Returns whether the datagram was sent."""
        if not self.address:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address  # abstract namespace
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.setblocking(False)
            self._socket.sendto(message, target)
        except OSError as exc:
            if not self._warned:  # once: a broken notify socket must not flood the log every few seconds
                log.warning("systemd notify failed", error=str(exc), socket=self.address)
                self._warned = True
            return False
        self.sent += 1
        return True

    def ready(self, status: str) -> bool:
        return self.notify(READY=1, STATUS=status)

    def status(self, status: str) -> bool:
        return self.notify(STATUS=status)

    def watchdog(self) -> bool:
        return self.notify(WATCHDOG=1)

    def stopping(self, status: str = "stopping") -> bool:
        return self.notify(STOPPING=1, STATUS=status)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _watchdog_interval_s(usec: str | None, pid: str | None) -> float | None:
    """How often systemd expects WATCHDOG=1 (seconds), or None if no watchdog is configured for us."""
    if not usec:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # the watchdog is meant for another process (e.g. a wrapper that exec'd us)
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1e6 if value > 0 else None
