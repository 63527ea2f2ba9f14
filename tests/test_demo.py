"""`monitord demo` — the README's main command — end to end on the bundled example recordings: enrollment, the
whole daemon, episodes and the escalation, checked against examples/household.truth.json."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.conftest import REPO, run_cli


def test_demo_hears_exactly_the_pump_soundings_and_escalates_the_critical_alarm() -> None:
    """1. both clinic recordings are enrolled; 2. the household recording is heard as fast as possible: one beep,
    two critical soundings, at the times the truth file gives, and nothing for the microwave, phone, smoke alarm
    or siren; 3. the critical alarm opens one incident; 4. nobody acknowledges, so on-call is paged (step ≥ 2)."""
    result = run_cli("demo", "--speed", "0", "--linger", "4", "--json")
    assert result.code == 0, result.err
    assert "learned the critical alarm" in result.out
    assert "learned the non_critical alarm" in result.out
    events = [json.loads(line) for line in result.out.splitlines() if line.startswith("{")]

    heard = [e for e in events if e["type"] == "alarm_heard"]
    truth = json.loads((REPO / "examples" / "household.truth.json").read_text())["household.flac"]
    expected = [(e["kind"], e["start"]) for e in truth if e["kind"] in ("critical", "non_critical")]
    assert [e["alarm"] for e in heard] == [kind for kind, _ in expected]
    # Stream offsets relative to the first sounding (the replay clock's origin is arbitrary).
    t0 = datetime.fromisoformat(heard[0]["started_at"])
    offsets = [(datetime.fromisoformat(e["started_at"]) - t0).total_seconds() for e in heard]
    for offset, (_, start) in zip(offsets, expected, strict=True):
        assert abs(offset - (start - expected[0][1])) < 1.0
    assert all(e["profile_verified"] for e in heard)

    incidents = [e for e in events if e["type"] == "incident_changed"]
    assert len({e["incident_id"] for e in incidents if e["alarm"] == "critical"}) == 1
    assert max(e["step"] for e in incidents if e["alarm"] == "critical") >= 2
    assert not [e for e in incidents if e["alarm"] == "non_critical"]  # one beep is not confirmed: no incident


def test_demo_on_a_missing_recording_says_so_without_a_traceback(tmp_path: Path) -> None:
    result = run_cli("demo", "--speed", "0", "--input", str(tmp_path / "nope.flac"))
    assert result.code == 66
    assert "nope.flac" in result.err
    assert "Traceback" not in result.err
