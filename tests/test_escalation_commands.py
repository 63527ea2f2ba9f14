"""`monitord test-alert` and `monitord escalate` as a user runs them: real processes, real loopback fakes."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from monitord.alarms import AlarmKind
from monitord.escalation.incidents import IncidentStore
from monitord.events import Acknowledged, EpisodeStarted, IncidentState
from tests.escalation_support import episode
from tests.fake_services import NTFY_TOKEN, PUSHOVER_APP_TOKEN, FakeNtfy, FakePushover
from tests.mqtt_broker import MosquittoBroker
from tests.mqtt_support import publish, recording


def write_config(path: Path, *, ntfy_url: str, pushover_url: str | None = None, pushover_user: str = "") -> Path:
    text = f"""
[escalation]
caregivers = ["mum_ntfy"{', "dad_pushover"' if pushover_url else ''}]

[escalation.contacts]
patient_name = "Alex"
pump_team_oncall = "+31 20 555 0199"

[escalation.delivery]
backoff_base_s = 0.01

[[escalation.notifiers]]
type = "ntfy"
name = "mum_ntfy"
server_url = "{ntfy_url}"
topic = "pump-alex-7f3a9c"
token = "{NTFY_TOKEN}"
"""
    if pushover_url:
        text += f"""
[[escalation.notifiers]]
type = "pushover"
name = "dad_pushover"
api_url = "{pushover_url}"
app_token = "{PUSHOVER_APP_TOKEN}"
user_key = "{pushover_user}"
"""
    path.write_text(text)
    return path


async def monitord(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitord", "--log-json", *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_test_alert_reports_each_channel_and_fails_when_one_does(
    tmp_path: Path, fake_ntfy: FakeNtfy, fake_pushover: FakePushover,
) -> None:
    wrong_user = "u" + "x" * 29  # a well-formed key Pushover does not know: permanent failure, no retries
    cfg = write_config(tmp_path / "monitord.toml", ntfy_url=fake_ntfy.url, pushover_url=fake_pushover.url,
                       pushover_user=wrong_user)
    code, out, _ = await monitord("test-alert", "--config", str(cfg))
    assert code == 69
    assert "  ok    mum_ntfy" in out
    assert "  ok    console" in out
    assert "  FAIL  dad_pushover" in out
    assert "1 channel(s) failed" in out
    [message] = fake_ntfy.messages
    assert message["title"].startswith("TEST")
    assert "TEST" in message["tags"]
    assert "drill" in message["message"]
    assert len(fake_pushover.requests) == 1  # a permanent refusal is not retried


async def test_test_alert_succeeds_when_every_channel_delivers(tmp_path: Path, fake_ntfy: FakeNtfy) -> None:
    cfg = write_config(tmp_path / "monitord.toml", ntfy_url=fake_ntfy.url)
    code, out, _ = await monitord("test-alert", "--config", str(cfg), "--target", "caregivers")
    assert code == 0, out
    assert "through 1 channel(s)" in out
    assert len(fake_ntfy.messages) == 1


async def test_test_alert_refuses_a_config_with_a_typo(tmp_path: Path) -> None:
    cfg = tmp_path / "monitord.toml"
    cfg.write_text('[escalation]\ncaregivers = ["mum"]\n')
    code, _, err = await monitord("test-alert", "--config", str(cfg))
    assert code == 78
    assert "unknown notifier 'mum'" in err
    assert "Traceback" not in err


async def test_escalate_reads_events_as_json_lines_and_keeps_the_incident(
    tmp_path: Path, fake_ntfy: FakeNtfy,
) -> None:
    cfg = write_config(tmp_path / "monitord.toml", ntfy_url=fake_ntfy.url)
    state = tmp_path / "state"
    started = episode(EpisodeStarted)
    lines = b"not json\n" + started.to_payload() + b"\n"
    code, _, err = await monitord("escalate", "--config", str(cfg), "--state-dir", str(state), "--events", "-",
                                  stdin=lines)
    assert code == 0, err
    assert "skipping a line that is not a monitord event" in err
    [message] = fake_ntfy.messages
    assert message["priority"] == 5
    store = IncidentStore(state)
    try:
        [incident] = store.open_incidents()
        assert incident.state is IncidentState.TRIGGERED
        assert incident.escalation_level == 1
    finally:
        store.close()


async def test_escalate_as_its_own_process_consumes_mqtt_and_publishes_incidents_back(
    tmp_path: Path, fake_ntfy: FakeNtfy, mosquitto: MosquittoBroker, unique_node: str,
) -> None:
    """1. `monitord escalate` connects to a real Mosquitto; 2. a bedroom monitor publishes EpisodeStarted;
    3. the phone (ntfy) gets the critical alert; 4. IncidentChanged comes back on the escalation node's topic;
    5. an acknowledgement published by the monitor's command path (Acknowledged event) stops it; 6. SIGTERM → 0."""
    cfg = write_config(tmp_path / "monitord.toml", ntfy_url=fake_ntfy.url)
    cfg.write_text(cfg.read_text() + f'\n[mqtt]\nhost = "127.0.0.1"\nport = {mosquitto.port}\nkeepalive_s = 5\n'
                   'reconnect_backoff_base_s = 0.05\nreconnect_backoff_cap_s = 0.3\ndiscovery = false\n')
    escalator, bedroom = f"{unique_node}-esc", f"{unique_node}-bed"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitord", "--log-json", "escalate", "--config", str(cfg), "--state-dir",
        str(tmp_path / "state"), "--node-id", escalator,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with recording(mosquitto.port, f"monitord/{escalator}/event/+") as recorder:
            started = episode(EpisodeStarted, node=bedroom)
            # Until escalate has subscribed, the broker keeps nothing for it: repeat the same event (same id,
            # deduplicated) until the phone buzzes.
            async with asyncio.timeout(20):
                while not fake_ntfy.messages:
                    await publish(mosquitto.port, f"monitord/{bedroom}/event/episode_started", started.to_payload())
                    await asyncio.sleep(0.3)
            await recorder.wait_for(lambda r: bool(r.on(f"monitord/{escalator}/event/incident_changed")))
            opened = r_json(recorder.last(f"monitord/{escalator}/event/incident_changed").payload)
            assert (opened["state"], opened["alarm"]) == ("triggered", "critical")
            ack = Acknowledged(node_id=bedroom, time=started.time, alarm=AlarmKind.CRITICAL, by="mum",
                               channel="mqtt")
            await publish(mosquitto.port, f"monitord/{bedroom}/event/acknowledged", ack.to_payload())
            await recorder.wait_for(lambda r: any(
                r_json(m.payload)["state"] == "acknowledged"
                for m in r.on(f"monitord/{escalator}/event/incident_changed")
            ))
        assert len([m for m in fake_ntfy.messages if m["priority"] == 5]) == 1
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, err.decode()[-2000:]


def r_json(payload: bytes) -> dict[str, Any]:
    value = json.loads(payload)
    assert isinstance(value, dict)
    return value
