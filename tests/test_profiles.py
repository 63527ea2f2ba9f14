"""Profiles: the bundled guess, strict loading (clear errors, exit 65), and saving that keeps the user's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitord.alarms import AlarmKind
from monitord.errors import ExitCode, UserError
from monitord.profiles import BeepSignature, TwoToneSignature, default_profile_path, load_profile, save_profile

REPO = Path(__file__).resolve().parent.parent


def test_default_profile_is_an_unverified_guess_shipped_twice_identically() -> None:
    profile = load_profile(None)
    assert profile.name == "synchromed2-default"
    assert not profile.verified
    assert not profile.is_verified(AlarmKind.CRITICAL)
    assert not profile.is_verified(AlarmKind.NON_CRITICAL)
    assert profile.critical is not None
    assert profile.critical.frequencies_hz is None
    assert profile.non_critical is not None
    assert profile.non_critical.frequency_hz is None
    shipped = (REPO / "config/profiles/synchromed2-default.toml").read_text()
    assert default_profile_path().read_text() == shipped
    assert "GUESS" in shipped


@pytest.mark.parametrize(("text", "expected"), [
    ("name = 'x'\n[critical\nfrequencies_hz = [1, 2]", "not valid TOML"),
    ("name = 'x'\n[non_critical]\nfrequency_hz = 2000\ntolerance_pct = 50", "tolerance_pct"),
    ("name = 'x'\n[non_critical]\nfrequency_hz = 2000\nspan_min_s = 3\nspan_max_s = 1", "span_min_s"),
    ("name = 'x'\n[critical]\nfrequencies_hz = [1000, 1005]", "too close"),
    ("name = 'x'\n[critical]\nfrequencies_hz = [1000, 20000]", "frequencies_hz"),
    ("name = 'x'\n[non_critical]\nfrequency_hz = 2000\nfrequncy_hz = 2100", "frequncy_hz"),
    ("name = 'x'\n", "at least one signature"),
    ("name = 'x'\n[non_critical]\nfrequency_hz = 'loud'", "frequency_hz"),
])
def test_corrupt_or_impossible_profiles_are_clear_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserError) as error:
        load_profile(path)
    assert error.value.exit_code is ExitCode.DATA_ERR
    assert expected in error.value.message
    assert str(path) in error.value.message


def test_binary_garbage_profile_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.toml"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    with pytest.raises(UserError) as error:
        load_profile(path)
    assert error.value.exit_code is ExitCode.DATA_ERR


def test_missing_profile_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(UserError) as error:
        load_profile(tmp_path / "none.toml")
    assert error.value.exit_code is ExitCode.NO_INPUT
    assert error.value.hint
    assert "enroll" in error.value.hint


def test_save_creates_then_updates_keeping_comments_and_the_other_alarm(tmp_path: Path) -> None:
    path = tmp_path / "pump.toml"
    beep = BeepSignature(frequency_hz=2400.0, verified=True, enrolled_from="beep.wav")
    profile = save_profile(path, AlarmKind.NON_CRITICAL, beep, comment="learned from beep.wav")
    assert profile.non_critical == beep
    assert profile.critical is None
    assert profile.verified
    text = path.read_text()
    path.write_text(text.replace('name = "pump"', 'name = "pump"  # my own note\n# keep me'))
    two_tone = TwoToneSignature(frequencies_hz=(1250.0, 1700.0), verified=True)
    profile = save_profile(path, AlarmKind.CRITICAL, two_tone, comment="learned from critical.wav")
    text = path.read_text()
    assert "# my own note" in text
    assert "# keep me" in text
    assert "# learned from beep.wav" in text
    assert profile.non_critical == beep
    assert profile.critical is not None
    assert profile.critical.frequencies_hz == (1250.0, 1700.0)
    # Replacing one alarm again keeps the other.
    profile = save_profile(path, AlarmKind.NON_CRITICAL, BeepSignature(frequency_hz=2500.0, verified=True))
    assert profile.critical is not None
    assert profile.critical.frequencies_hz == (1250.0, 1700.0)
    assert load_profile(path) == profile


def test_saving_a_guess_into_a_profile_marks_it_unverified(tmp_path: Path) -> None:
    path = tmp_path / "pump.toml"
    save_profile(path, AlarmKind.NON_CRITICAL, BeepSignature(frequency_hz=2400.0, verified=True))
    profile = save_profile(path, AlarmKind.CRITICAL, TwoToneSignature(verified=False))
    assert not profile.verified
    assert profile.is_verified(AlarmKind.NON_CRITICAL) is False  # the whole profile is not verified


def test_update_of_a_corrupt_profile_is_refused_and_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "pump.toml"
    path.write_text("name = [unclosed")
    with pytest.raises(UserError):
        save_profile(path, AlarmKind.NON_CRITICAL, BeepSignature(frequency_hz=2400.0, verified=True))
    assert path.read_text() == "name = [unclosed"
