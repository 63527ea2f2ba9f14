"""Dead-man's switch: ping an outside URL while the monitor can hear, `<url>/fail` when it cannot.

If the Pi loses power, the SD card dies or the daemon hangs, nothing inside the house can say so; a service such as
healthchecks.io that expects a ping every N seconds can. Protocol (healthchecks.io "Pinging API"): an HTTP request to
the ping URL signals success, to `<url>/fail` signals failure; a POST body (≤ 10 kB) is kept as the ping's log, so we
send a one-line reason. A state change pings at once; otherwise every `interval_s`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Self

import aiohttp
import structlog

from monitord.clock import Clock
from monitord.daemon.settings import HeartbeatConfig
from monitord.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

HealthProbe = Callable[[], tuple[bool, str]]
"""Returns (can_hear, one-line reason)."""


class Heartbeat:
    def __init__(self, *, config: HeartbeatConfig, probe: HealthProbe, clock: Clock,
                 session: aiohttp.ClientSession | None = None, first_ping_within_s: float = 0.0) -> None:
        """`first_ping_within_s`: at start, wait up to this long for the first health report before pinging,
        so a daemon that is still opening its microphone does not report itself failed on every start."""
        if config.url is None:
            raise ValueError("Heartbeat needs heartbeat.url")
        self._url = config.url.get_secret_value().rstrip("/")
        self._config = config
        self._probe = probe
        self._clock = clock
        self._session = session
        self._owns_session = session is None
        self._first_ping_within_s = first_ping_within_s
        self._changed = asyncio.Event()
        self._task_group: asyncio.TaskGroup | None = None
        self.pings_ok = 0
        self.pings_failed_to_send = 0
        self.last_sent_healthy: bool | None = None

    def health_changed(self) -> None:
        """Call when the monitor's ability to hear changes: ping now, not at the next interval."""
        self._changed.set()

    async def __aenter__(self) -> Self:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._config.timeout_s))
        self._task_group = asyncio.TaskGroup()
        await self._task_group.__aenter__()
        self._task = self._task_group.create_task(self._ping_loop(), name="heartbeat.ping_loop")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._task.cancel()
        assert self._task_group is not None
        try:
            await self._task_group.__aexit__(None, None, None)
        finally:  # also when our caller is cancelled meanwhile: that propagates, the session is still closed
            if self._owns_session and self._session is not None:
                await self._session.close()

    async def _ping_loop(self) -> None:
        if self._first_ping_within_s > 0:
            await _sleep_or_event(self._clock, self._first_ping_within_s, self._changed)
        while True:
            self._changed.clear()
            await self.ping_once()
            await _sleep_or_event(self._clock, self._config.interval_s, self._changed)

    async def ping_once(self) -> bool:
        healthy, reason = self._probe()
        url = self._url if healthy else f"{self._url}/fail"
        assert self._session is not None
        try:
            async with self._session.post(url, data=reason.encode()[:10_000],
                                          timeout=aiohttp.ClientTimeout(total=self._config.timeout_s)) as response:
                ok = response.status < 400
        except (aiohttp.ClientError, TimeoutError) as exc:
            ok = False
            log.warning("heartbeat ping failed", error=str(exc) or type(exc).__name__)
        if ok:
            self.pings_ok += 1
            if self.last_sent_healthy is not healthy:
                log.info("heartbeat", healthy=healthy, reason=reason)
            self.last_sent_healthy = healthy
        else:
            self.pings_failed_to_send += 1
        return ok


async def _sleep_or_event(clock: Clock, seconds: float, event: asyncio.Event) -> None:
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, waiter):
            task.cancel()
        for task in (sleeper, waiter):
            # Not suppress(CancelledError): a cancellation of the ping loop landing here would be swallowed, the
            # loop would ping on, and the Heartbeat's exit (the daemon's shutdown) would wait for it forever.
            await cancel_and_wait(task)
