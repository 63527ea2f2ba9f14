"""The console sink: always on, so the path "alarm heard → somebody sees it" never depends on anything optional.

Human lines on stdout (`journalctl -u monitord` shows them), or with `--json` one event per line, exactly the
event's payload (`Event.from_payload` reads it back).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import TextIO

from monitord.alarms import SECOND_CHANNEL_DISCLAIMER, AlarmKind
from monitord.bus import Subscription
from monitord.calendar import RefillCalendar, explain_non_critical
from monitord.events import (
    Acknowledged,
    AlarmHeard,
    CalendarReminder,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeOngoing,
    EpisodeStarted,
    Event,
    IncidentChanged,
    MonitorHealth,
    NotificationFailed,
    RefillCalendarState,
    RefillLogged,
    Snoozed,
)


class ConsoleSink:
    def __init__(self, *, subscription: Subscription, json_lines: bool = False, out: TextIO | None = None,
                 calendar: Callable[[], RefillCalendar | None] = lambda: None,
                 today: Callable[[], date] = date.today) -> None:
        self._subscription = subscription
        self._json = json_lines
        self._out = out or sys.stdout
        self._calendar = calendar
        self._today = today
        self.printed = 0

    async def run(self) -> None:
        async for event in self._subscription:
            self.show(event)

    def drain(self) -> None:
        """Print whatever is still queued (at shutdown)."""
        while not self._subscription.queue.empty():
            self.show(self._subscription.get_nowait())

    def show(self, event: Event) -> None:
        text = json.dumps(event.to_dict()) if self._json else self.describe(event)
        if text is None:
            return
        try:
            print(text, file=self._out, flush=True)
        except (BrokenPipeError, ValueError):
            return  # nobody reads stdout any more; the other sinks still work
        self.printed += 1

    def describe(self, event: Event) -> str | None:
        stamp = _local(event.time)
        test = " [TEST]" if event.is_test else ""
        if isinstance(event, AlarmHeard):
            verified = "" if event.profile_verified else " (UNVERIFIED default profile)"
            freqs = "/".join(f"{f:.0f}" for f in event.frequencies_hz)
            return (f"{_local(event.ended_at)}  HEARD{test}     {event.alarm.display_name} in the {event.microphone}: "
                    f"confidence {event.confidence:.0%}, SNR {event.snr_db:.0f} dB, {freqs} Hz{verified}")
        if isinstance(event, EpisodeStarted | EpisodeConfirmed):
            word = "STARTED " if isinstance(event, EpisodeStarted) else "CONFIRMED"
            lines = [f"{stamp}  EPISODE {word}{test} {event.alarm.display_name}: {event.soundings} sounding(s) "
                     f"since {_local(event.first_heard)}, max confidence {event.max_confidence:.0%}"
                     + (f", next expected ~{_local(event.next_expected_at)}" if event.next_expected_at else "")]
            lines.append(f"           means: {event.alarm.meaning}")
            if event.alarm is AlarmKind.NON_CRITICAL:
                lines.append(f"           {explain_non_critical(self._calendar(), self._today())}")
            lines.append(f"           do:    {event.alarm.what_to_do}")
            if isinstance(event, EpisodeStarted) and event.alarm is AlarmKind.CRITICAL:
                lines.append(f"           ({SECOND_CHANNEL_DISCLAIMER})")
            return "\n".join(lines)
        if isinstance(event, EpisodeOngoing):
            cadence = "on cadence" if event.on_cadence else "off cadence"
            return (f"{stamp}  EPISODE ONGOING{test}   {event.alarm.display_name}: {event.soundings} sounding(s) "
                    f"since {_local(event.first_heard)} ({cadence}), last heard {_local(event.last_heard)}"
                    + (f", next expected ~{_local(event.next_expected_at)}" if event.next_expected_at else ""))
        if isinstance(event, EpisodeEnded):
            return (f"{stamp}  EPISODE ENDED{test}     {event.alarm.display_name}: {event.reason.value} after "
                    f"{event.soundings} sounding(s), last heard {_local(event.last_heard)}")
        if isinstance(event, MonitorHealth):
            if event.can_hear:
                return f"{stamp}  MONITOR OK        the {event.microphone} microphone hears ({event.detail})"
            return f"{stamp}  MONITOR CANNOT HEAR ({event.status.value}): {event.detail}"
        if isinstance(event, IncidentChanged):
            by = f" by {event.by} via {event.channel}" if event.by else ""
            return (f"{stamp}  INCIDENT {event.state.value.upper()}{test} {event.alarm.display_name} "
                    f"step {event.step}{by}{': ' + event.reason if event.reason else ''}")
        if isinstance(event, NotificationFailed):
            return f"{stamp}  NOTIFICATION FAILED {event.notifier} → {event.target}: {event.error}"
        if isinstance(event, Acknowledged):
            return f"{stamp}  ACKNOWLEDGED by {event.by} via {event.channel}"
        if isinstance(event, Snoozed):
            return f"{stamp}  SNOOZED non-critical reminders until {_local(event.until)} by {event.by}"
        if isinstance(event, RefillLogged):
            nxt = f", next low-reservoir alarm date {event.next_alarm_date}" if event.next_alarm_date else ""
            return f"{stamp}  REFILL LOGGED on {event.refilled_on} by {event.by}{nxt}"
        if isinstance(event, CalendarReminder):
            what = "low-reservoir alarm" if event.kind.value == "reservoir" else "pump replacement (ERI)"
            return (f"{stamp}  REMINDER          {what} due {event.due_date} (in {event.days_until} days): "
                    "call the pump team to book it")
        if isinstance(event, RefillCalendarState):
            parts = []
            if event.reservoir_alarm_date:
                parts.append(f"low-reservoir alarm {event.reservoir_alarm_date} "
                             f"({event.days_until_reservoir_alarm} days)")
            if event.replacement_date:
                parts.append(f"replacement {event.replacement_date} ({event.days_until_replacement} days)")
            return f"{stamp}  CALENDAR          {'; '.join(parts) if parts else 'no dates set'}"
        return f"{stamp}  {event.type}"


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")
