"""Group alarm soundings into episodes using the pump's cadence.

The pump repeats an alarm while its condition lasts: the critical two-tone about every 10 minutes, the
non-critical beep about once an hour (../shared/domain.md). One sounding alone may be a stray beep; a repeat that
arrives on cadence is the pump. So, per alarm kind:

- the first sounding STARTS an episode and predicts the next one at `started + period`;
- the episode keeps its recent soundings (start time and tone frequencies) for as long as they can still confirm
  a repeat (`missed_repeats_allowed + 1` periods plus the tolerance; at most `MAX_KEPT_SOUNDINGS`);
- a new sounding at the SAME PITCH(ES) as a kept one (`same_pitch_tolerance_pct`), whose interval from it is close
  to a whole number of periods (a faint sounding can be missed), is on cadence: the first such repeat CONFIRMS the
  episode, and the matched interval refines the period (the pump's own clock, not our guess). Judging against
  every kept sounding, not only the last one, is what lets a stray detection between two real soundings (music,
  a phone, a microwave at the pump's pitch) pass without breaking the cadence; asking for the same pitch is what
  stops two unrelated sounds from confirming each other (the pump repeats the same sound);
- once a sounding is on cadence, the cadence counts from it: the soundings up to the one it matched are dropped
  (a stray a little after a real repeat cannot pass as on cadence with the sounding before it), and the episode is
  about that pitch: a later sounding at another pitch is counted and reported but neither kept nor on cadence;
- a detection within `same_sounding_s` of the previous one is the same sounding reported twice, not a repeat;
- every further sounding (on cadence or not) is reported as ONGOING with the new count and last-heard time; one
  off cadence does not confirm the episode;
- when `missed_repeats_allowed + 1` periods (plus grace) pass with nothing heard that could be the pump (once
  confirmed: nothing at the confirmed pitch), the episode ENDS.

Pure and synchronous: no clock reads. The caller passes time in (`advance(now)`), which is what lets tests drive
hours of cadence in milliseconds and lets `analyze` run episodes in stream time.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import Field

from monitord.alarms import AlarmKind
from monitord.configbase import ConfigModel
from monitord.events import (
    AlarmHeard,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeEndReason,
    EpisodeOngoing,
    EpisodeStarted,
)

EpisodeEvent = EpisodeStarted | EpisodeConfirmed | EpisodeOngoing | EpisodeEnded
_E = TypeVar("_E", EpisodeStarted, EpisodeConfirmed, EpisodeOngoing, EpisodeEnded)

MAX_KEPT_SOUNDINGS = 64
"""Bound on the soundings one episode keeps. Time already bounds them (one per `same_sounding_s` over the few
periods a sounding can confirm: at most ~450 in 3.75 h of non-critical cadence); a room producing more than this
many detections of one alarm within that window is flooding the detector, and the newest are the ones kept."""


class CadenceSettings(ConfigModel):
    """How the tracker judges repeats. Periods default to the domain facts in monitord.alarms."""

    critical_period_s: float = Field(
        default=AlarmKind.CRITICAL.expected_repeat_s, gt=0, description="expected repeat of the critical alarm (s)"
    )
    non_critical_period_s: float = Field(
        default=AlarmKind.NON_CRITICAL.expected_repeat_s, gt=0,
        description="expected repeat of the non-critical alarm (s)",
    )
    on_cadence_tolerance_pct: float = Field(
        default=25.0, gt=0, lt=50,
        description="a repeat within ± this share of the period (per elapsed period) is on cadence (%)",
    )
    # 2 %: wide enough for the same pump measured twice, narrow enough to part unrelated sounds. `monitord analyze
    # --json` over the benchmark's recall files (enrolled profiles; seed 2024 full, seeds 31 and 11 quick: 14 pumps,
    # 662-4405 Hz, every SNR down to -20 dB; the corpus jitters each sounding ±0.3 %): two detections of the same
    # pump differ by at most 1.3 % (p99 1.1 %; the faint low tones of the critical alarm), non-critical 0.8 %. With
    # the bundled guess, where any steady tone is a beep, the 344 false beeps of seed 2024 full's background audio
    # make 58,996 pairs, 2.4 % of them within 2 % of each other (1.9 % within 1.5 %). An enrolled profile hears only
    # within 0.7-1.75 % of the learned note, so there the pitch cannot part a stray from the pump: the cadence must.
    same_pitch_tolerance_pct: float = Field(
        default=2.0, gt=0, le=10,
        description="a repeat confirms an earlier sounding only if each of its tones lies within ± this share of "
        "the earlier one's (%): the pump repeats the same sound, so two unrelated sounds (a phone, a microwave) "
        "an hour apart do not confirm each other",
    )
    same_sounding_s: float = Field(
        default=30.0, ge=0, description="detections closer than this are one sounding reported twice (s)"
    )
    missed_repeats_allowed: int = Field(
        default=2, ge=0, description="repeats that may go unheard (TV, door closed) before an episode ends"
    )
    end_grace_pct: float = Field(
        default=25.0, ge=0, description="extra wait past the last expected repeat before ending (% of period)"
    )

    def period_s(self, alarm: AlarmKind) -> float:
        return self.critical_period_s if alarm is AlarmKind.CRITICAL else self.non_critical_period_s


@dataclass(frozen=True)
class Sounding:
    """One sounding an episode keeps while it can still confirm a repeat."""

    started_at: datetime
    frequencies_hz: tuple[float, ...]  # sorted; empty when not known (a drill from MQTT has no tones)


@dataclass(frozen=True)
class _Match:
    earlier: Sounding
    interval_s: float
    periods: int
    error_s: float


@dataclass
class Episode:
    """The state of one active episode (mutable; the tracker owns it)."""

    episode_id: str
    alarm: AlarmKind
    is_test: bool
    first_heard: datetime
    last_heard: datetime
    last_sounding_start: datetime
    period_s: float
    next_expected_at: datetime
    alive_since: datetime  # start of the latest sounding that could be the pump: the end deadline counts from it
    soundings: int = 1
    confirmed: bool = False
    max_confidence: float = 0.0
    profile_verified: bool = False
    intervals_s: list[float] = field(default_factory=list)
    kept: deque[Sounding] = field(default_factory=lambda: deque(maxlen=MAX_KEPT_SOUNDINGS))
    last_on_cadence: Sounding | None = None  # the pump's latest repeat (as far as the cadence can tell)


class EpisodeTracker:
    def __init__(self, *, node_id: str, microphone: str, settings: CadenceSettings | None = None) -> None:
        self.node_id = node_id
        self.microphone = microphone
        self.settings = settings or CadenceSettings()
        self._active: dict[tuple[AlarmKind, bool], Episode] = {}

    @property
    def active(self) -> list[Episode]:
        return list(self._active.values())

    def observe(self, heard: AlarmHeard) -> list[EpisodeEvent]:
        """Account for one sounding; returns the episode events it causes (maybe none)."""
        key = (heard.alarm, heard.is_test)
        events: list[EpisodeEvent] = list(self.advance(heard.started_at))
        episode = self._active.get(key)
        sounding = Sounding(heard.started_at, tuple(sorted(heard.frequencies_hz)))
        if episode is None:
            period_s = self.settings.period_s(heard.alarm)
            episode = Episode(
                episode_id=uuid.uuid4().hex,
                alarm=heard.alarm,
                is_test=heard.is_test,
                first_heard=heard.started_at,
                last_heard=heard.ended_at,
                last_sounding_start=heard.started_at,
                period_s=period_s,
                next_expected_at=heard.started_at + timedelta(seconds=period_s),
                alive_since=heard.started_at,
                max_confidence=heard.confidence,
                profile_verified=heard.profile_verified,
            )
            episode.kept.append(sounding)
            self._active[key] = episode
            events.append(self._event(EpisodeStarted, episode, time=heard.ended_at,
                                      next_expected_at=episode.next_expected_at))
            return events

        since_last_s = (heard.started_at - episode.last_sounding_start).total_seconds()
        episode.last_heard = max(episode.last_heard, heard.ended_at)
        episode.max_confidence = max(episode.max_confidence, heard.confidence)
        episode.profile_verified = heard.profile_verified
        if since_last_s < self.settings.same_sounding_s:
            return events  # the same sounding, reported twice (e.g. two bursts of one critical alarm)

        episode.soundings += 1
        episode.last_sounding_start = heard.started_at
        self._forget_stale(episode, now=heard.started_at)
        match = self._best_match(episode, sounding)
        if match is not None:
            # Refine the period from what the pump really does (its "10 minutes" is its own clock, not ours).
            episode.intervals_s.append(match.interval_s / match.periods)
            episode.period_s = sorted(episode.intervals_s)[len(episode.intervals_s) // 2]
            episode.last_on_cadence = sounding
            # The cadence counts from this repeat now. The matched sounding and those before it are explained by it;
            # left in, they would let a stray a little after this repeat pass as on cadence with the sounding before
            # it (and pull the period). Soundings at another pitch are dropped too: see below.
            episode.kept = deque((s for s in episode.kept if s.started_at > match.earlier.started_at
                                  and self._same_pitch(s.frequencies_hz, sounding.frequencies_hz)),
                                 maxlen=MAX_KEPT_SOUNDINGS)
        # Once a repeat on cadence has shown which sound is the pump, the episode is about that sound. A sounding at
        # another pitch is a stray: it is counted and reported (ONGOING), but it is not kept to confirm anything
        # (several other devices repeating among themselves would otherwise pull the period away from the pump's),
        # and it does not keep the episode alive: it says nothing about the pump, and extending the episode would
        # hold an acknowledged incident open past the pump's silence, so that the pump sounding again later would
        # join an acknowledged incident instead of alerting anew. Before that, any sounding may be the pump.
        if episode.last_on_cadence is None or self._same_pitch(sounding.frequencies_hz,
                                                                 episode.last_on_cadence.frequencies_hz):
            episode.kept.append(sounding)
            episode.alive_since = heard.started_at
        episode.next_expected_at = self._next_expected_at(episode)
        if match is not None and not episode.confirmed:
            episode.confirmed = True
            events.append(self._event(EpisodeConfirmed, episode, time=heard.ended_at,
                                      next_expected_at=episode.next_expected_at))
            return events
        # Every further sounding is reported, so alerts keep "last heard" and "how many times" true.
        events.append(self._event(EpisodeOngoing, episode, time=heard.ended_at, confirmed=episode.confirmed,
                                  on_cadence=match is not None, next_expected_at=episode.next_expected_at))
        return events

    def advance(self, now: datetime) -> list[EpisodeEnded]:
        """End every episode whose expected repeats stopped before `now`."""
        ended: list[EpisodeEnded] = []
        for key, episode in list(self._active.items()):
            deadline = self._end_deadline(episode)
            if deadline <= now:
                del self._active[key]
                ended.append(self._ended(episode, EpisodeEndReason.REPEATS_STOPPED, deadline))
        return ended

    def resolve(self, alarm: AlarmKind, now: datetime, reason: EpisodeEndReason) -> list[EpisodeEnded]:
        """End the active episodes of `alarm` on a person's word (e.g. a refill was logged)."""
        ended: list[EpisodeEnded] = []
        for key, episode in list(self._active.items()):
            if episode.alarm is alarm:
                del self._active[key]
                ended.append(self._ended(episode, reason, now))
        return ended

    def next_deadline(self) -> datetime | None:
        """When `advance()` next has something to do (the earliest episode end), if anything is active."""
        deadlines = [self._end_deadline(e) for e in self._active.values()]
        return min(deadlines) if deadlines else None

    # --- internals ---

    def _periods_on_cadence(self, interval_s: float, period_s: float) -> int | None:
        """How many periods `interval_s` spans if it is on cadence (1 = the next repeat), else None."""
        tolerance = self.settings.on_cadence_tolerance_pct / 100.0
        periods = round(interval_s / period_s)
        if not 1 <= periods <= self.settings.missed_repeats_allowed + 1:
            return None
        return periods if abs(interval_s - periods * period_s) <= tolerance * period_s else None

    def _best_match(self, episode: Episode, sounding: Sounding) -> _Match | None:
        """The kept sounding this one repeats on cadence and at the same pitch, if any.

        Of several, the one nearest a whole number of periods (then the latest): with a stray at the same pitch
        also on cadence (a tolerance of ±25 % is wide), the pump's own repeat is the better fit.
        """
        best: _Match | None = None
        for earlier in episode.kept:
            if not self._same_pitch(sounding.frequencies_hz, earlier.frequencies_hz):
                continue
            interval_s = (sounding.started_at - earlier.started_at).total_seconds()
            periods = self._periods_on_cadence(interval_s, episode.period_s)
            if periods is None:
                continue
            error_s = abs(interval_s - periods * episode.period_s)
            if best is None or error_s <= best.error_s:  # kept is oldest first: ties go to the latest
                best = _Match(earlier, interval_s, periods, error_s)
        return best

    def _same_pitch(self, tones_hz: tuple[float, ...], other_hz: tuple[float, ...]) -> bool:
        """Whether two soundings have the same tone(s): each within `same_pitch_tolerance_pct` of the other's.

        Tones not known (an empty tuple) are no evidence either way, and match.
        """
        if not tones_hz or not other_hz:
            return True
        if len(tones_hz) != len(other_hz):
            return False
        tolerance = self.settings.same_pitch_tolerance_pct / 100.0
        return all(abs(a - b) <= tolerance * min(a, b) for a, b in zip(tones_hz, other_hz, strict=True))

    def _forget_stale(self, episode: Episode, *, now: datetime) -> None:
        """Drop the kept soundings too old to confirm a repeat heard at `now` or later."""
        on_cadence = self.settings.on_cadence_tolerance_pct / 100.0
        horizon = timedelta(seconds=(self.settings.missed_repeats_allowed + 1 + on_cadence) * episode.period_s)
        while episode.kept and now - episode.kept[0].started_at > horizon:
            episode.kept.popleft()

    def _next_expected_at(self, episode: Episode) -> datetime:
        """When the pump should sound next: the earliest time after the latest sounding at which a repeat would be
        on cadence with the pump's latest repeat (once one was heard: a stray predicts nothing), or before that with
        any kept sounding (any of them may be the pump).
        """
        latest = episode.last_sounding_start
        period = timedelta(seconds=episode.period_s)
        candidates = [latest + period]
        anchors = list(episode.kept) if episode.last_on_cadence is None else [episode.last_on_cadence]
        for earlier in anchors:
            for periods in range(1, self.settings.missed_repeats_allowed + 2):
                if (expected := earlier.started_at + periods * period) > latest:
                    candidates.append(expected)
                    break
        return min(candidates)

    def _end_deadline(self, episode: Episode) -> datetime:
        allowed = self.settings.missed_repeats_allowed + 1 + self.settings.end_grace_pct / 100.0
        return episode.alive_since + timedelta(seconds=allowed * episode.period_s)

    def _ended(self, episode: Episode, reason: EpisodeEndReason, at: datetime) -> EpisodeEnded:
        return self._event(EpisodeEnded, episode, time=max(at, episode.last_heard), reason=reason)

    def _event(self, cls: type[_E], episode: Episode, *, time: datetime, **extra: object) -> _E:
        return cls.model_validate(
            dict(
                node_id=self.node_id,
                time=time,
                is_test=episode.is_test,
                episode_id=episode.episode_id,
                alarm=episode.alarm,
                microphone=self.microphone,
                first_heard=episode.first_heard,
                last_heard=episode.last_heard,
                soundings=episode.soundings,
                max_confidence=episode.max_confidence,
                profile_verified=episode.profile_verified,
                **extra,
            )
        )
