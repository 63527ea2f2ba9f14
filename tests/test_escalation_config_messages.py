"""Escalation config (defaults, refusals) and message texts (what a parent reads at 3 a.m.)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from monitord.alarms import AlarmKind
from monitord.escalation.config import (
    ContactsConfig,
    EscalationConfig,
    NotifyStep,
    PageStep,
    QuietHours,
    RepeatStep,
    WaitStep,
)
from monitord.escalation.incidents import Incident
from monitord.escalation.messages import UNVERIFIED_LABEL, render_incident, render_test
from monitord.events import EpisodeStarted
from monitord.notifiers.base import NotificationKind, Urgency
from tests.escalation_support import T0, episode

NTFY = {"type": "ntfy", "name": "mum", "topic": "pump-alex-7f3a9c"}


def test_defaults_follow_issue_4() -> None:
    cfg = EscalationConfig.model_validate({"caregivers": ["mum"], "oncall": ["mum"], "notifiers": [NTFY]})
    critical = cfg.critical.steps
    assert isinstance(critical[0], NotifyStep)
    assert critical[0].urgency is Urgency.CRITICAL
    assert critical[0].targets == ["caregivers", "local_speaker"]
    assert isinstance(critical[1], WaitStep)
    assert critical[1].wait_min == 3
    assert isinstance(critical[2], PageStep)
    assert isinstance(critical[-1], RepeatStep)
    assert critical[-1].stop_when == "acknowledged"
    assert not cfg.critical.quiet_hours_apply
    assert cfg.critical.open_on == "started"
    non_critical = cfg.non_critical.steps
    assert isinstance(non_critical[0], NotifyStep)
    assert non_critical[0].targets == ["primary_caregiver"]
    assert non_critical[0].urgency is Urgency.HIGH
    assert isinstance(non_critical[1], RepeatStep)
    assert (non_critical[1].every_min, non_critical[1].stop_when) == (24 * 60, "resolved")
    assert cfg.non_critical.quiet_hours_apply
    assert cfg.notifier_names == ["console", "mum"]


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"caregivers": ["dad"]}, "unknown notifier 'dad'"),
        ({"critical": {"open_on": "started", "steps": [{"action": "notify", "targets": ["caregivers"]}],
                       "quiet_hours_apply": True, "resolve_unacknowledged_when_episode_ends": False}},
         "quiet hours never apply to the critical alarm"),
        ({"non_critical": {"open_on": "confirmed", "quiet_hours_apply": True,
                           "resolve_unacknowledged_when_episode_ends": True,
                           "steps": [{"action": "repeat", "every_min": 60, "targets": ["caregivers"]},
                                     {"action": "notify", "targets": ["caregivers"]}]}},
         "must be the last step"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"delivery": {"fallbacks": {"mum": "mum"}}}, "cannot be its own fallback"),
        ({"caregivers": ["mum"], "typo_field": 1}, "Extra inputs are not permitted"),
    ],
)
def test_config_mistakes_are_refused_with_a_reason(data: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        EscalationConfig.model_validate({"notifiers": [NTFY], **data})


def test_groups_expand_to_notifier_names_in_order_without_duplicates() -> None:
    cfg = EscalationConfig.model_validate({
        "caregivers": ["mum", "console"], "notifiers": [NTFY], "local_speaker": "console",
    })
    assert cfg.expand(["caregivers", "local_speaker", "oncall", "primary_caregiver"]) == ["mum", "console"]


def test_quiet_hours_span_midnight_in_local_time() -> None:
    quiet, tz = QuietHours(), ZoneInfo("Europe/Amsterdam")
    assert quiet.contains(datetime(2026, 11, 21, 21, 30, tzinfo=UTC), tz)  # 22:30 local
    assert not quiet.contains(datetime(2026, 11, 21, 20, 30, tzinfo=UTC), tz)  # 21:30 local
    assert quiet.contains(datetime(2026, 11, 22, 5, 59, tzinfo=UTC), tz)  # 06:59 local
    assert quiet.ends_after(datetime(2026, 11, 21, 23, 0, tzinfo=UTC), tz) == datetime(2026, 11, 22, 6, 0,
                                                                                        tzinfo=UTC)


def _incident(*, verified: bool, is_test: bool = False) -> Incident:
    incident = Incident.new(AlarmKind.CRITICAL, at=T0, is_test=is_test)
    incident.apply_episode(episode(EpisodeStarted, verified=verified, soundings=3, confidence=0.83,
                                   is_test=is_test))
    incident.apply_episode(episode(EpisodeStarted, node="pi-hall", microphone="hall", episode_id="x",
                                   verified=True, soundings=2, confidence=0.5, is_test=is_test))
    return incident


CONTACTS = ContactsConfig(patient_name="Alex", pump_team_business_hours="+31 20 555 0100",
                          pump_team_oncall="+31 20 555 0199", emergency_number="112",
                          care_plan_note="oral baclofen 10 mg")


def test_alert_names_alarm_place_times_count_confidence_actions_and_contacts() -> None:
    n = render_incident(_incident(verified=False), NotificationKind.TRIGGER, Urgency.CRITICAL, contacts=CONTACTS,
                        tz=ZoneInfo("Europe/Amsterdam"), ack_url="https://x/ack/t", evidence_url="https://x/e/t")
    assert n.title == "CRITICAL pump alarm (two-tone) — Alex (bedroom, hall)"
    body = n.body
    assert "microphone: bedroom, hall" in body
    assert "First heard Sat 21 Nov 12:59:57 CET, last heard Sat 21 Nov 13:00:00 CET, 3 times." in body
    assert f"How sure: 83% match — {UNVERIFIED_LABEL}" in body
    assert "Do now: Check the patient now." in body
    assert "Pump team / on-call doctor: +31 20 555 0199" in body
    assert "Care plan: oral baclofen 10 mg" in body
    assert "Audio evidence: https://x/e/t" in body
    assert body.index("Do now") < body.index("Means:")  # the action before the explanation
    assert n.ack_url == "https://x/ack/t"
    assert n.dedup_key.startswith("monitord-critical-")
    assert "unverified_profile" in n.tags
    assert not n.is_test


def test_a_drill_says_test_everywhere() -> None:
    n = render_incident(_incident(verified=True, is_test=True), NotificationKind.TRIGGER, Urgency.CRITICAL,
                        contacts=CONTACTS, tz=UTC)
    assert n.title.startswith("TEST ")
    assert n.body.startswith("TEST — this is a drill")
    assert n.is_test
    assert n.kind is NotificationKind.TEST
    assert "(enrolled profile)" in n.body
    t = render_test(node_id="pi", at=T0 + timedelta(hours=1), contacts=CONTACTS, tz=UTC)
    assert t.title.startswith("TEST")
    assert t.is_test


def test_the_readme_example_config_is_valid() -> None:
    import re
    import tomllib
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("<!-- escalation-example-begin -->")[1].split("<!-- escalation-example-end -->")[0]
    toml_text = re.search(r"```toml\n(.*?)```", block, re.DOTALL)
    assert toml_text is not None
    cfg = EscalationConfig.model_validate(tomllib.loads(toml_text.group(1))["escalation"])
    assert cfg.expand(["caregivers", "oncall"]) == ["mum_phone", "dad_phone", "oncall"]
    assert cfg.delivery.fallbacks == {"mum_phone": "family_telegram"}
    assert cfg.ack_server.public_url == "https://monitord.example.net"
    policy = readme.split("To replace the\ncritical default")[1]
    policy_toml = re.search(r"```toml\n(.*?)```", policy, re.DOTALL)
    assert policy_toml is not None
    custom = EscalationConfig.model_validate(tomllib.loads(policy_toml.group(1))["escalation"])
    assert [s.action for s in custom.critical.steps] == ["notify", "wait", "page", "repeat"]


def test_a_late_out_of_order_update_does_not_reopen_an_ended_episode() -> None:
    from monitord.events import EpisodeConfirmed, EpisodeEnded

    incident = Incident.new(AlarmKind.CRITICAL, at=T0, is_test=False)
    incident.apply_episode(episode(EpisodeStarted))
    incident.apply_episode(episode(EpisodeEnded, soundings=3))
    incident.apply_episode(episode(EpisodeConfirmed, soundings=2))  # replayed late over MQTT
    assert incident.all_episodes_ended
    assert incident.soundings == 3
