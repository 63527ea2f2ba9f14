"""Where `monitord escalate` gets its events when it runs as its own process.

An event source is an async context manager that, while open, publishes events onto an `EventBus` — the shape of
`monitord.mqtt.source.MqttEventSource` (every monitor's events from the broker). `JsonLinesEventSource` reads
event payloads (one JSON object per line, `Event.to_payload()` format) from a file or stdin instead: for replaying
a recorded night, for piping from `mosquitto_sub -v`-less tools, and for tests without a broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol, Self

import structlog

from monitord.bus import EventBus
from monitord.errors import UserError
from monitord.events import Event, PayloadError

log = structlog.get_logger(__name__)


class EventSource(Protocol):
    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class JsonLinesEventSource:
    """Publishes each line of `path` ("-" = stdin) as an event. `finished` is set at end of input.

    The reading happens in a daemon thread (a blocked stdin read cannot hold up shutdown); each decoded event
    crosses into the loop with `call_soon_threadsafe`. Malformed lines are logged with their line number and skipped.
    """

    def __init__(self, *, path: str, bus: EventBus) -> None:
        self._path = path
        self._bus = bus
        self.finished = asyncio.Event()
        self.published = 0
        self.rejected = 0
        self._stream: IO[str] | None = None

    async def __aenter__(self) -> Self:
        if self._path == "-":
            self._stream = sys.stdin
        else:
            try:
                # Opened once at startup (a local file): blocking here is harmless; closed in __aexit__.
                self._stream = Path(self._path).open(encoding="utf-8")  # noqa: SIM115, ASYNC230
            except OSError as exc:
                from monitord.errors import ExitCode

                raise UserError(f"cannot read events from {self._path}: {exc.strerror}",
                                exit_code=ExitCode.NO_INPUT) from exc
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), name="events-jsonl", daemon=True).start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None and self._stream is not sys.stdin:
            self._stream.close()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._stream is not None
        try:
            for number, line in enumerate(self._stream, start=1):
                if not line.strip():
                    continue
                try:
                    event = Event.from_payload(line)
                except PayloadError as exc:
                    self.rejected += 1
                    log.warning("skipping a line that is not a monitord event", line=number, error=str(exc)[:300])
                    continue
                self.published += 1
                loop.call_soon_threadsafe(self._bus.publish, event)
        except (OSError, ValueError) as exc:  # closed under us at shutdown
            log.debug("event input closed", error=str(exc))
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody is waiting
                loop.call_soon_threadsafe(self.finished.set)
