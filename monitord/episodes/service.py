"""Drive an `EpisodeTracker` from the event bus, with an injected clock.

Consumes `AlarmHeard` (one microphone's soundings) and `RefillLogged` (a refill ends a non-critical episode),
publishes `EpisodeStarted/Confirmed/Ended`. A second task wakes at the tracker's next deadline to end episodes
whose repeats stopped — with `FakeClock` that is a 30-minute wait done in microseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import structlog

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import Clock
from monitord.episodes.tracker import EpisodeEvent, EpisodeTracker
from monitord.events import AlarmHeard, EpisodeEndReason, RefillLogged
from monitord.tasks import cancel_and_wait

log = structlog.get_logger(__name__)


class EpisodeService:
    def __init__(self, *, tracker: EpisodeTracker, bus: EventBus, clock: Clock) -> None:
        self.tracker = tracker
        self._bus = bus
        self._clock = clock
        self._subscription = bus.subscribe("episodes", maxsize=10_000)
        self._deadline_changed = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._runner = asyncio.create_task(self._run(), name="episodes")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await cancel_and_wait(self._runner)
        finally:
            self._subscription.close()

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume_events(), name="episodes.consume")
            group.create_task(self._end_overdue_episodes(), name="episodes.deadlines")

    async def _consume_events(self) -> None:
        async for event in self._subscription:
            if isinstance(event, AlarmHeard) and event.node_id == self.tracker.node_id:
                self._emit(self.tracker.observe(event))
            elif isinstance(event, RefillLogged):
                self._emit(self.tracker.resolve(AlarmKind.NON_CRITICAL, event.time, EpisodeEndReason.RESOLVED))
            else:
                continue
            self._deadline_changed.set()

    async def _end_overdue_episodes(self) -> None:
        while True:
            self._deadline_changed.clear()
            deadline = self.tracker.next_deadline()
            if deadline is None:
                await self._deadline_changed.wait()
                continue
            delay_s = (deadline - self._clock.now()).total_seconds()
            if delay_s > 0:
                sleeper = asyncio.create_task(self._clock.sleep(delay_s), name="episodes.sleep")
                changed = asyncio.create_task(self._deadline_changed.wait(), name="episodes.changed")
                _, pending = await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
                continue  # re-read the deadline: a new sounding may have moved it
            self._emit(self.tracker.advance(self._clock.now()))

    def _emit(self, events: Sequence[EpisodeEvent]) -> None:
        for event in events:
            log.info("episode " + event.type.removeprefix("episode_"), alarm=event.alarm.value,
                     episode_id=event.episode_id, soundings=event.soundings, test=event.is_test)
            self._bus.publish(event)
