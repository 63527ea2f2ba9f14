"""The refill calendar in the daemon: state at start and daily, reminders once, `monitord refill` picked up."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from monitord.bus import EventBus
from monitord.calendar import CalendarConfig
from monitord.clock import FakeClock
from monitord.daemon.calendar_service import CalendarService, log_refill
from monitord.events import CalendarReminder, Event, RefillCalendarState, RefillLogged

START = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
DAY_S = 86400.0


def drain(sub_queue: asyncio.Queue[Event]) -> list[Event]:
    events = []
    while not sub_queue.empty():
        events.append(sub_queue.get_nowait())
    return events


async def test_reminders_state_and_a_logged_refill(tmp_path: Path) -> None:
    """1. start: state with days until the alarm date; 2. 14 days before: one reminder, not repeated the same day;
    3. `monitord refill` (the file): RefillLogged announced, the date moves, no stale reminders; 4. a restart
    does not repeat reminders already sent."""
    clock = FakeClock(start=START)
    bus = EventBus()
    watcher = bus.subscribe("test", maxsize=1000)
    config = CalendarConfig(reservoir_alarm_date=date(2026, 11, 25))
    service = CalendarService(config=config, state_dir=tmp_path, bus=bus, clock=clock, node_id="n", poll_s=3600)
    task = asyncio.create_task(service.run_schedule())
    await clock.advance(1)
    first = drain(watcher.queue)
    states = [e for e in first if isinstance(e, RefillCalendarState)]
    assert states[0].days_until_reservoir_alarm == (date(2026, 11, 25) - service.today()).days
    assert [e.days_until for e in first if isinstance(e, CalendarReminder)] == [14]

    await clock.advance(DAY_S / 2)
    assert not [e for e in drain(watcher.queue) if isinstance(e, CalendarReminder)]

    log_refill(tmp_path, config=config, refilled_on=date(2026, 11, 11), next_alarm_date=date(2027, 1, 20),
               replacement_date=None, by="mum")
    await clock.advance(3600)
    events = drain(watcher.queue)
    refills = [e for e in events if isinstance(e, RefillLogged)]
    assert len(refills) == 1
    assert refills[0].next_alarm_date == date(2027, 1, 20)
    assert refills[0].by == "mum"
    assert service.calendar.reservoir_alarm_date == date(2027, 1, 20)
    assert any(isinstance(e, RefillCalendarState) and e.reservoir_alarm_date == date(2027, 1, 20) for e in events)

    await clock.advance(75 * DAY_S)
    assert not task.done(), task.exception()
    reminders = [e for e in drain(watcher.queue) if isinstance(e, CalendarReminder)]
    assert [(r.due_date, r.days_until) for r in reminders] == [(date(2027, 1, 20), d) for d in (14, 7, 3)]
    task.cancel()

    restarted = CalendarService(config=config, state_dir=tmp_path, bus=bus, clock=clock, node_id="n", poll_s=3600)
    task = asyncio.create_task(restarted.run_schedule())
    await clock.advance(1)
    after_restart = drain(watcher.queue)
    assert not [e for e in after_restart if isinstance(e, CalendarReminder | RefillLogged)]
    assert restarted.calendar.reservoir_alarm_date == date(2027, 1, 20)  # the refill outlives the config date
    task.cancel()
