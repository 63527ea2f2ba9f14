"""Group alarm soundings into episodes using the pump's cadence.

The pump repeats an alarm while its condition lasts: the critical two-tone about every 10 minutes, the
non-critical beep about once an hour (../shared/domain.md). One sounding alone may be a stray beep; a repeat that
arrives on cadence is the pump. So, per alarm kind:

- the first sounding STARTS an episode and predicts the next one at `started + period`;
- a repeat whose interval is close to a whole number of periods (a faint sounding can be missed) CONFIRMS it;
  the measured interval then refines the predicted period (the pump's own clock, not our guess);
- a detection within `same_sounding_s` of the previous one is the same sounding reported twice, not a repeat;
- every further sounding (on cadence or not) is reported as ONGOING with the new count and last-heard time; one
  off cadence keeps the episode alive but does not confirm it;
- when `missed_repeats_allowed + 1` periods (plus grace) pass with nothing heard, the episode ENDS.

Pure and synchronous: no clock reads. The caller passes time in (`advance(now)`), which is what lets tests drive
hours of cadence in milliseconds and lets `analyze` run episodes in stream time.
"""

from __future__ import annotations

import uuid
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
    soundings: int = 1
    confirmed: bool = False
    max_confidence: float = 0.0
    profile_verified: bool = False
    intervals_s: list[float] = field(default_factory=list)

    @property
    def next_expected_at(self) -> datetime:
        return self.last_sounding_start + timedelta(seconds=self.period_s)


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
        if episode is None:
            episode = Episode(
                episode_id=uuid.uuid4().hex,
                alarm=heard.alarm,
                is_test=heard.is_test,
                first_heard=heard.started_at,
                last_heard=heard.ended_at,
                last_sounding_start=heard.started_at,
                period_s=self.settings.period_s(heard.alarm),
                max_confidence=heard.confidence,
                profile_verified=heard.profile_verified,
            )
            self._active[key] = episode
            events.append(self._event(EpisodeStarted, episode, time=heard.ended_at,
                                      next_expected_at=episode.next_expected_at))
            return events

        interval_s = (heard.started_at - episode.last_sounding_start).total_seconds()
        episode.last_heard = max(episode.last_heard, heard.ended_at)
        episode.max_confidence = max(episode.max_confidence, heard.confidence)
        episode.profile_verified = heard.profile_verified
        if interval_s < self.settings.same_sounding_s:
            return events  # the same sounding, reported twice (e.g. two bursts of one critical alarm)

        episode.soundings += 1
        episode.last_sounding_start = heard.started_at
        periods = self._periods_on_cadence(interval_s, episode.period_s)
        if periods is not None:
            # Refine the period from what the pump really does (its "10 minutes" is its own clock, not ours).
            episode.intervals_s.append(interval_s / periods)
            episode.period_s = sorted(episode.intervals_s)[len(episode.intervals_s) // 2]
            if not episode.confirmed:
                episode.confirmed = True
                events.append(self._event(EpisodeConfirmed, episode, time=heard.ended_at,
                                          next_expected_at=episode.next_expected_at))
                return events
        # Every further sounding is reported, so alerts keep "last heard" and "how many times" true.
        events.append(self._event(EpisodeOngoing, episode, time=heard.ended_at, confirmed=episode.confirmed,
                                  on_cadence=periods is not None, next_expected_at=episode.next_expected_at))
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

    def _end_deadline(self, episode: Episode) -> datetime:
        allowed = self.settings.missed_repeats_allowed + 1 + self.settings.end_grace_pct / 100.0
        return episode.last_sounding_start + timedelta(seconds=allowed * episode.period_s)

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
