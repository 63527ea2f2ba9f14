"""Episode tracking: hours of pump cadence, driven in milliseconds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from monitord.alarms import AlarmKind
from monitord.bus import EventBus
from monitord.clock import FakeClock
from monitord.episodes import EpisodeService, EpisodeTracker
from monitord.events import (
    AlarmHeard,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeEndReason,
    EpisodeOngoing,
    EpisodeStarted,
    RefillLogged,
)

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
MIN = 60.0


def heard(at_s: float, alarm: AlarmKind = AlarmKind.CRITICAL, *, node: str = "bedroom", test: bool = False,
          confidence: float = 0.8, tones_hz: tuple[float, ...] = (900.0, 1200.0)) -> AlarmHeard:
    start = T0 + timedelta(seconds=at_s)
    return AlarmHeard(
        node_id=node, time=start + timedelta(seconds=3), alarm=alarm, confidence=confidence, snr_db=10.0,
        frequencies_hz=tones_hz, started_at=start, ended_at=start + timedelta(seconds=3),
        microphone=node, profile="p", profile_verified=True, is_test=test,
    )


def tracker() -> EpisodeTracker:
    return EpisodeTracker(node_id="bedroom", microphone="bedroom")


def test_critical_alarm_every_ten_minutes_starts_then_confirms_one_episode() -> None:
    t = tracker()
    started = t.observe(heard(0))
    assert [type(e) for e in started] == [EpisodeStarted]
    assert started[0].next_expected_at == T0 + timedelta(minutes=10)

    confirmed = t.observe(heard(10 * MIN + 7))
    assert [type(e) for e in confirmed] == [EpisodeConfirmed]
    assert confirmed[0].episode_id == started[0].episode_id
    assert confirmed[0].soundings == 2

    for k in range(2, 7):  # an hour of further repeats: each reported with its count, one episode
        [ongoing] = t.observe(heard(k * 10 * MIN + 7 * k))
        assert isinstance(ongoing, EpisodeOngoing)
        assert ongoing.episode_id == started[0].episode_id
        assert ongoing.soundings == k + 1
        assert ongoing.confirmed
        assert ongoing.on_cadence
        assert ongoing.last_heard == T0 + timedelta(seconds=k * 10 * MIN + 7 * k + 3)
    assert len(t.active) == 1
    assert t.active[0].soundings == 7
    # The period was refined to what the pump really does (10 min 7 s), so the prediction follows it.
    assert t.active[0].next_expected_at == T0 + timedelta(seconds=7 * (10 * MIN + 7))


def test_two_reports_of_one_sounding_count_once() -> None:
    t = tracker()
    t.observe(heard(0))
    assert t.observe(heard(4)) == []
    assert t.active[0].soundings == 1
    assert not t.active[0].confirmed


def test_off_cadence_repeat_keeps_episode_but_does_not_confirm() -> None:
    t = tracker()
    t.observe(heard(0))
    [ongoing] = t.observe(heard(4 * MIN))  # 4 min is not ~10 min
    assert isinstance(ongoing, EpisodeOngoing)
    assert not ongoing.on_cadence
    assert not ongoing.confirmed
    assert ongoing.soundings == 2
    assert t.active[0].soundings == 2
    assert not t.active[0].confirmed


def test_a_missed_repeat_still_confirms_on_the_second_period() -> None:
    t = tracker()
    t.observe(heard(0))
    events = t.observe(heard(20 * MIN + 30))  # the 10-minute one was drowned by the TV
    assert [type(e) for e in events] == [EpisodeConfirmed]
    assert t.active[0].period_s == (20 * MIN + 30) / 2


def test_episode_ends_when_expected_repeats_stop() -> None:
    t = tracker()
    t.observe(heard(0))
    t.observe(heard(10 * MIN))
    assert t.advance(T0 + timedelta(minutes=40)) == []  # 2 missed repeats are allowed (+25 % grace)
    ended = t.advance(T0 + timedelta(minutes=43))
    assert [type(e) for e in ended] == [EpisodeEnded]
    assert ended[0].reason is EpisodeEndReason.REPEATS_STOPPED
    assert ended[0].soundings == 2
    assert ended[0].time == T0 + timedelta(minutes=10 + 32.5)  # when the last allowed repeat was overdue
    assert t.active == []


def test_a_sounding_long_after_the_end_starts_a_new_episode() -> None:
    t = tracker()
    first = t.observe(heard(0))[0]
    events = t.observe(heard(5 * 60 * MIN))
    assert [type(e) for e in events] == [EpisodeEnded, EpisodeStarted]
    assert events[1].episode_id != first.episode_id


def test_non_critical_cadence_is_hourly_and_independent_of_critical() -> None:
    t = tracker()
    t.observe(heard(0, AlarmKind.NON_CRITICAL))
    [off] = t.observe(heard(10 * MIN, AlarmKind.NON_CRITICAL))  # 10 min is off an hourly cadence
    assert isinstance(off, EpisodeOngoing)
    assert not off.on_cadence
    t.observe(heard(20 * MIN, AlarmKind.CRITICAL))
    # An hour after the last beep the non-critical episode is confirmed; the lone critical sounding at 20 min
    # had no repeat within 3 periods (+ grace), so its episode ended at 52.5 min.
    events = t.observe(heard(70 * MIN, AlarmKind.NON_CRITICAL))
    assert [(type(e), e.alarm) for e in events] == [
        (EpisodeEnded, AlarmKind.CRITICAL),
        (EpisodeConfirmed, AlarmKind.NON_CRITICAL),
    ]
    assert events[0].time == T0 + timedelta(minutes=52.5)
    assert [e.alarm for e in t.active] == [AlarmKind.NON_CRITICAL]


def test_test_soundings_never_mix_with_real_ones() -> None:
    t = tracker()
    t.observe(heard(0))
    events = t.observe(heard(10 * MIN, test=True))
    assert [type(e) for e in events] == [EpisodeStarted]
    assert events[0].is_test


# --- stray detections (music, a phone, a microwave) among the pump's soundings ---------------------------------

BEEP_HZ = (1737.8,)  # the pump's non-critical beep
PHONE_HZ = (900.0,)
MICROWAVE_HZ = (3000.0,)


def beep(at_min: float, tones_hz: tuple[float, ...] = BEEP_HZ) -> AlarmHeard:
    return heard(at_min * MIN, AlarmKind.NON_CRITICAL, tones_hz=tones_hz)


def test_a_stray_between_two_hourly_beeps_does_not_stop_confirmation() -> None:
    t = tracker()
    t.observe(beep(0))
    [stray] = t.observe(beep(20))  # music at the pump's pitch: the tracker cannot tell, but must not lose the beep
    assert isinstance(stray, EpisodeOngoing)
    assert not stray.on_cadence
    assert stray.next_expected_at == T0 + timedelta(minutes=60)  # still the beep's next repeat, not the stray's
    confirmed = t.observe(beep(60.5))
    assert [type(e) for e in confirmed] == [EpisodeConfirmed]
    assert confirmed[0].soundings == 3
    assert t.active[0].period_s == 60.5 * MIN  # refined from the beep's own interval, not the stray's 40 min


def test_a_stray_and_a_missed_beep_still_confirm_two_hours_later() -> None:
    t = tracker()
    t.observe(beep(0))
    t.observe(beep(20, PHONE_HZ))
    events = t.observe(beep(121))  # the 60-minute beep was drowned by the TV
    assert [type(e) for e in events] == [EpisodeConfirmed]
    assert t.active[0].period_s == 121 * MIN / 2


def test_critical_with_a_stray_at_four_minutes_still_confirms_at_ten() -> None:
    t = tracker()
    t.observe(heard(0))
    [stray] = t.observe(heard(4 * MIN))
    assert isinstance(stray, EpisodeOngoing)
    assert not stray.confirmed
    events = t.observe(heard(10 * MIN + 5))
    assert [type(e) for e in events] == [EpisodeConfirmed]
    assert t.active[0].period_s == 10 * MIN + 5
    assert events[0].next_expected_at == T0 + timedelta(seconds=2 * (10 * MIN + 5))


def test_two_beeps_an_hour_apart_at_different_pitches_do_not_confirm() -> None:
    """The bundled guess takes any steady tone for a beep: a phone, then a microwave an hour later, is not a pump."""
    t = tracker()
    t.observe(beep(0, PHONE_HZ))
    [ongoing] = t.observe(beep(60, MICROWAVE_HZ))
    assert isinstance(ongoing, EpisodeOngoing)
    assert not ongoing.on_cadence
    assert not ongoing.confirmed
    assert not t.active[0].confirmed


def test_the_same_pitch_an_hour_later_confirms_across_another_sound() -> None:
    t = tracker()
    t.observe(beep(0, (1500.0,)))
    t.observe(beep(30, MICROWAVE_HZ))
    events = t.observe(beep(60, (1520.0,)))  # 1.3 % apart: the same beep, measured in noise
    assert [type(e) for e in events] == [EpisodeConfirmed]


def test_a_critical_repeat_needs_both_tones_at_the_same_pitch() -> None:
    t = tracker()
    t.observe(heard(0, tones_hz=(900.0, 1200.0)))
    [other] = t.observe(heard(10 * MIN, tones_hz=(900.0, 1500.0)))  # one tone matches, the other does not
    assert isinstance(other, EpisodeOngoing)
    assert not other.on_cadence
    events = t.observe(heard(20 * MIN, tones_hz=(1201.0, 899.0)))  # the pump's two tones (in any order)
    assert [type(e) for e in events] == [EpisodeConfirmed]
    assert t.active[0].period_s == 10 * MIN  # 20 min from the first sounding is two periods


def test_a_stray_does_not_confirm_or_refine_the_period() -> None:
    t = tracker()
    t.observe(heard(0))
    [stray] = t.observe(heard(8 * MIN, tones_hz=(700.0, 1000.0)))  # 8 min is within ±25 %, but not the pump's tones
    assert isinstance(stray, EpisodeOngoing)
    assert not stray.on_cadence
    assert not stray.confirmed
    events = t.observe(heard(10 * MIN))
    assert [type(e) for e in events] == [EpisodeConfirmed]
    assert t.active[0].period_s == 10 * MIN
    assert events[0].next_expected_at == T0 + timedelta(minutes=20)


def test_a_stray_just_after_a_repeat_is_not_on_cadence_with_the_sounding_before() -> None:
    t = tracker()
    t.observe(heard(0))
    t.observe(heard(10 * MIN))
    [stray] = t.observe(heard(12 * MIN))  # 12 min after the first sounding, but 2 min after the pump's repeat
    assert isinstance(stray, EpisodeOngoing)
    assert not stray.on_cadence
    assert stray.next_expected_at == T0 + timedelta(minutes=20)
    [repeat] = t.observe(heard(20 * MIN))
    assert isinstance(repeat, EpisodeOngoing)
    assert repeat.on_cadence
    assert t.active[0].period_s == 10 * MIN


def test_hourly_beeps_stay_on_cadence_among_strays_every_ten_minutes() -> None:
    """Ten hours of a noisy household: the beep on the hour, other sounds every 10 minutes between them."""
    t = tracker()
    others = [PHONE_HZ, MICROWAVE_HZ, (2500.0,), (600.0,), (4100.0,)]
    for minute in range(0, 10 * 60, 10):
        tones_hz = BEEP_HZ if minute % 60 == 0 else others[minute // 10 % len(others)]
        events = t.observe(beep(minute + 0.1 * (minute // 60), tones_hz))
        if minute % 60 == 0 and minute:
            assert isinstance(events[-1], (EpisodeConfirmed, EpisodeOngoing))
            assert isinstance(events[-1], EpisodeConfirmed) or events[-1].on_cadence
        # Kept only while they can confirm something: 3 periods (+25 %) of soundings, one per 10 minutes.
        assert len(t.active[0].kept) <= 3.25 * 6 + 1
    [episode] = t.active
    assert episode.confirmed
    assert episode.soundings == 60
    assert abs(episode.period_s - 60.1 * MIN) < 1e-6


def test_a_confirmed_episode_ends_on_time_despite_strays_at_another_pitch() -> None:
    t = tracker()
    t.observe(heard(0))
    t.observe(heard(10 * MIN))
    t.observe(heard(30 * MIN, tones_hz=(700.0, 1000.0)))  # a stray: says nothing about the pump
    ended = t.advance(T0 + timedelta(minutes=43))
    assert [type(e) for e in ended] == [EpisodeEnded]
    assert ended[0].time == T0 + timedelta(minutes=42.5)


def test_an_unconfirmed_episode_is_kept_alive_by_any_sounding() -> None:
    t = tracker()
    t.observe(heard(0))
    t.observe(heard(25 * MIN, tones_hz=(700.0, 1000.0)))  # not yet known which of the two is the pump
    assert t.advance(T0 + timedelta(minutes=43)) == []
    assert t.next_deadline() == T0 + timedelta(minutes=25 + 32.5)


def test_a_drill_without_tones_still_confirms() -> None:
    t = tracker()
    t.observe(heard(0, tones_hz=(), test=True))
    events = t.observe(heard(10 * MIN, tones_hz=(), test=True))
    assert [type(e) for e in events] == [EpisodeConfirmed]


async def test_service_drives_hours_of_cadence_with_a_fake_clock() -> None:
    """1. the alarm sounds three times on a 10-minute cadence; 2. it stops; 3. the episode ends ~32 min later."""
    clock = FakeClock(start=T0)
    bus = EventBus()
    out = bus.subscribe("test", maxsize=100)
    async with EpisodeService(tracker=tracker(), bus=bus, clock=clock):
        for k in range(3):
            await clock.advance(10 * MIN if k else 0)
            bus.publish(heard(k * 10 * MIN))
            await clock.advance(5)
        await clock.advance(3 * 60 * MIN)
        seen = []
        while not out.queue.empty():
            event = out.get_nowait()
            if not isinstance(event, AlarmHeard):
                seen.append(event)
    assert [type(e) for e in seen] == [EpisodeStarted, EpisodeConfirmed, EpisodeOngoing, EpisodeEnded]
    assert seen[2].soundings == 3
    assert seen[-1].time == T0 + timedelta(minutes=20 + 32.5)


async def test_refill_ends_the_non_critical_episode() -> None:
    clock = FakeClock(start=T0)
    bus = EventBus()
    out = bus.subscribe("test", maxsize=100)
    async with EpisodeService(tracker=tracker(), bus=bus, clock=clock):
        bus.publish(heard(0, AlarmKind.NON_CRITICAL))
        await clock.advance(600)
        bus.publish(RefillLogged(node_id="bedroom", time=clock.now(), refilled_on=clock.now().date(),
                                 by="nurse", channel="cli"))
        await clock.advance(1)
    kinds = [type(e) for e in (out.get_nowait() for _ in range(out.queue.qsize()))]
    assert kinds == [AlarmHeard, EpisodeStarted, RefillLogged, EpisodeEnded]


async def test_service_ignores_other_nodes_soundings() -> None:
    clock = FakeClock(start=T0)
    bus = EventBus()
    out = bus.subscribe("test", maxsize=100)
    async with EpisodeService(tracker=tracker(), bus=bus, clock=clock):
        bus.publish(heard(0, node="living-room"))
        await asyncio.sleep(0)
        await clock.advance(1)
    assert out.queue.qsize() == 1
