"""Delivery you can trust (retries, fallback, a failing channel delays nobody) and the acknowledgement paths
(HTTP token links, Pushover receipts), against the loopback fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import aiohttp

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import FakeClock
from monitord.escalation.config import EscalationConfig
from monitord.escalation.service import EscalationService
from monitord.events import (
    EpisodeConfirmed,
    EpisodeStarted,
    HealthStatus,
    IncidentState,
    MonitorHealth,
    NotificationFailed,
)
from monitord.notifiers import build_notifier
from monitord.notifiers.base import DeliveryReceipt, Notification, Notifier, NotifierConfigBase
from monitord.notifiers.pushover import PushoverNotifier
from tests.escalation_support import T0, config, drain, episode, eventually, settled
from tests.fake_services import (
    PUSHOVER_APP_TOKEN,
    PUSHOVER_USER_KEY,
    FakeNtfy,
    FakePagerDuty,
    FakePushover,
    FakeWebhook,
)


async def settled_sleep() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


def make(cfg: EscalationConfig, clock: FakeClock, bus: EventBus, tmp_path: Path,
         session: aiohttp.ClientSession) -> EscalationService:
    return EscalationService(config=cfg, bus=bus, clock=clock, state_dir=tmp_path, node_id="escalator",
                             session=session, rand=lambda low, high: high)


async def test_a_failing_channel_delays_nobody_then_falls_back_and_is_reported(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy, fake_pushover: FakePushover,
    fake_webhook: FakeWebhook,
) -> None:
    """1. mum's ntfy server hangs: dad's Pushover is delivered while that request is still open;
    2. ntfy then answers 500 until its attempts are used up (timeout, then backoff 1 s, 1.5 s on the clock);
    3. the same alert goes out through mum's fallback (webhook), a NotificationFailed event is published, and
    dad is told through his channel that mum's channel is failing."""
    clock, bus = FakeClock(start=T0), EventBus()
    watch = bus.subscribe("test")
    cfg = config(ntfy_url=fake_ntfy.url, pushover_url=fake_pushover.url, webhook_url=f"{fake_webhook.url}/hook",
                 delivery={"attempt_timeout_s": 0.5, "max_attempts_critical": 3, "fallbacks": {"mum_ntfy": "hook"},
                           "min_send_interval_s": 0})
    fake_ntfy.stall_next()
    fake_ntfy.fail_next(500, times=2)
    async with make(cfg, clock, bus, tmp_path, session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_pushover.messages) == 1)
        assert svc.dispatcher.in_flight["mum_ntfy"] is not None  # ntfy is still hanging; dad already has it
        await eventually(lambda: len(fake_ntfy.requests) == 1 and svc.dispatcher.in_flight["mum_ntfy"] is not None)
        await eventually(lambda: svc.dispatcher.waiting_s["mum_ntfy"] == 1.0, what="timeout, then backoff")
        await clock.advance(1.0)
        await eventually(lambda: svc.dispatcher.waiting_s["mum_ntfy"] == 1.5, what="500, then backoff")
        assert len(fake_ntfy.requests) == 2
        # Two failures of a CRITICAL message: the fallback carries it now, while ntfy keeps trying.
        await eventually(lambda: len(fake_webhook.bodies) == 1)
        await clock.advance(1.5)
        await eventually(lambda: len(fake_ntfy.requests) == 3)
        assert fake_ntfy.messages == []
        hook = fake_webhook.bodies[0]
        assert "CRITICAL pump alarm" in str(hook)
        await eventually(lambda: len(fake_pushover.messages) == 2)
        assert fake_pushover.messages[1]["title"].startswith("Alert channel failing: mum_ntfy")
        await settled(svc)
        assert len(fake_webhook.bodies) == 1  # the fallback got it once, not again at the final failure
        [failed] = [e for e in drain(watch) if isinstance(e, NotificationFailed)]
        assert failed.notifier == "mum_ntfy"
        assert "500" in failed.error


async def test_a_quota_that_resets_in_days_fails_over_at_once(
    tmp_path: Path, session: aiohttp.ClientSession, fake_pushover: FakePushover, fake_webhook: FakeWebhook,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    fake_pushover.remaining = 0  # the application's monthly messages are used up (HTTP 429 until the reset)
    cfg = config(pushover_url=fake_pushover.url, webhook_url=f"{fake_webhook.url}/hook",
                 delivery={"fallbacks": {"dad_pushover": "hook"}, "min_send_interval_s": 0})
    async with make(cfg, clock, bus, tmp_path, session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_webhook.bodies) == 1)
        await settled(svc)
        assert len(fake_pushover.requests) == 1  # not retried for days: failed over


async def test_rate_limit_answer_is_honoured_and_the_message_still_goes_out(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    fake_ntfy.fail_next(429, headers={"Retry-After": "7"})
    cfg = config(ntfy_url=fake_ntfy.url, delivery={"backoff_base_s": 1.0})
    async with make(cfg, clock, bus, tmp_path, session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: svc.dispatcher.waiting_s["mum_ntfy"] == 8.0)  # Retry-After 7 s + jitter ≤ 1 s
        await clock.advance(7.9)
        await settled_sleep()
        assert len(fake_ntfy.requests) == 1
        await clock.advance(0.1)
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        await settled(svc)
        [incident] = svc.open_incidents()
        assert svc.store.delivery_counts(incident.id) == {
            ("mum_ntfy", "trigger", "sent"): 1,
            ("console", "trigger", "sent"): 1,  # always on: every alert is in the journal too
        }


async def test_http_ack_link_acknowledges_and_refuses_wrong_or_expired_tokens(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    """1. the ntfy message carries an Acknowledge action POSTing to the endpoint; 2. GET shows a confirm page and
    acknowledges nothing; 3. a made-up token is 404; 4. an expired one is 410; 5. POST acknowledges, recording
    who and through which channel; 6. the token is stored hashed only."""
    clock, bus = FakeClock(start=T0), EventBus()
    cfg = config(ntfy_url=fake_ntfy.url, ack_server={"enabled": True, "bind_port": 0, "token_ttl_min": 5})
    async with make(cfg, clock, bus, tmp_path, session) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        [action] = fake_ntfy.messages[0]["actions"]
        assert action["action"] == "http"
        assert action["method"] == "POST"
        first_url = action["url"]
        assert first_url.startswith(f"{svc.ack_base_url}/ack/")
        token = first_url.rsplit("/", 1)[1]
        assert len(token) >= 43  # 32 random bytes, base64url

        async with session.get(first_url) as response:
            assert response.status == 200
            page = await response.text()
        assert "I'm on it" in page
        assert "CRITICAL pump alarm" in page
        assert "Snooze" not in page  # never for the critical alarm
        assert svc.open_incidents()[0].state is IncidentState.TRIGGERED

        async with session.post(f"{svc.ack_base_url}/ack/{token[:-4]}AAAA") as response:
            assert response.status == 404

        await clock.advance(180)  # the 3-minute reminder carries a fresh link
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        second_url = fake_ntfy.messages[1]["actions"][0]["url"]
        assert second_url != first_url
        await clock.advance(150)  # 5.5 minutes: the first link has expired, the second has not
        async with session.post(first_url) as response:
            assert response.status == 410
        assert svc.open_incidents()[0].state is IncidentState.TRIGGERED

        async with session.post(second_url, data={"by": "Mum"}) as response:
            assert response.status == 200
            assert "Acknowledged" in await response.text()
        [incident] = svc.open_incidents()
        assert incident.state is IncidentState.ACKNOWLEDGED
        assert (incident.acknowledged_by, incident.acknowledged_channel) == ("Mum", "http")

        async with session.post(second_url) as response:  # a second tap (the other parent) is harmless
            assert "Already acknowledged by Mum" in await response.text()

        # The non-critical alarm: the phone's ntfy button (a bare POST naming itself) acknowledges; snooze works.
        bus.publish(episode(EpisodeConfirmed, alarm=AlarmKind.NON_CRITICAL, episode_id="beep"))
        await eventually(lambda: any(m["priority"] == 4 for m in fake_ntfy.messages))
        beep = next(m for m in fake_ntfy.messages if m["priority"] == 4)
        [button] = beep["actions"]
        async with session.post(button["url"], headers=button.get("headers", {})) as response:
            assert response.status == 200
        non_critical = next(i for i in svc.open_incidents() if i.alarm is AlarmKind.NON_CRITICAL)
        assert (non_critical.acknowledged_by, non_critical.acknowledged_channel) == ("ntfy:mum_ntfy", "ntfy")
        async with session.post(button["url"], data={"action": "snooze", "snooze_h": "6", "by": "Dad"}) as response:
            assert response.status == 200
        non_critical = next(i for i in svc.open_incidents() if i.alarm is AlarmKind.NON_CRITICAL)
        assert non_critical.snoozed_until == clock.now() + timedelta(hours=6)
        async with session.post(second_url, data={"action": "snooze"}) as response:
            assert response.status == 409  # never for the critical alarm

        hashes = [row[0] for row in svc.store._db.execute("SELECT token_hash FROM ack_tokens")]
        assert hashes
        assert token not in hashes
        assert all(token not in h for h in hashes)


async def test_pushover_receipt_acknowledgement_is_polled_and_stops_the_paging(
    tmp_path: Path, session: aiohttp.ClientSession, fake_pushover: FakePushover, fake_pagerduty: FakePagerDuty,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    cfg = config(pushover_url=fake_pushover.url, pagerduty_url=f"{fake_pagerduty.url}/v2/enqueue",
                 ack_poll_interval_s=30)
    notifiers = [build_notifier(c, session=session) for c in cfg.notifiers if c.type != "pushover"]
    notifiers.append(PushoverNotifier(name="dad_pushover", session=session, app_token=PUSHOVER_APP_TOKEN,
                                      user_key=PUSHOVER_USER_KEY, api_url=fake_pushover.url,
                                      monotonic=clock.monotonic))  # Pushover's 5-s poll rule on the fake clock
    async with EscalationService(config=cfg, bus=bus, clock=clock, state_dir=tmp_path, node_id="escalator",
                                 notifiers=notifiers) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_pushover.receipts) == 1)
        [receipt] = fake_pushover.receipts
        await clock.advance(30)
        await eventually(lambda: len(fake_pushover.receipts[receipt].polls) == 1)
        assert svc.open_incidents()[0].state is IncidentState.TRIGGERED
        fake_pushover.acknowledge(receipt, user=PUSHOVER_USER_KEY, device="dads-phone")
        await clock.advance(30)
        await eventually(lambda: svc.open_incidents()[0].state is IncidentState.ACKNOWLEDGED)
        [incident] = svc.open_incidents()
        assert incident.acknowledged_channel == "pushover"
        await settled(svc)
        await clock.advance(3600)
        await settled(svc)
        assert fake_pagerduty.requests == []  # acknowledged before the 3 minutes: on-call never paged


async def test_monitor_that_cannot_hear_tells_the_caregivers_and_the_recovery(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    async with make(config(ntfy_url=fake_ntfy.url), clock, bus, tmp_path, session) as svc:
        bus.publish(MonitorHealth(node_id="pi-bedroom", time=clock.now(), status=HealthStatus.SILENT,
                                  microphone="bedroom", input_level_dbfs=-120.0, detail="flat-lined input"))
        await settled(svc)
        await clock.advance(19)  # default cannot_hear_after_s = 20 s: on the phones within 60 s of the fault
        await settled(svc)
        assert fake_ntfy.messages == []
        await clock.advance(1)
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        down = fake_ntfy.messages[0]
        assert down["title"] == "Monitor CANNOT HEAR — Alex (bedroom)"
        assert down["priority"] == 4
        assert "NOT being monitored" in down["message"]
        bus.publish(MonitorHealth(node_id="pi-bedroom", time=clock.now(), status=HealthStatus.OK,
                                  microphone="bedroom"))
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        assert fake_ntfy.messages[1]["title"].startswith("Monitor can hear again")


async def test_a_short_dropout_is_not_reported(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    async with make(config(ntfy_url=fake_ntfy.url), clock, bus, tmp_path, session) as svc:
        bus.publish(MonitorHealth(node_id="n", time=clock.now(), status=HealthStatus.MISSING, microphone="m"))
        await settled(svc)
        await clock.advance(15)
        bus.publish(MonitorHealth(node_id="n", time=clock.now(), status=HealthStatus.OK, microphone="m"))
        await settled(svc)
        await clock.advance(3600)
        await settled(svc)
        assert fake_ntfy.messages == []


async def test_a_monitor_that_stops_reporting_altogether_is_reported_and_its_return_too(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    cfg = config(ntfy_url=fake_ntfy.url, monitor_health={"silent_node_after_s": 600})
    async with make(cfg, clock, bus, tmp_path, session) as svc:
        bus.publish(MonitorHealth(node_id="pi-bedroom", time=clock.now(), status=HealthStatus.OK,
                                  microphone="bedroom"))
        await settled(svc)
        await clock.advance(540)
        await settled(svc)
        assert fake_ntfy.messages == []
        await clock.advance(120)
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        assert fake_ntfy.messages[0]["title"] == "Monitor pi-bedroom SILENT — Alex"
        await clock.advance(3600)
        await settled(svc)
        assert len(fake_ntfy.messages) == 1  # told once, not every check
        bus.publish(MonitorHealth(node_id="pi-bedroom", time=clock.now(), status=HealthStatus.OK,
                                  microphone="bedroom"))
        await eventually(lambda: len(fake_ntfy.messages) == 2)
        assert fake_ntfy.messages[1]["title"].startswith("Monitor pi-bedroom is reporting again")


async def test_calendar_reminder_reaches_the_primary_caregiver_after_quiet_hours(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy, fake_pushover: FakePushover,
) -> None:
    from datetime import UTC, date, datetime

    from monitord.events import CalendarReminder, ReminderKind

    night = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    clock, bus = FakeClock(start=night), EventBus()
    cfg = config(ntfy_url=fake_ntfy.url, pushover_url=fake_pushover.url)
    async with make(cfg, clock, bus, tmp_path, session) as svc:
        bus.publish(CalendarReminder(node_id="pi", time=night, kind=ReminderKind.RESERVOIR,
                                     due_date=date(2026, 11, 28), days_until=7))
        await settled(svc)
        assert fake_ntfy.messages == []
        await clock.advance(7.5 * 3600)  # 07:00 UTC: quiet hours are over
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        message = fake_ntfy.messages[0]
        assert message["title"] == "Pump refill due — Alex"
        assert "2026-11-28 (in 7 days)" in message["message"]
        await settled(svc)
        assert fake_pushover.messages == []  # the primary caregiver only


class _BuggyNotifier(Notifier):
    """A channel with a bug (raises something that is not a NotifierError)."""

    TYPE = "buggy"
    Config = NotifierConfigBase

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> Notifier:
        raise NotImplementedError

    async def send(self, n: Notification) -> DeliveryReceipt:
        raise RuntimeError("a bug in a channel")


async def test_a_channel_with_a_bug_is_reported_and_the_others_still_deliver(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    clock, bus = FakeClock(start=T0), EventBus()
    watch = bus.subscribe("test")
    cfg = config(ntfy_url=fake_ntfy.url)
    cfg = cfg.model_copy(update={"caregivers": ["buggy", "mum_ntfy"]})
    notifiers = [build_notifier(c, session=session) for c in cfg.notifiers]
    notifiers.append(_BuggyNotifier(name="buggy"))
    async with EscalationService(config=cfg, bus=bus, clock=clock, state_dir=tmp_path, node_id="escalator",
                                 notifiers=notifiers) as svc:
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_ntfy.messages) == 2)  # the alert, then "channel failing: buggy"
        assert fake_ntfy.messages[1]["title"].startswith("Alert channel failing: buggy")
        await settled(svc)
        [failed] = [e for e in drain(watch) if isinstance(e, NotificationFailed)]
        assert failed.notifier == "buggy"
        assert "RuntimeError: a bug in a channel" in failed.error
        assert len(svc.open_incidents()) == 1


async def test_a_broken_optional_part_does_not_stop_the_alerts(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    """A channel whose secret file is missing and an ack port already in use: monitord still starts, says what is
    missing through the working channel, and a critical alarm still reaches the phone."""
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    clock, bus = FakeClock(start=T0), EventBus()
    broken = {"type": "pushover", "name": "dad_pushover", "app_token_file": str(tmp_path / "missing"),
              "user_key": PUSHOVER_USER_KEY}
    cfg = config(ntfy_url=fake_ntfy.url, ack_server={"enabled": True, "bind_port": busy.getsockname()[1]},
                 extra_notifiers=(broken,), caregivers=["mum_ntfy", "dad_pushover"])
    try:
        async with make(cfg, clock, bus, tmp_path, session) as svc:
            await eventually(lambda: len(fake_ntfy.messages) == 1)
            problem = fake_ntfy.messages[0]
            assert problem["title"] == "Alert setup problem — Alex"
            assert "notifier dad_pushover" in problem["message"]
            assert "acknowledgement endpoint" in problem["message"]
            assert svc.ack_base_url is None
            bus.publish(episode(EpisodeStarted))
            await eventually(lambda: len(fake_ntfy.messages) == 2)
            assert fake_ntfy.messages[1]["priority"] == 5
    finally:
        busy.close()


async def test_the_alert_links_the_audio_clip_of_the_sounding(
    tmp_path: Path, session: aiohttp.ClientSession, fake_ntfy: FakeNtfy,
) -> None:
    """The AlarmHeard with the clip comes before the episode opens the incident; the very first alert links it,
    served by the ack endpoint behind the same unguessable token."""
    from datetime import timedelta

    import numpy as np
    import soundfile

    from monitord.events import AlarmHeard

    clip = tmp_path / "critical-0001.wav"
    soundfile.write(clip, np.zeros(1600, dtype=np.float32), 16000)
    clock, bus = FakeClock(start=T0), EventBus()
    cfg = config(ntfy_url=fake_ntfy.url, ack_server={"enabled": True, "bind_port": 0})
    async with make(cfg, clock, bus, tmp_path / "state", session):
        bus.publish(AlarmHeard(
            node_id="pi-bedroom", time=T0, alarm=AlarmKind.CRITICAL, confidence=0.9, snr_db=12.0,
            frequencies_hz=(1000.0, 1500.0), started_at=T0 - timedelta(seconds=3), ended_at=T0,
            microphone="bedroom", profile="default", profile_verified=False, clip_path=str(clip),
        ))
        bus.publish(episode(EpisodeStarted))
        await eventually(lambda: len(fake_ntfy.messages) == 1)
        message = fake_ntfy.messages[0]
        assert "/evidence/" in message["attach"]
        assert message["click"] == message["attach"]
        async with session.get(message["attach"]) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "audio/wav"
            assert await response.read() == clip.read_bytes()
