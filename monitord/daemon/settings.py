"""The daemon's own config sections (`[monitor]`, `[audio]`, `[health]`, `[heartbeat]`, `[systemd]`,
`[selftest]`). Sections owned by other domains live next to their code and are composed in monitord/config.py.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from monitord.configbase import ConfigModel


def default_state_dir() -> Path:
    """systemd's StateDirectory= (via $STATE_DIRECTORY), else the XDG state directory of the user."""
    if state := os.environ.get("STATE_DIRECTORY"):
        return Path(state.split(":")[0])
    xdg = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(xdg) / "monitord"


class MonitorConfig(ConfigModel):
    """`[monitor]`: who this monitor is and where it keeps its state."""

    node_id: str = Field(
        default="monitord", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="id of this monitor in events and MQTT topics (letters, digits, '-' and '_')",
    )
    microphone: str = Field(
        default="bedroom", min_length=1, description="human name of the room/microphone, shown in every alert"
    )
    profile: Path | None = Field(
        default=None, description="alarm signature profile (TOML) made by `monitord enroll`; unset = the built-in "
        "unverified default",
    )
    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="where monitord keeps its status file and calendar (systemd: StateDirectory)",
    )


class AudioConfig(ConfigModel):
    """`[audio]`: the live microphone."""

    device: str | int | None = Field(
        default=None, description="input device: a name substring (survives USB re-plugging) or an index; unset = "
        "the system default",
    )
    sample_rate_hz: int | None = Field(
        default=None, ge=8000, le=192000,
        description="rate to open the device at (hertz); unset = 16000 if the device accepts it, else its native "
        "rate, resampled",
    )
    block_s: float = Field(
        default=0.25, gt=0.005, le=1.0,
        description="audio block length handed to the loop (s); 0.25 s keeps the per-block overhead at a third of "
        "0.1 s blocks (bench/daemon.py cpu) and adds at most 0.25 s to the alarm latency",
    )
    queue_blocks: int = Field(
        default=100, ge=4, le=10000,
        description="blocks buffered between the audio thread and the loop before new ones are dropped (count)",
    )


class HealthConfig(ConfigModel):
    """`[health]`: when the microphone counts as unable to hear. Alerts must go out within 60 s of a fault."""

    stall_after_s: float = Field(default=5.0, gt=0, le=50, description="no audio callbacks for this long = stalled (s)")
    silent_below_dbfs: float = Field(
        default=-90.0, le=-40.0, description="RMS below this level counts as flat-lined input (dBFS)"
    )
    silent_after_s: float = Field(default=30.0, gt=0, le=50, description="flat-lined for this long = silent (s)")
    clipping_fraction: float = Field(
        default=0.01, gt=0, le=1, description="fraction of samples at full scale that makes a block clipped (0..1)"
    )
    clipping_after_s: float = Field(default=10.0, gt=0, le=50, description="clipped for this long = clipping (s)")
    reopen_base_s: float = Field(default=1.0, gt=0, description="first reopen wait after the device fails (s)")
    reopen_cap_s: float = Field(default=30.0, gt=0, le=50, description="longest reopen wait (s)")
    report_every_s: float = Field(default=300.0, ge=10, description="publish health this often even unchanged (s)")


class HeartbeatConfig(ConfigModel):
    """`[heartbeat]`: a dead-man's switch outside the house (healthchecks.io style)."""

    url: SecretStr | None = Field(
        default=None, description="ping URL; '<url>/fail' is used when the monitor cannot hear (secret: may come "
        "from the credential file 'heartbeat__url')",
    )
    interval_s: float = Field(default=60.0, ge=5, le=3600, description="ping this often (s)")
    timeout_s: float = Field(default=10.0, gt=0, le=60, description="HTTP timeout per ping (s)")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value.get_secret_value()):
            raise ValueError("must be an http:// or https:// URL")
        return value


class SystemdConfig(ConfigModel):
    """`[systemd]`: service manager integration (used only when started by systemd)."""

    status_every_s: float = Field(default=30.0, ge=1, description="update the STATUS= line this often (s)")


class SelfTestConfig(ConfigModel):
    """`[selftest]`: once a day the speaker plays a test tone that the microphone must hear."""

    enabled: bool = Field(default=False, description="play a daily test tone and alert caregivers if it is not heard")
    at: time = Field(default=time(11, 0), description="local time of day for the test (HH:MM)")
    tone_hz: float = Field(default=1000.0, ge=200, le=7000, description="test tone frequency (hertz)")
    tone_s: float = Field(default=1.0, gt=0.1, le=5, description="test tone length (s)")
    level_dbfs: float = Field(default=-12.0, ge=-60, le=0, description="test tone level at the speaker (dBFS)")
    output_device: str | int | None = Field(default=None, description="speaker: name substring or index")
    min_snr_db: float = Field(default=10.0, ge=0, le=60, description="the tone must stand this far over noise (dB)")

    @model_validator(mode="after")
    def _tone_below_nyquist(self) -> SelfTestConfig:
        if self.tone_hz >= 8000:  # the internal rate is 16 kHz
            raise ValueError("tone_hz must be below 8000 Hz")
        return self
