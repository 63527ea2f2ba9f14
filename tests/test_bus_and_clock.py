from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from monitord.bus import EventBus
from monitord.clock import FakeClock
from monitord.events import HealthStatus, MonitorHealth

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def health(n: int) -> MonitorHealth:
    return MonitorHealth(node_id="n", time=T0, status=HealthStatus.OK, microphone="m", detail=str(n))


async def test_each_subscriber_gets_every_event_in_order() -> None:
    bus = EventBus()
    a, b = bus.subscribe("a"), bus.subscribe("b")
    for i in range(3):
        bus.publish(health(i))
    assert [a.get_nowait().detail for _ in range(3)] == ["0", "1", "2"]
    assert [b.get_nowait().detail for _ in range(3)] == ["0", "1", "2"]


async def test_a_full_subscriber_drops_its_oldest_and_does_not_affect_others() -> None:
    bus = EventBus()
    slow, fast = bus.subscribe("slow", maxsize=2), bus.subscribe("fast", maxsize=10)
    for i in range(5):
        bus.publish(health(i))
    assert slow.dropped == 3
    assert [slow.get_nowait().detail for _ in range(2)] == ["3", "4"]
    assert fast.queue.qsize() == 5
    assert fast.dropped == 0


async def test_fake_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = FakeClock(start=T0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    tasks = [asyncio.create_task(sleeper("ten-min", 600)), asyncio.create_task(sleeper("three-min", 180))]
    await clock.advance(179)
    assert woke == []
    await clock.advance(3600)
    assert woke == [("three-min", 180.0), ("ten-min", 600.0)]
    assert clock.now() == datetime(2026, 11, 21, 1, 2, 59, tzinfo=UTC)  # 179 s + 3600 s
    await asyncio.gather(*tasks)
