"""Escalation configuration: who gets told, how hard, and when to escalate.

The `[escalation]` section. Policies are per alarm kind and made of ordered steps (PagerDuty escalation rules,
Alertmanager time windows): `notify` targets, `wait` N minutes, `page` on-call, `repeat` every N minutes until
acknowledged (or until resolved, for the non-critical daily reminder). Targets are notifier names from
`[[escalation.notifiers]]` or one of the groups `caregivers`, `primary_caregiver`, `oncall`, `local_speaker`.

Example (TOML):

    [escalation]
    timezone = "Europe/Amsterdam"
    caregivers = ["mum_phone", "dad_phone"]
    oncall = ["pagerduty"]

    [escalation.contacts]
    patient_name = "Alex"
    pump_team_business_hours = "+31 20 555 0100 (Mon-Fri 8:30-17:00)"
    pump_team_oncall = "+31 20 555 0199"

    [[escalation.notifiers]]
    type = "ntfy"
    name = "mum_phone"
    ...

Defaults follow issue 4: critical → every caregiver at CRITICAL urgency at once (plus the local speaker if
configured), after 3 minutes unacknowledged page on-call and repeat the caregivers, then repeat every 3 minutes
until acknowledged; quiet hours never apply. Non-critical → one push to the primary caregiver at HIGH urgency with
the refill context, then a daily reminder until a refill is logged or the episode ends; quiet hours hold it until
morning.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from monitord.alarms import AlarmKind
from monitord.configbase import ConfigModel
from monitord.errors import ConfigError
from monitord.notifiers import NotifierConfig
from monitord.notifiers.base import Urgency

GROUPS = ("caregivers", "primary_caregiver", "oncall", "local_speaker")
"""Target names that expand to configured notifier lists (everything else must be a notifier name)."""

StopWhen = Literal["acknowledged", "resolved"]


class NotifyStep(ConfigModel):
    """Send to these targets once."""

    action: Literal["notify"] = "notify"
    targets: list[str] = Field(min_length=1, description="notifier names or groups")
    urgency: Urgency = Field(default=Urgency.HIGH, description="how hard to try to wake someone")
    stop_when: StopWhen = Field(
        default="acknowledged", description="skip this step once the incident is acknowledged (or only resolved)"
    )


class PageStep(ConfigModel):
    """Page the on-call (PagerDuty and friends): a notify step whose default targets are the on-call group."""

    action: Literal["page"] = "page"
    targets: list[str] = Field(default_factory=lambda: ["oncall"], min_length=1)
    urgency: Urgency = Urgency.CRITICAL
    stop_when: StopWhen = "acknowledged"


class WaitStep(ConfigModel):
    """Wait before the next step (persisted as a deadline: a restart does not restart the wait)."""

    action: Literal["wait"] = "wait"
    wait_min: float = Field(ge=0, description="how long to wait (minutes)")


class RepeatStep(ConfigModel):
    """Send to the targets now and then every `every_min` minutes, until acknowledged (or resolved). Always last."""

    action: Literal["repeat"] = "repeat"
    every_min: float = Field(gt=0, description="interval between repeats (minutes)")
    targets: list[str] = Field(min_length=1)
    urgency: Urgency = Urgency.HIGH
    stop_when: StopWhen = "acknowledged"
    send_first: bool = Field(default=True, description="send immediately, then every `every_min`; else wait first")


Step = Annotated[NotifyStep | PageStep | WaitStep | RepeatStep, Field(discriminator="action")]


class EscalationPolicy(ConfigModel):
    open_on: Literal["started", "confirmed"] = Field(
        description="open the incident on the first sounding ('started') or only once a repeat arrived on the "
        "expected cadence ('confirmed': fewer false alarms, but up to one repeat interval later)"
    )
    steps: list[Step] = Field(min_length=1)
    quiet_hours_apply: bool = Field(description="hold notifications during quiet hours until they end")
    resolve_unacknowledged_when_episode_ends: bool = Field(
        description="resolve a still-unacknowledged incident when the sounds stop. False keeps escalating: "
        "a critical alarm nobody answered must reach a human even if the microphone stopped hearing it."
    )

    @model_validator(mode="after")
    def _repeat_is_last(self) -> EscalationPolicy:
        for step in self.steps[:-1]:
            if isinstance(step, RepeatStep):
                raise ValueError("a 'repeat' step repeats forever, so it must be the last step")
        return self


def _default_critical() -> EscalationPolicy:
    return EscalationPolicy(
        open_on="started",
        steps=[
            NotifyStep(targets=["caregivers", "local_speaker"], urgency=Urgency.CRITICAL),
            WaitStep(wait_min=3),
            PageStep(targets=["oncall"]),
            NotifyStep(targets=["caregivers", "local_speaker"], urgency=Urgency.CRITICAL),
            RepeatStep(every_min=3, targets=["caregivers", "local_speaker"], urgency=Urgency.CRITICAL,
                       send_first=False),
        ],
        quiet_hours_apply=False,
        resolve_unacknowledged_when_episode_ends=False,
    )


def _default_non_critical() -> EscalationPolicy:
    return EscalationPolicy(
        open_on="confirmed",
        steps=[
            NotifyStep(targets=["primary_caregiver"], urgency=Urgency.HIGH),
            RepeatStep(
                every_min=24 * 60,
                targets=["primary_caregiver"],
                urgency=Urgency.NORMAL,
                stop_when="resolved",
                send_first=False,
            ),
        ],
        quiet_hours_apply=True,
        resolve_unacknowledged_when_episode_ends=True,
    )


class QuietHours(ConfigModel):
    """A daily window in `escalation.timezone` when policies with `quiet_hours_apply` hold their messages."""

    start: time = Field(default=time(22, 0), description="local time quiet hours begin")
    end: time = Field(default=time(7, 0), description="local time quiet hours end (may be the next day)")

    def _local(self, when: datetime, tz: tzinfo) -> datetime:
        return when.astimezone(tz)

    def contains(self, when: datetime, tz: tzinfo) -> bool:
        now = self._local(when, tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def ends_after(self, when: datetime, tz: tzinfo) -> datetime:
        """The first end of quiet hours after `when` (UTC-aware result)."""
        local = self._local(when, tz)
        candidate = datetime.combine(local.date(), self.end, tzinfo=tz)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=tz)
        return candidate.astimezone(when.tzinfo)


class ContactsConfig(ConfigModel):
    """Whom to call: printed in every message (domain.md: the alert must name the contacts)."""

    patient_name: str = Field(default="the patient", description="used in every message title and body")
    pump_team_business_hours: str = Field(default="", description="pump team phone (business hours), with hours")
    pump_team_oncall: str = Field(default="", description="pump team / on-call doctor phone (out of hours)")
    emergency_number: str = Field(default="112", description="emergency services number")
    care_plan_note: str = Field(default="", description="one line from the care plan, e.g. oral baclofen dose")


class MonitorHealthAlert(ConfigModel):
    """"The monitor cannot hear": MonitorHealth not OK for this long tells the caregivers (Alertmanager Watchdog)."""

    enabled: bool = True
    cannot_hear_after_s: float = Field(
        default=20.0, ge=0,
        description="how long non-OK before telling (seconds); the daemon notices within 5-30 s, so the default keeps "
        "'the monitor cannot hear' on phones within 60 s (issue 5) while riding out a brief glitch",
    )
    targets: list[str] = Field(default_factory=lambda: ["caregivers"], min_length=1)
    urgency: Urgency = Urgency.HIGH
    notify_recovery: bool = Field(default=True, description="also tell when the monitor can hear again")
    silent_node_after_s: float | None = Field(
        default=None, gt=0,
        description="a monitor that sends no event at all for this long (crashed, powered off, off the network) "
        "counts as cannot hear (seconds; for `monitord escalate`, set it above the monitors' health interval)",
    )


class CalendarReminderAlert(ConfigModel):
    """CalendarReminder events (N days before the low-reservoir or replacement date) as a push."""

    enabled: bool = True
    targets: list[str] = Field(default_factory=lambda: ["primary_caregiver"], min_length=1)
    urgency: Urgency = Urgency.NORMAL
    quiet_hours_apply: bool = Field(default=True, description="hold the reminder until quiet hours end")


class DeliveryConfig(ConfigModel):
    attempt_timeout_s: float = Field(default=20.0, gt=0, description="upper bound for one send attempt (seconds)")
    max_attempts: int = Field(default=5, ge=1, description="attempts per message before it counts as failed")
    max_attempts_critical: int = Field(
        default=12, ge=1, description="attempts for CRITICAL urgency (a critical message is never dropped silently)"
    )
    backoff_base_s: float = Field(default=1.0, gt=0, description="first retry waits up to this long (seconds)")
    backoff_cap_s: float = Field(default=60.0, gt=0, description="longest wait between retries (seconds)")
    min_send_interval_s: float = Field(
        default=1.0, ge=0, description="rate limit: least time between two sends on one notifier (seconds)"
    )
    min_send_interval_s_by_notifier: dict[str, float] = Field(
        default_factory=dict, description="per-notifier override of min_send_interval_s (seconds)"
    )
    max_retry_after_s: float = Field(
        default=300.0, gt=0,
        description="honour a server's Retry-After up to this long (seconds); longer (e.g. a monthly quota) "
        "counts as failed now, so the fallback takes over",
    )
    fallback_after_attempts: int = Field(
        default=2, ge=1,
        description="after this many failed attempts the message also goes to the fallback (retries go on)",
    )
    fallbacks: dict[str, str] = Field(
        default_factory=dict,
        description="notifier name -> notifier to use when it failed after its retries, e.g. {mum_phone = 'sms'}",
    )
    failure_report_interval_min: float = Field(
        default=60.0, ge=0, description="report a failing channel to the other channels at most this often (min)"
    )


class AckServerConfig(ConfigModel):
    """The HTTP acknowledgement endpoint behind the phones' "Acknowledge" buttons."""

    enabled: bool = False
    bind_host: str = Field(default="127.0.0.1", description="address to listen on; 0.0.0.0 for the whole LAN")
    bind_port: int = Field(default=8089, ge=0, le=65535, description="TCP port (0: any free port)")
    public_url: str | None = Field(
        default=None,
        description="base URL the phones can reach (e.g. https://monitord.example.net); default http://host:port",
    )
    token_ttl_min: float = Field(default=24 * 60.0, gt=0, description="how long an ack link stays valid (minutes)")

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/") if value else value


class EscalationConfig(ConfigModel):
    """The `[escalation]` section."""

    timezone: str = Field(default="UTC", description="IANA zone for quiet hours and times in messages")
    caregivers: list[str] = Field(default_factory=lambda: ["console"], description="notifier names of caregivers")
    primary_caregiver: str | None = Field(default=None, description="non-critical pushes go here; default: first")
    oncall: list[str] = Field(default_factory=list, description="notifier names for on-call paging (PagerDuty)")
    local_speaker: str | None = Field(
        default=None, description="a notifier that sounds in the house (type = \"speaker\"), if any"
    )
    notifiers: list[NotifierConfig] = Field(
        default_factory=list, description="channel instances; the console notifier is always added"
    )
    contacts: ContactsConfig = Field(default_factory=ContactsConfig)
    critical: EscalationPolicy = Field(default_factory=_default_critical)
    non_critical: EscalationPolicy = Field(default_factory=_default_non_critical)
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours, description="none: never quiet")
    monitor_health: MonitorHealthAlert = Field(default_factory=MonitorHealthAlert)
    calendar_reminders: CalendarReminderAlert = Field(default_factory=CalendarReminderAlert)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    ack_server: AckServerConfig = Field(default_factory=AckServerConfig)
    ack_poll_interval_s: float = Field(
        default=30.0, ge=5.0, description="Pushover receipt polling interval (seconds; Pushover asks >= 5 s)"
    )
    evidence_base_url: str | None = Field(
        default=None, description="if clips are served somewhere, their URL prefix (file name appended)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like 'Europe/Amsterdam')") from exc
        return value

    @model_validator(mode="after")
    def _check_references(self) -> EscalationConfig:
        names = self.notifier_names
        if len(names) != len(set(names)):
            raise ValueError("two notifiers share a name")
        known = set(names)

        def check(ref: str, where: str) -> None:
            if ref not in known:
                raise ValueError(f"{where}: unknown notifier {ref!r} (configured: {', '.join(sorted(known))})")

        for ref in self.caregivers + self.oncall:
            check(ref, "caregivers/oncall")
        for single in (self.primary_caregiver, self.local_speaker):
            if single is not None:
                check(single, "primary_caregiver/local_speaker")
        for src, dst in self.delivery.fallbacks.items():
            check(src, "delivery.fallbacks")
            check(dst, "delivery.fallbacks")
            if src == dst:
                raise ValueError(f"delivery.fallbacks: {src!r} cannot be its own fallback")
        for ref in self.delivery.min_send_interval_s_by_notifier:
            check(ref, "delivery.min_send_interval_s_by_notifier")
        for kind, policy in ((AlarmKind.CRITICAL, self.critical), (AlarmKind.NON_CRITICAL, self.non_critical)):
            for step in policy.steps:
                if isinstance(step, WaitStep):
                    continue
                for ref in step.targets:
                    if ref not in GROUPS:
                        check(ref, f"{kind.value} policy")
        for ref in self.monitor_health.targets + self.calendar_reminders.targets:
            if ref not in GROUPS:
                check(ref, "monitor_health/calendar_reminders targets")
        if self.critical.quiet_hours_apply:
            raise ValueError("quiet hours never apply to the critical alarm (the drug is not flowing)")
        return self

    @property
    def notifier_names(self) -> list[str]:
        names = [n.name for n in self.notifiers]
        return names if "console" in names else ["console", *names]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def policy(self, alarm: AlarmKind) -> EscalationPolicy:
        return self.critical if alarm is AlarmKind.CRITICAL else self.non_critical

    def expand(self, targets: list[str]) -> list[str]:
        """Groups and names → unique notifier names, in order."""
        out: list[str] = []
        for ref in targets:
            if ref == "caregivers":
                names = list(self.caregivers)
            elif ref == "primary_caregiver":
                primary = self.primary_caregiver or (self.caregivers[0] if self.caregivers else None)
                names = [primary] if primary else []
            elif ref == "oncall":
                names = list(self.oncall)
            elif ref == "local_speaker":
                names = [self.local_speaker] if self.local_speaker else []
            else:
                names = [ref]
            out.extend(n for n in names if n not in out)
        return out


def read_toml(path: Path) -> dict[str, Any]:
    """The whole config file as a dict (ConfigError if unreadable or not TOML)."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}",
                          hint="pass --config with the path of your monitord.toml") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def validation_message(exc: ValidationError, *, section: str) -> str:
    lines = []
    for error in exc.errors()[:8]:
        where = ".".join(str(part) for part in (section, *error["loc"]))
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def escalation_config_from(data: dict[str, Any], *, source: str = "config") -> EscalationConfig:
    """The `[escalation]` table of a parsed config file as an EscalationConfig (ConfigError on mistakes)."""
    section = data.get("escalation", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: [escalation] must be a table")
    try:
        return EscalationConfig.model_validate(section)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {validation_message(exc, section='escalation')}") from exc
