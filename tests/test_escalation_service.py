"""The escalation engine end to end: real notifiers against loopback ntfy, Pushover, PagerDuty and webhook fakes,
a FakeClock driving the minutes, SQLite state in a temp dir."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import FakeClock
from monitord.escalation.config import EscalationConfig
from monitord.escalation.service import EscalationService
from monitord.events import (
    Acknowledged,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeStarted,
    IncidentChanged,
    IncidentState,
)
from tests.escalation_support import T0, config, drain, episode, eventually, settled
from tests.fake_services import (
    PAGERDUTY_ROUTING_KEY,
    FakeNtfy,
    FakePagerDuty,
    FakePushover,
)


def service(
    cfg: EscalationConfig, *, bus: EventBus, clock: FakeClock, state_dir: Path, session: aiohttp.ClientSession
) -> EscalationService:
    return EscalationService(
        config=cfg, bus=bus, clock=clock, state_dir=state_dir, node_id="escalator", session=session,
        rand=lambda low, high: high,
    )


def changes(events: list[Any]) -> list[tuple[str, str | None, int]]:
    return [
        (e.state.value, e.previous_state.value if e.previous_state else None, e.step)
        for e in events if isinstance(e, IncidentChanged)
    ]


async def test_critical_pages_caregivers_at_once_then_oncall_after_3_minutes_and_repeats(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy, fake_pushover: FakePushover,
    fake_pagerduty: FakePagerDuty,
) -> None:
    """1. a critical episode starts → ntfy (priority 5, Acknowledge button) and Pushover (emergency) at once;
    2. nothing for PagerDuty before 3 minutes; 3. at 3 minutes PagerDuty trigger + caregivers again;
    4. every 3 minutes after that the caregivers are reminded until somebody acknowledges."""
    clock, bus = FakeClock(start=T0), EventBus()
    watch = bus.subscribe("test")
    cfg = config(ntfy_url=fake_ntfy.url, pushover_url=fake_pushover.url,
                 pagerduty_url=f"{fake_pagerduty.url}/v2/enqueue")
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        bus.publish(episode(EpisodeStarted, verified=False, confidence=0.74))
        await eventually(lambda: len(fake_ntfy.messages) == 1 and len(fake_pushover.messages) == 1)
        ntfy = fake_ntfy.messages[0]
        assert ntfy["priority"] == 5
        assert ntfy["title"] == "CRITICAL pump alarm (two-tone) — Alex (bedroom)"
        assert "UNVERIFIED default profile — a guess" in ntfy["message"]
        assert "74%" in ntfy["message"]
        assert "+31 20 555 0199" in ntfy["message"]
        assert "Give oral baclofen" in ntfy["message"]
        assert "actions" not in ntfy  # no acknowledgement endpoint configured in this test: no button
        assert fake_ntfy.requests[0].headers["Authorization"] == "Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"
        push = fake_pushover.messages[0]
        assert push["priority"] == "2"
        assert int(push["retry"]) >= 30
        assert int(push["expire"]) <= 10800
        assert "Do now:" in push["message"]
        assert "+31 20 555 0199" in push["message"]

        await clock.advance(179)
        await settled(svc)
        assert fake_pagerduty.requests == []
        assert len(fake_ntfy.messages) == 1

        await clock.advance(1)
        await eventually(lambda: len(fake_pagerduty.accepted) == 1 and len(fake_ntfy.messages) == 2)
        page = fake_pagerduty.requests[0].json()
        assert page["routing_key"] == PAGERDUTY_ROUTING_KEY
        assert page["event_action"] == "trigger"
        assert page["payload"]["severity"] == "critical"
        assert "Alex" in page["payload"]["summary"]
        dedup_key = page["dedup_key"]
        assert fake_ntfy.messages[1]["tags"][0] == "bell"  # a reminder, not a new incident

        await clock.advance(180)
        await eventually(lambda: len(fake_ntfy.messages) == 3)
        await clock.advance(180)
        await eventually(lambda: len(fake_ntfy.messages) == 4)
        await settled(svc)
        assert len(fake_pagerduty.requests) == 1  # on-call is paged once; the caregivers are repeated

        [incident] = svc.open_incidents()
        bus.publish(Acknowledged(node_id="ha", time=clock.now(), alarm=AlarmKind.CRITICAL, by="mum", channel="mqtt"))
        await eventually(lambda: len(fake_pagerduty.requests) == 2)
        assert fake_pagerduty.requests[1].json() == {
            "routing_key": PAGERDUTY_ROUTING_KEY, "event_action": "acknowledge", "dedup_key": dedup_key,
        }
        await settled(svc)
        assert svc.store.get(incident.id).acknowledged_by == "mum"  # type: ignore[union-attr]
        sent = len(fake_ntfy.messages)
        await clock.advance(3600)
        await settled(svc)
        assert len(fake_ntfy.messages) == sent  # acknowledged: no more reminders
        assert fake_ntfy.messages[-1]["tags"][0] == "ok_hand"  # the others were told somebody is on it
    assert changes(drain(watch)) == [
        ("triggered", None, 0), ("triggered", "triggered", 2), ("triggered", "triggered", 3),
        ("triggered", "triggered", 4), ("triggered", "triggered", 5), ("acknowledged", "triggered", 5),
    ]


async def test_two_microphones_hearing_one_sounding_make_one_incident(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session) as svc:
        bus.publish(episode(EpisodeStarted, node="pi-bedroom", microphone="bedroom", episode_id="a"))
        bus.publish(episode(EpisodeStarted, node="pi-hall", microphone="hall", episode_id="b"))
        await settled(svc)
        [incident] = svc.open_incidents()
        assert incident.microphones == ["bedroom", "hall"]
        assert incident.soundings == 1  # the same sounding, heard twice
        assert len(fake_ntfy.messages) == 1
        # Only when every microphone's episode has ended (and someone acknowledged) is it over.
        svc.acknowledge(incident.id, by="dad", channel="cli")
        bus.publish(episode(EpisodeEnded, node="pi-bedroom", microphone="bedroom", episode_id="a"))
        await settled(svc)
        assert len(svc.open_incidents()) == 1
        bus.publish(episode(EpisodeEnded, node="pi-hall", microphone="hall", episode_id="b"))
        await settled(svc)
        assert svc.open_incidents() == []
        assert svc.store.get(incident.id).state is IncidentState.RESOLVED  # type: ignore[union-attr]


async def test_unacknowledged_critical_keeps_escalating_after_the_sound_stops(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session) as svc:
        bus.publish(episode(EpisodeStarted))
        bus.publish(episode(EpisodeEnded))
        await settled(svc)
        await clock.advance(180)
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        assert len(svc.open_incidents()) == 1


async def test_restart_mid_incident_neither_pages_twice_nor_forgets_the_acknowledgement(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy, fake_pagerduty: FakePagerDuty,
) -> None:
    """1. critical episode → caregivers paged; 2. restart 1 minute later: nothing re-sent;
    3. the 3-minute wait runs from its persisted deadline: on-call paged at 3:00, once;
    4. acknowledge, restart again: still acknowledged, nothing sent."""
    clock = FakeClock(start=T0)
    cfg = config(ntfy_url=fake_ntfy.url, pagerduty_url=f"{fake_pagerduty.url}/v2/enqueue")
    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        await settled(svc)
        [incident] = svc.open_incidents()
        await clock.advance(60)

    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        # The same episode event redelivered (MQTT at-least-once) must not open a second incident either.
        await settled(svc)
        assert [i.id for i in svc.open_incidents()] == [incident.id]
        assert len(fake_ntfy.messages) == 1
        await clock.advance(119)
        await settled(svc)
        assert fake_pagerduty.requests == []
        await clock.advance(1)
        await eventually(lambda: len(fake_pagerduty.accepted) == 1 and len(fake_ntfy.messages) == 2)
        svc.acknowledge(incident.id, by="mum", channel="http")
        await eventually(lambda: len(fake_pagerduty.requests) == 2)
        await settled(svc)
        sent = len(fake_ntfy.messages)

    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        await settled(svc)
        [again] = svc.open_incidents()
        assert again.state is IncidentState.ACKNOWLEDGED
        assert (again.acknowledged_by, again.acknowledged_channel) == ("mum", "http")
        await clock.advance(3600)
        await settled(svc)
        assert len(fake_ntfy.messages) == sent
        assert len(fake_pagerduty.requests) == 2


async def test_a_redelivered_episode_event_opens_nothing_new(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    started = episode(EpisodeStarted)
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session) as svc:
        bus.publish(started)
        await settled(svc)
        [incident] = svc.open_incidents()
        svc.acknowledge(incident.id, by="mum", channel="cli")
        bus.publish(episode(EpisodeEnded))
        await settled(svc)
        assert svc.open_incidents() == []
        bus.publish(started)  # the same event id again
        await settled(svc)
        assert svc.open_incidents() == []


async def test_non_critical_waits_for_confirmation_holds_during_quiet_hours_and_reminds_daily_until_refill(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy, fake_pushover: FakePushover,
) -> None:
    """1. a single beep at 23:00 opens nothing; 2. the repeat an hour later confirms it, but quiet hours
    (22:00–07:00 Europe/Amsterdam) hold the push until 07:00; 3. one caregiver only, HIGH priority;
    4. a daily reminder follows; 5. a logged refill resolves it and stops the reminders."""
    from datetime import UTC, date, datetime

    from monitord.events import RefillLogged

    night = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # 23:00 in Amsterdam (CET, UTC+1)
    clock, bus = FakeClock(start=night), EventBus()
    cfg = config(ntfy_url=fake_ntfy.url, pushover_url=fake_pushover.url, timezone="Europe/Amsterdam")
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        bus.publish(episode(EpisodeStarted, alarm=AlarmKind.NON_CRITICAL, at=night))
        await settled(svc)
        assert svc.open_incidents() == []
        await clock.advance(3600)
        bus.publish(episode(EpisodeConfirmed, alarm=AlarmKind.NON_CRITICAL, at=clock.now(), soundings=2))
        await settled(svc)
        assert len(svc.open_incidents()) == 1
        assert fake_ntfy.messages == []
        await clock.advance(7 * 3600 - 1)  # 06:59:59 local (confirmed at 00:00 local)
        await settled(svc)
        assert fake_ntfy.messages == []
        await clock.advance(1)  # 07:00 local
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        message = fake_ntfy.messages[0]
        assert message["priority"] == 4
        assert "Non-critical" in message["title"]
        assert "book a refill" in message["message"]
        await settled(svc)
        assert fake_pushover.messages == []  # one caregiver (the primary), not all

        await clock.advance(24 * 3600)
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        assert fake_ntfy.messages[1]["priority"] == 3  # the daily reminder is NORMAL

        bus.publish(RefillLogged(node_id="ha", time=clock.now(), refilled_on=date(2026, 11, 23), by="dad",
                                 channel="mqtt"))
        await eventually(lambda: svc.open_incidents() == [])
        await settled(svc)
        assert fake_ntfy.messages[-1]["tags"][0] == "white_check_mark"
        sent = len(fake_ntfy.messages)
        await clock.advance(3 * 24 * 3600)
        await settled(svc)
        assert len(fake_ntfy.messages) == sent


async def test_non_critical_alert_explains_the_beep_from_the_refill_calendar(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    """1. the daemon's calendar says the low-reservoir alarm date is in 2 days; 2. a confirmed hourly beep is
    explained to the caregiver as "reservoir low" with that date; 3. without a near date it says the cause is
    unknown rather than guessing."""
    from datetime import date, timedelta

    from monitord.events import RefillCalendarState

    clock, bus = FakeClock(start=T0), EventBus()
    today = T0.date()
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session) as svc:
        bus.publish(RefillCalendarState(node_id="pi-bedroom", time=clock.now(),
                                        reservoir_alarm_date=today + timedelta(days=2), days_until_reservoir_alarm=2))
        bus.publish(episode(EpisodeConfirmed, alarm=AlarmKind.NON_CRITICAL, at=clock.now(), soundings=2))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        text = fake_ntfy.messages[0]["message"]
        assert "reservoir low" in text
        assert (today + timedelta(days=2)).isoformat() in text

        bus.publish(RefillCalendarState(node_id="pi-bedroom", time=clock.now(),
                                        reservoir_alarm_date=date(2027, 6, 1), days_until_reservoir_alarm=190))
        await settled(svc)
        await clock.advance(24 * 3600)  # the daily reminder
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        reminder = fake_ntfy.messages[1]["message"]
        assert "reservoir low" not in reminder
        assert "cause unknown" in reminder


async def test_reminders_tell_how_many_times_and_when_last_heard_as_the_alarm_goes_on(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    """1. a critical episode starts: "1 time"; 2. the pump sounds again (EpisodeOngoing, 3 soundings in all);
    3. the 3-minute reminder says "3 times" and the new last-heard time, not the first alert's."""
    from datetime import timedelta

    from monitord.events import EpisodeOngoing

    clock, bus = FakeClock(start=T0), EventBus()
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session) as svc:
        bus.publish(episode(EpisodeStarted, at=T0))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        assert ", 1 time." in fake_ntfy.messages[0]["message"]
        await clock.advance(150)
        bus.publish(EpisodeOngoing(
            node_id="pi-bedroom", time=clock.now(), episode_id="ep-1", alarm=AlarmKind.CRITICAL,
            microphone="bedroom", first_heard=T0 - timedelta(seconds=3), last_heard=clock.now(), soundings=3,
            max_confidence=0.93, profile_verified=True, confirmed=True, on_cadence=False,
        ))
        await settled(svc)
        assert len(fake_ntfy.messages) == 1  # an update, not a new alert
        await clock.advance(30)
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        reminder = fake_ntfy.messages[1]["message"]
        assert ", 3 times." in reminder
        assert (T0 + timedelta(seconds=150)).strftime("%H:%M:%S") in reminder
        assert "93%" in reminder
        assert len(svc.open_incidents()) == 1


async def test_critical_ignores_quiet_hours(tmp_path: Path, session: aiohttp.ClientSession,
                                           fake_ntfy: FakeNtfy) -> None:
    from datetime import UTC, datetime

    night = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    clock, bus = FakeClock(start=night), EventBus()
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session):
        bus.publish(episode(EpisodeStarted, at=night))
        await eventually(lambda: len(fake_ntfy.messages) == 1)


async def test_snooze_holds_non_critical_reminders_and_is_refused_for_critical(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    from datetime import timedelta

    from monitord.events import Snoozed

    clock, bus = FakeClock(start=T0), EventBus()
    async with service(config(ntfy_url=fake_ntfy.url), bus=bus, clock=clock, state_dir=tmp_path,
                       session=session) as svc:
        bus.publish(episode(EpisodeConfirmed, alarm=AlarmKind.NON_CRITICAL))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        bus.publish(Snoozed(node_id="ha", time=clock.now(), until=clock.now() + timedelta(days=3), by="mum",
                            channel="mqtt"))
        await settled(svc)
        [incident] = svc.open_incidents()
        assert incident.state is IncidentState.ACKNOWLEDGED  # a snooze says someone saw it
        assert (incident.acknowledged_by, incident.acknowledged_channel) == ("mum", "mqtt")
        sent = len(fake_ntfy.messages)  # the trigger + "acknowledged" note
        await clock.advance(2 * 24 * 3600)
        await settled(svc)
        assert len(fake_ntfy.messages) == sent  # the daily reminder is held by the snooze
        await clock.advance(24 * 3600 + 1)
        await eventually(lambda: len(fake_ntfy.messages) == sent + 1)
        assert fake_ntfy.messages[-1]["tags"][0] == "bell"

        bus.publish(episode(EpisodeStarted, alarm=AlarmKind.CRITICAL, episode_id="crit"))
        await settled(svc)
        critical = next(i for i in svc.open_incidents() if i.alarm is AlarmKind.CRITICAL)
        assert not svc.snooze(critical.id, until=clock.now() + timedelta(hours=4), by="x", channel="cli")


async def test_an_acknowledgement_interrupted_by_a_restart_still_reaches_pagerduty(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy, fake_pagerduty: FakePagerDuty,
) -> None:
    """1. critical alarm, nobody acknowledges in 3 minutes → PagerDuty triggered; 2. mum acknowledges, but
    PagerDuty hangs on the acknowledge; 3. monitord restarts; 4. the acknowledge reaches PagerDuty after the
    restart — on-call is not left being paged for an incident the family has in hand."""
    clock = FakeClock(start=T0)
    cfg = config(ntfy_url=fake_ntfy.url, pagerduty_url=f"{fake_pagerduty.url}/v2/enqueue")
    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        await clock.advance(180)
        await eventually(lambda: len(fake_pagerduty.accepted) == 1)
        [incident] = svc.open_incidents()
        dedup_key = fake_pagerduty.requests[0].json()["dedup_key"]
        assert fake_pagerduty.alerts[dedup_key] == "triggered"
        fake_pagerduty.stall_next()
        assert svc.acknowledge(incident.id, by="mum", channel="http")
        await eventually(lambda: len(fake_pagerduty.requests) == 2)
    assert fake_pagerduty.alerts[dedup_key] == "triggered"  # the acknowledge never got an answer

    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        await eventually(lambda: fake_pagerduty.alerts.get(dedup_key) == "acknowledged")
        await settled(svc)
        assert svc.store.pending_receipt_actions() == []
    assert [r.json()["event_action"] for r in fake_pagerduty.accepted] == ["trigger", "acknowledge"]


async def test_a_send_interrupted_by_a_restart_is_sent_after_it(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    """1. the phone's server hangs while the alert is on its way; 2. monitord stops (crash, update, power);
    3. the next start finds the send still pending in the outbox and delivers it — the page is not lost."""
    clock = FakeClock(start=T0)
    cfg = config(ntfy_url=fake_ntfy.url)
    fake_ntfy.stall_next()
    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_ntfy.requests) == 1)
        [incident] = svc.open_incidents()
        assert svc.store.delivery_counts(incident.id)[("mum_ntfy", "trigger", "pending")] == 1
    assert fake_ntfy.messages == []

    bus = EventBus()
    async with service(cfg, bus=bus, clock=clock, state_dir=tmp_path, session=session) as svc:
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        await settled(svc)
        counts = svc.store.delivery_counts(incident.id)
        assert counts[("mum_ntfy", "trigger", "sent")] == 1
        assert ("mum_ntfy", "trigger", "pending") not in counts
        assert fake_ntfy.messages[0]["priority"] == 5


async def test_cancelled_while_stopping_propagates_and_still_releases_everything(
    tmp_path: Path, fake_ntfy: FakeNtfy
) -> None:
    """The task running `async with EscalationService` is cancelled while the service stops its tasks (as its
    TaskGroup would cancel it). The old code swallowed that cancellation; now it reaches the task, and the ack
    endpoint, the HTTP session the service opened for its notifiers and the incident store are still closed."""
    bus = EventBus()
    cfg = config(ntfy_url=fake_ntfy.url, ack_server={"enabled": True, "bind_port": 0})
    # No session given: the service opens (and must close) its own.
    svc = EscalationService(config=cfg, bus=bus, clock=FakeClock(start=T0), state_dir=tmp_path, node_id="escalator")
    exiting = asyncio.Event()

    async def owner() -> None:
        async with svc:
            bus.publish(episode(EpisodeStarted))
            await eventually(lambda: len(fake_ntfy.messages) == 1)  # the session holds a connection to ntfy
            exiting.set()  # no await from here to _close()'s first wait: the cancel below lands inside it

    task = asyncio.create_task(owner(), name="test-owner")
    await exiting.wait()
    ack_url, ntfy_session = svc.ack_base_url, svc.notifiers["mum_ntfy"]._session  # type: ignore[attr-defined]
    task.cancel()
    await asyncio.wait({task}, timeout=30)
    assert task.done(), "stopping the service hangs"
    assert task.cancelled(), f"the cancellation was swallowed: {task}"

    assert not [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("escalation")]
    assert ntfy_session.closed
    with pytest.raises(RuntimeError, match="outside `async with`"):
        svc.store  # noqa: B018 - closed and released
    async with aiohttp.ClientSession() as client:
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.get(f"{ack_url}/ack/x")
