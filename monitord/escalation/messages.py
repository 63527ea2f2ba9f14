"""What the phone says. Every alert answers, in this order: which alarm, for whom, where (microphone/room), when
first and last heard, how many times, how sure (and "UNVERIFIED default profile — a guess" until the pump is
enrolled), what to do now, whom to call. Texts come from monitord.alarms and ../shared/domain.md.

Notifiers map title/body onto their API and add the acknowledgement button (ack_url) and evidence link
themselves, so the body does not repeat them. A drill says TEST in the title and in the first line of the body.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from monitord.alarms import OVERDOSE_SIGNS, SECOND_CHANNEL_DISCLAIMER, AlarmKind
from monitord.escalation.config import ContactsConfig
from monitord.escalation.incidents import Incident
from monitord.events import CalendarReminder, MonitorHealth, ReminderKind
from monitord.notifiers.base import Notification, NotificationKind, Urgency

UNVERIFIED_LABEL = "UNVERIFIED default profile — a guess (enroll your pump's alarms to verify)"
_REFILL_CONTEXT = (
    "Refill context: the low-reservoir alarm comes before the reservoir is empty; clinics refill 3-7 days before "
    "the alarm date on the last refill printout. Log the refill in monitord to stop these reminders."
)
TEST_BANNER = "TEST — this is a drill, not a real alarm. No action needed."


def _clock(when: datetime | None, tz: tzinfo) -> str:
    if when is None:
        return "unknown"
    return when.astimezone(tz).strftime("%a %d %b %H:%M:%S %Z")


def contacts_lines(contacts: ContactsConfig) -> list[str]:
    lines = []
    if contacts.pump_team_business_hours:
        lines.append(f"Pump team (business hours): {contacts.pump_team_business_hours}")
    if contacts.pump_team_oncall:
        lines.append(f"Pump team / on-call doctor: {contacts.pump_team_oncall}")
    lines.append(f"Emergency: {contacts.emergency_number}")
    if contacts.care_plan_note:
        lines.append(f"Care plan: {contacts.care_plan_note}")
    return lines


def confidence_line(incident: Incident) -> str:
    sure = f"How sure: {incident.max_confidence:.0%} match"
    return f"{sure} — {UNVERIFIED_LABEL}" if not incident.profile_verified else f"{sure} (enrolled profile)"


def render_incident(
    incident: Incident,
    kind: NotificationKind,
    urgency: Urgency,
    *,
    contacts: ContactsConfig,
    tz: tzinfo,
    ack_url: str | None = None,
    evidence_url: str | None = None,
    likely_cause: str | None = None,
) -> Notification:
    """`likely_cause`: for the non-critical beep, what the pump's calendar suggests (monitord.calendar)."""
    alarm = incident.alarm
    where = ", ".join(incident.microphones) or "unknown microphone"
    test = "TEST " if incident.is_test else ""
    head = {
        NotificationKind.TRIGGER: "",
        NotificationKind.REMINDER: "Reminder: ",
        NotificationKind.ACKNOWLEDGED: "Acknowledged: ",
        NotificationKind.RESOLVED: "Resolved: ",
    }.get(kind, "")
    title = f"{test}{head}{alarm.display_name} — {contacts.patient_name} ({where})"

    lines: list[str] = []
    if incident.is_test:
        lines.append(TEST_BANNER)
    if kind is NotificationKind.ACKNOWLEDGED:
        lines.append(
            f"{incident.acknowledged_by or 'someone'} acknowledged via {incident.acknowledged_channel or '?'} at "
            f"{_clock(incident.acknowledged_at, tz)}. Others can stand down; the pump still needs attention."
        )
    elif kind is NotificationKind.RESOLVED:
        how = f" by {incident.resolved_by} via {incident.resolved_channel}" if incident.resolved_by else ""
        lines.append(f"Resolved{how} at {_clock(incident.resolved_at, tz)}: {incident.resolved_reason or 'over'}.")
    lines.append(f"Heard: {alarm.display_name} for {contacts.patient_name}, microphone: {where}.")
    lines.append(
        f"First heard {_clock(incident.first_heard, tz)}, last heard {_clock(incident.last_heard, tz)}, "
        f"{incident.soundings} time{'s' if incident.soundings != 1 else ''}."
    )
    lines.append(confidence_line(incident))
    # Most urgent first: some channels cut long texts (Pushover at 1024 characters), so what to do and whom to
    # call come before the explanation.
    active = kind in (NotificationKind.TRIGGER, NotificationKind.REMINDER)
    if active:
        lines.append(f"Do now: {alarm.what_to_do}")
        if likely_cause:
            lines.append(likely_cause)
    lines.extend(contacts_lines(contacts))
    if evidence_url:
        lines.append(f"Audio evidence: {evidence_url}")
    if active:
        lines.append(f"Means: {alarm.meaning}")
        lines.append(OVERDOSE_SIGNS if alarm is AlarmKind.CRITICAL else _REFILL_CONTEXT)
    lines.append(SECOND_CHANNEL_DISCLAIMER)

    tags = ["monitord", alarm.value]
    if incident.is_test:
        tags.append("test")
    if not incident.profile_verified:
        tags.append("unverified_profile")
    clip = Path(incident.clip_path) if incident.clip_path else None
    return Notification(
        incident_id=incident.id,
        dedup_key=incident.dedup_key,
        kind=NotificationKind.TEST if incident.is_test and kind is NotificationKind.TRIGGER else kind,
        urgency=urgency,
        alarm=alarm,
        title=title,
        body="\n".join(lines),
        is_test=incident.is_test,
        ack_url=ack_url if incident.is_open else None,
        evidence_url=evidence_url,
        attachment_path=clip if clip is not None and clip.is_file() else None,
        tags=tuple(tags),
    )


def render_health(
    event: MonitorHealth, *, down_since: datetime, recovered: bool, urgency: Urgency, contacts: ContactsConfig,
    tz: tzinfo,
) -> Notification:
    key = f"monitord-health-{event.node_id}-{event.microphone}"
    if recovered:
        title = f"Monitor can hear again — {contacts.patient_name} ({event.microphone})"
        body = [
            f"Microphone {event.microphone} on {event.node_id} is working again since {_clock(event.time, tz)} "
            f"(it could not hear from {_clock(down_since, tz)})."
        ]
    else:
        title = f"Monitor CANNOT HEAR — {contacts.patient_name} ({event.microphone})"
        level = f", input level {event.input_level_dbfs:.0f} dBFS" if event.input_level_dbfs is not None else ""
        body = [
            f"Microphone {event.microphone} on {event.node_id}: {event.status.value}{level} "
            f"since {_clock(down_since, tz)}. {event.detail}".rstrip(),
            "Pump alarms in that room are NOT being monitored. Check the microphone, its cable and the device; "
            "until then listen for the pump yourself.",
        ]
    if event.is_test:
        body.insert(0, TEST_BANNER)
    body.append(SECOND_CHANNEL_DISCLAIMER)
    return Notification(
        incident_id=key,
        dedup_key=key,
        kind=NotificationKind.INFO,
        urgency=Urgency.NORMAL if recovered else urgency,
        alarm=None,
        title=("TEST " if event.is_test else "") + title,
        body="\n".join(body),
        is_test=event.is_test,
        tags=("monitord", "monitor_health", "test") if event.is_test else ("monitord", "monitor_health"),
    )


def render_channel_failure(
    *, notifier: str, target: str, error: str, incident_id: str | None, at: datetime, contacts: ContactsConfig,
    tz: tzinfo,
) -> Notification:
    key = f"monitord-channel-{notifier}"
    about = f" while alerting for incident {incident_id}" if incident_id else ""
    body = [
        f"monitord could not reach {notifier} ({target}){about} at {_clock(at, tz)}: {error}",
        "Alerts that should have gone there may not arrive. Check that channel (app, subscription, API key).",
        SECOND_CHANNEL_DISCLAIMER,
    ]
    return Notification(
        incident_id=incident_id or key,
        dedup_key=key,
        kind=NotificationKind.INFO,
        urgency=Urgency.HIGH,
        alarm=None,
        title=f"Alert channel failing: {notifier} — {contacts.patient_name}",
        body="\n".join(body),
        tags=("monitord", "channel_failure"),
    )


def render_test(
    *, node_id: str, at: datetime, contacts: ContactsConfig, tz: tzinfo, ack_url: str | None = None
) -> Notification:
    key = f"monitord-test-{at.strftime('%Y%m%dT%H%M%S')}"
    body = [
        TEST_BANNER,
        f"Sent by `monitord test-alert` on {node_id} at {_clock(at, tz)} to check this channel reaches you.",
        f"A real alert looks like this and names the alarm, the room, how sure monitord is and what to do for "
        f"{contacts.patient_name}.",
        *contacts_lines(contacts),
        SECOND_CHANNEL_DISCLAIMER,
    ]
    return Notification(
        incident_id=key,
        dedup_key=key,
        kind=NotificationKind.TEST,
        urgency=Urgency.NORMAL,
        alarm=None,
        title=f"TEST — monitord alert check for {contacts.patient_name}",
        body="\n".join(body),
        is_test=True,
        ack_url=ack_url,
        tags=("monitord", "test"),
    )


def render_silent_node(
    *, node_id: str, last_seen: datetime, recovered: bool, at: datetime, urgency: Urgency, contacts: ContactsConfig,
    tz: tzinfo,
) -> Notification:
    key = f"monitord-node-{node_id}"
    if recovered:
        title = f"Monitor {node_id} is reporting again — {contacts.patient_name}"
        body = [f"Monitor {node_id} is sending events again since {_clock(at, tz)}."]
    else:
        title = f"Monitor {node_id} SILENT — {contacts.patient_name}"
        body = [
            f"Nothing heard from monitor {node_id} since {_clock(last_seen, tz)}: it may have crashed, lost power "
            "or its network.",
            "Pump alarms in its room are NOT being monitored. Check the device; until then listen for the pump "
            "yourself.",
        ]
    body.append(SECOND_CHANNEL_DISCLAIMER)
    return Notification(
        incident_id=key, dedup_key=key, kind=NotificationKind.INFO,
        urgency=Urgency.NORMAL if recovered else urgency, alarm=None, title=title, body="\n".join(body),
        tags=("monitord", "monitor_health"),
    )


def render_calendar(event: CalendarReminder, *, urgency: Urgency, contacts: ContactsConfig) -> Notification:
    key = f"monitord-calendar-{event.kind.value}-{event.due_date.isoformat()}"
    when = "today" if event.days_until == 0 else (
        f"in {event.days_until} day{'s' if event.days_until != 1 else ''}" if event.days_until > 0
        else f"{-event.days_until} day{'s' if event.days_until != -1 else ''} ago"
    )
    if event.kind is ReminderKind.RESERVOIR:
        title = f"Pump refill due — {contacts.patient_name}"
        first = (f"The low-reservoir alarm date from the last refill printout is {event.due_date.isoformat()} "
                 f"({when}). Book the refill with the pump team now; clinics refill 3-7 days before that date.")
    else:
        title = f"Pump replacement due — {contacts.patient_name}"
        first = (f"The pump's replacement (elective replacement indicator) date is {event.due_date.isoformat()} "
                 f"({when}). Plan the replacement surgery with the pump team.")
    body = [first, *contacts_lines(contacts), SECOND_CHANNEL_DISCLAIMER]
    if event.is_test:
        body.insert(0, TEST_BANNER)
    return Notification(
        incident_id=key, dedup_key=key, kind=NotificationKind.INFO, urgency=urgency, alarm=None,
        title=("TEST " if event.is_test else "") + title, body="\n".join(body), is_test=event.is_test,
        tags=("monitord", "calendar", event.kind.value),
    )


def render_startup_problems(problems: list[str], *, at: datetime, contacts: ContactsConfig, tz: tzinfo) -> Notification:
    key = "monitord-startup"
    body = [
        f"monitord started at {_clock(at, tz)} without some of its alert paths:",
        *(f"- {p}" for p in problems),
        "Alerts still go out through the other channels. Fix the configuration, then run `monitord test-alert`.",
        SECOND_CHANNEL_DISCLAIMER,
    ]
    return Notification(
        incident_id=key, dedup_key=key, kind=NotificationKind.INFO, urgency=Urgency.HIGH, alarm=None,
        title=f"Alert setup problem — {contacts.patient_name}", body="\n".join(body),
        tags=("monitord", "channel_failure"),
    )
