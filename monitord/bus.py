"""The in-process event bus: one publisher side, one bounded queue per subscriber.

`publish()` never blocks and never raises, so the audio/detection path cannot be held up by a slow sink (an MQTT
broker that is down, a notifier that times out). Each subscriber gets its own queue; when one overflows, its
oldest events are dropped and counted — the subscriber sees a gap, the others see nothing.
Safety-critical subscribers (escalation) should ask for a large `maxsize`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from monitord.events import Event

log = structlog.get_logger(__name__)


@dataclass
class Subscription:
    name: str
    queue: asyncio.Queue[Event]
    dropped: int = 0
    _bus: EventBus | None = field(default=None, repr=False)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()

    async def get(self) -> Event:
        return await self.queue.get()

    def get_nowait(self) -> Event:
        return self.queue.get_nowait()

    def close(self) -> None:
        if self._bus is not None:
            self._bus.unsubscribe(self)
            self._bus = None


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self.published = 0

    def subscribe(self, name: str, *, maxsize: int = 1000) -> Subscription:
        sub = Subscription(name=name, queue=asyncio.Queue(maxsize=maxsize), _bus=self)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)

    def backlog(self) -> int:
        """Events queued but not yet taken by their subscribers (a graceful shutdown waits for 0)."""
        return sum(sub.queue.qsize() for sub in self._subscriptions)

    def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber. Must be called from the event loop's thread."""
        self.published += 1
        for sub in self._subscriptions:
            if sub.queue.full():
                sub.queue.get_nowait()
                sub.dropped += 1
                log.warning("event dropped: subscriber queue full", subscriber=sub.name, dropped=sub.dropped)
            sub.queue.put_nowait(event)
