"""Configuration: one TOML file, env overrides, secret files, unknown keys refused, exit code 78 naming the key."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monitord.config import load_config
from monitord.errors import ConfigError, ExitCode

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "monitord.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitord.toml"
    path.write_text(text)
    return path


def test_the_example_config_is_valid_and_matches_the_defaults() -> None:
    from_example = load_config(EXAMPLE, secrets_dirs=[])
    defaults = load_config(None, secrets_dirs=[], use_default_path=False)
    assert from_example == defaults


def test_every_key_of_the_example_is_documented_with_a_comment() -> None:
    lines = EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.lstrip("# ").strip()
        is_key = "=" in stripped and not line.startswith("#   ") and stripped.split("=")[0].strip().isidentifier()
        if is_key and not line.startswith("# "):
            assert lines[i - 1].startswith("#"), f"key without a comment above it: {line!r}"


def test_env_overrides_toml_and_secret_files_fill_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[audio]\nblock_s = 0.2\n[calendar]\nreservoir_alarm_date = 2026-12-01\n')
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "heartbeat__url").write_text("https://hc.example.org/ping/abc\n")
    monkeypatch.setenv("MONITORD_AUDIO__BLOCK_S", "0.05")
    monkeypatch.setenv("MONITORD_MONITOR__NODE_ID", "nursery")
    config = load_config(path, secrets_dirs=[creds])
    assert config.audio.block_s == 0.05
    assert config.monitor.node_id == "nursery"
    assert config.calendar.reservoir_alarm_date == date(2026, 12, 1)
    assert config.heartbeat.url is not None
    assert config.heartbeat.url.get_secret_value() == "https://hc.example.org/ping/abc"


def test_unknown_keys_are_refused_with_their_name(tmp_path: Path) -> None:
    path = write(tmp_path, "[audio]\nblok_s = 0.2\n[healthh]\nx = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, secrets_dirs=[])
    assert "audio.blok_s: unknown key" in caught.value.message
    assert "healthh: unknown key" in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIG


def test_unknown_environment_variable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITORD_HEARTBEAT__INTERVALL_S", "5")
    with pytest.raises(ConfigError, match="MONITORD_HEARTBEAT__INTERVALL_S"):
        load_config(None, secrets_dirs=[], use_default_path=False)


def test_bad_values_name_the_key_and_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[health]\nstall_after_s = 120\n")
    monkeypatch.setenv("MONITORD_MONITOR__NODE_ID", "bad id")
    with pytest.raises(ConfigError) as caught:
        load_config(path, secrets_dirs=[])
    message = caught.value.message
    assert "health.stall_after_s: Input should be less than or equal to 50 (got 120)" in message
    assert "monitor.node_id" in message
    assert "MONITORD_MONITOR__NODE_ID" in message


def test_broken_toml_is_a_config_error_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[audio]\nblock_s = = 1\n")
    with pytest.raises(ConfigError, match="line 2"):
        load_config(path, secrets_dirs=[])


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "monitord", "--log-json", *args], capture_output=True, text=True,
                          env=full_env, timeout=60, check=False)


def test_check_config_reports_and_run_refuses_a_bad_config_with_exit_78(tmp_path: Path) -> None:
    """1. check-config prints every key with secrets masked; 2. a bad file makes check-config and run exit 78."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "heartbeat__url").write_text("https://hc.example.org/ping/secret-uuid")
    good = write(tmp_path, "[monitor]\nnode_id = \"nursery\"\n")
    ok = cli("check-config", "--config", str(good), "--secrets-dir", str(creds))
    assert ok.returncode == 0, ok.stderr
    assert "monitor.node_id" in ok.stdout
    assert "nursery" in ok.stdout
    assert "heartbeat.url" in ok.stdout
    assert "secret-uuid" not in ok.stdout
    assert "config OK" in ok.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text("[audio]\nblock_s = -1\n")
    for command in ("check-config", "run"):
        result = cli(command, "--config", str(bad))
        assert result.returncode == 78, (command, result.stderr)
        assert "audio.block_s" in result.stderr
        assert "Traceback" not in result.stderr
