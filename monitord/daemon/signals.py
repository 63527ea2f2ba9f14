"""SIGTERM / SIGINT handling after uvicorn's `capture_signals`: the first signal asks for a graceful drain, a
second one forces the exit. systemd stops services with SIGTERM, so it is handled explicitly — never through
KeyboardInterrupt.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

log = structlog.get_logger(__name__)

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ShutdownRequest:
    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.forced = asyncio.Event()
        self.signal_name: str | None = None

    def handle(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.requested.is_set():
            log.warning("second signal: exiting now", signal=name)
            self.forced.set()
            return
        log.info("signal received: draining", signal=name)
        self.signal_name = name
        self.requested.set()


@contextmanager
def capture_signals(request: ShutdownRequest) -> Iterator[ShutdownRequest]:
    loop = asyncio.get_running_loop()
    for sig in HANDLED_SIGNALS:
        loop.add_signal_handler(sig, request.handle, sig)
    try:
        yield request
    finally:
        for sig in HANDLED_SIGNALS:
            loop.remove_signal_handler(sig)
