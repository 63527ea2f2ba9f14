"""The pump's calendar: when the low-reservoir alarm is due and when the battery replacement (ERI) is due.

Two dates come from the clinic: the refill printout gives the **low-reservoir alarm date** (the day the pump will
start its hourly beep), and the pump's interrogation gives the **elective replacement indicator (ERI)** date (the
non-critical alarm announcing "replacement due within ~90 days"). Clinics ask for the refill a few days before the
alarm date (domain.md), so monitord reminds caregivers 14, 7 and 3 days before (configurable), publishes the days
left as state, and uses the dates to explain an hourly beep: near the alarm date it is almost surely "reservoir low",
near the ERI date "replacement due".

Pure and synchronous: no clock, no I/O. `monitord.daemon.calendar_service` drives it with a clock and a state file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from pydantic import Field, model_validator

from monitord.configbase import ConfigModel
from monitord.events import CalendarReminder, RefillCalendarState, ReminderKind


class CalendarConfig(ConfigModel):
    """`[calendar]`: the pump's dates. Either may be left out; `monitord refill` updates them later."""

    reservoir_alarm_date: date | None = Field(
        default=None, description="low-reservoir alarm date from the last refill printout (YYYY-MM-DD)"
    )
    replacement_date: date | None = Field(
        default=None, description="elective replacement indicator (ERI) date from the pump interrogation (YYYY-MM-DD)"
    )
    reminder_days: tuple[int, ...] = Field(
        default=(14, 7, 3), description="send a reminder this many days before each date (days)"
    )
    reservoir_window_days: int = Field(
        default=14, ge=0, le=180,
        description="a non-critical beep this many days before the reservoir alarm date, or after it, is explained "
        "as 'reservoir low' (days)",
    )
    replacement_window_days: int = Field(
        default=30, ge=0, le=365,
        description="a non-critical beep this many days before the ERI date, or after it, is explained as "
        "'replacement due' (days)",
    )

    @model_validator(mode="after")
    def _reminder_days_valid(self) -> CalendarConfig:
        if any(d < 0 or d > 365 for d in self.reminder_days):
            raise ValueError("reminder_days must be between 0 and 365 days")
        return self


@dataclass(frozen=True)
class RefillCalendar:
    reservoir_alarm_date: date | None = None
    replacement_date: date | None = None
    reminder_days: tuple[int, ...] = (14, 7, 3)
    reservoir_window_days: int = 14
    replacement_window_days: int = 30

    @classmethod
    def from_config(cls, config: CalendarConfig) -> RefillCalendar:
        return cls(
            reservoir_alarm_date=config.reservoir_alarm_date,
            replacement_date=config.replacement_date,
            reminder_days=tuple(sorted(set(config.reminder_days), reverse=True)),
            reservoir_window_days=config.reservoir_window_days,
            replacement_window_days=config.replacement_window_days,
        )

    def with_dates(self, *, reservoir_alarm_date: date | None, replacement_date: date | None) -> RefillCalendar:
        return replace(self, reservoir_alarm_date=reservoir_alarm_date, replacement_date=replacement_date)

    def due_date(self, kind: ReminderKind) -> date | None:
        return self.reservoir_alarm_date if kind is ReminderKind.RESERVOIR else self.replacement_date

    def days_until(self, kind: ReminderKind, today: date) -> int | None:
        due = self.due_date(kind)
        return None if due is None else (due - today).days

    def reminders_due(self, today: date, already_sent: set[str]) -> list[tuple[ReminderKind, date, int, str]]:
        """Reminders to send today: `(kind, due_date, days_until, key)`; mark `key` sent once delivered.

        If the monitor was off on a reminder's day, the most urgent missed one is sent late (with the true days
        left) rather than never, and the earlier ones it supersedes are not sent at all.
        """
        due: list[tuple[ReminderKind, date, int, str]] = []
        for kind in ReminderKind:
            due_date = self.due_date(kind)
            if due_date is None:
                continue
            days_left = (due_date - today).days
            if days_left < 0:
                continue
            passed = [t for t in self.reminder_days if days_left <= t]
            if not passed:
                continue
            most_urgent = min(passed)
            key = reminder_key(kind, due_date, most_urgent)
            if key not in already_sent:
                due.append((kind, due_date, days_left, key))
        return due

    def superseded_keys(self, kind: ReminderKind, due_date: date, sent_threshold_key: str) -> set[str]:
        """The reminder keys a sent reminder makes pointless (the earlier, longer-range thresholds)."""
        threshold = int(sent_threshold_key.rsplit(":", 1)[1])
        return {reminder_key(kind, due_date, t) for t in self.reminder_days if t >= threshold}

    def reminder_event(self, *, kind: ReminderKind, due_date: date, days_left: int, node_id: str,
                       now: datetime) -> CalendarReminder:
        return CalendarReminder(node_id=node_id, time=now, kind=kind, due_date=due_date, days_until=days_left)

    def state_event(self, *, node_id: str, now: datetime, today: date) -> RefillCalendarState:
        return RefillCalendarState(
            node_id=node_id,
            time=now,
            reservoir_alarm_date=self.reservoir_alarm_date,
            days_until_reservoir_alarm=self.days_until(ReminderKind.RESERVOIR, today),
            replacement_date=self.replacement_date,
            days_until_replacement=self.days_until(ReminderKind.REPLACEMENT, today),
        )


def reminder_key(kind: ReminderKind, due_date: date, threshold_days: int) -> str:
    return f"{kind.value}:{due_date.isoformat()}:{threshold_days}"


# After the date the alarm keeps sounding until the refill (or replacement); but a date this far in the past means
# the refill happened and nobody logged it, so it explains nothing any more. ERI: the pump runs ~90 days past it.
_RESERVOIR_STALE_AFTER_DAYS = 30
_REPLACEMENT_STALE_AFTER_DAYS = 90


def explain_non_critical(calendar: RefillCalendar | None, today: date) -> str:
    """One sentence for an alert about a non-critical (hourly beep) alarm, from what the calendar knows.

    Near the low-reservoir alarm date the beep is almost surely "reservoir low"; near the ERI date "replacement
    due". When neither date is near (or none is known) we say so instead of guessing: a memory error also sounds
    the same beep, and the pump team can read the cause from the pump.
    """
    reasons: list[str] = []
    if calendar is not None:
        reservoir = calendar.reservoir_alarm_date
        if reservoir is not None and -_RESERVOIR_STALE_AFTER_DAYS <= (reservoir - today).days \
                <= calendar.reservoir_window_days:
            reasons.append(f"reservoir low: the refill printout gave {reservoir.isoformat()} as the low-reservoir "
                           f"alarm date ({_relative_days((reservoir - today).days)}). Book the refill now.")
        replacement = calendar.replacement_date
        if replacement is not None and -_REPLACEMENT_STALE_AFTER_DAYS <= (replacement - today).days \
                <= calendar.replacement_window_days:
            reasons.append(f"replacement due: the pump's replacement (ERI) date is {replacement.isoformat()} "
                           f"({_relative_days((replacement - today).days)}). Call the pump team to plan the "
                           "replacement.")
    if not reasons:
        return ("Likely cause unknown: no refill or replacement date is near. The pump team can read the cause "
                "(low reservoir, replacement due, memory error) from the pump.")
    return "Likely " + " Or ".join(reasons)


def _relative_days(days: int) -> str:
    if days == 0:
        return "today"
    if days > 0:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"{-days} day{'s' if days != -1 else ''} ago"
