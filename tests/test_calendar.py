from __future__ import annotations

from datetime import date

from monitord.calendar import CalendarConfig, RefillCalendar, explain_non_critical
from monitord.events import ReminderKind

CAL = RefillCalendar.from_config(CalendarConfig(reservoir_alarm_date=date(2026, 12, 1),
                                                replacement_date=date(2027, 6, 1)))


def test_reminders_fire_14_7_and_3_days_before_once_each() -> None:
    sent: set[str] = set()
    fired: list[tuple[ReminderKind, int]] = []
    day = date(2026, 11, 1)
    while day <= date(2026, 12, 2):
        for kind, due, days_left, key in CAL.reminders_due(day, sent):
            fired.append((kind, days_left))
            sent |= CAL.superseded_keys(kind, due, key)
        day = date.fromordinal(day.toordinal() + 1)
    assert fired == [(ReminderKind.RESERVOIR, 14), (ReminderKind.RESERVOIR, 7), (ReminderKind.RESERVOIR, 3)]


def test_a_missed_reminder_is_sent_late_once_not_all_at_once() -> None:
    due = CAL.reminders_due(date(2026, 11, 26), set())  # monitor was off on the 14- and 7-day marks
    assert [(k, d) for k, _, d, _ in due] == [(ReminderKind.RESERVOIR, 5)]


def test_state_counts_days() -> None:
    from datetime import UTC, datetime

    state = CAL.state_event(node_id="n", now=datetime(2026, 11, 21, tzinfo=UTC), today=date(2026, 11, 21))
    assert state.days_until_reservoir_alarm == 10
    assert state.days_until_replacement == 192


def test_explanations() -> None:
    assert explain_non_critical(CAL, date(2026, 11, 25)).startswith("Likely reservoir low")
    assert "6 days" in explain_non_critical(CAL, date(2026, 11, 25))
    assert explain_non_critical(CAL, date(2027, 5, 20)).startswith("Likely replacement due")
    assert "cause unknown" in explain_non_critical(CAL, date(2026, 9, 1))
    assert "cause unknown" in explain_non_critical(None, date(2026, 9, 1))
