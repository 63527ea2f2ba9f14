"""The one configuration file, composed from each domain's section model.

Where a value comes from, strongest first:
1. environment variables `MONITORD_<SECTION>__<KEY>` (e.g. `MONITORD_HEARTBEAT__INTERVAL_S=30`),
2. secret files named `<section>__<key>` in the credential directories: systemd's `$CREDENTIALS_DIRECTORY`
   (`LoadCredential=heartbeat__url:/etc/monitord/secrets/heartbeat_url`) and `/etc/monitord/secrets` or
   `--secrets-dir`, so tokens never sit in the world-readable TOML,
3. the TOML file (`--config`, else `$MONITORD_CONFIG`, else `/etc/monitord/monitord.toml` if it exists),
4. the defaults below (the embedded default: no MQTT, no escalation, console output).

Unknown keys are errors (Frigate's rule): a typo must not silently fall back to a default on a medical monitor.
A bad config raises `ConfigError` (exit code 78) naming the key.
"""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import NestedSecretsSettingsSource

from monitord.calendar import CalendarConfig
from monitord.daemon.settings import (
    AudioConfig,
    HealthConfig,
    HeartbeatConfig,
    MonitorConfig,
    SelfTestConfig,
    SystemdConfig,
)
from monitord.episodes import CadenceSettings
from monitord.errors import ConfigError
from monitord.escalation.config import EscalationConfig
from monitord.mqtt.config import MqttConfig

ENV_PREFIX = "MONITORD_"
DEFAULT_CONFIG_PATH = Path("/etc/monitord/monitord.toml")
DEFAULT_SECRETS_DIR = Path("/etc/monitord/secrets")


class MonitordConfig(BaseSettings):
    """Everything monitord reads at start. Each section is owned by its domain's package."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        validate_default=True,
        secrets_dir_missing="ok",
        secrets_nested_delimiter="__",
        secrets_prefix="",
    )

    monitor: MonitorConfig = Field(default_factory=MonitorConfig, description="who this monitor is")
    audio: AudioConfig = Field(default_factory=AudioConfig, description="the live microphone")
    health: HealthConfig = Field(default_factory=HealthConfig, description="when the microphone cannot hear")
    heartbeat: HeartbeatConfig = Field(default_factory=HeartbeatConfig, description="dead-man's switch")
    systemd: SystemdConfig = Field(default_factory=SystemdConfig, description="service manager integration")
    selftest: SelfTestConfig = Field(default_factory=SelfTestConfig, description="daily speaker→microphone test")
    calendar: CalendarConfig = Field(default_factory=CalendarConfig, description="refill and replacement dates")
    episodes: CadenceSettings = Field(default_factory=CadenceSettings, description="how repeats are judged")
    # Optional sinks: absent = not used. The monitor runs (and alerts on the console) with neither.
    mqtt: MqttConfig | None = Field(default=None, description="MQTT broker / Home Assistant (section present = on)")
    escalation: EscalationConfig | None = Field(
        default=None, description="phones and paging: notifiers, contacts, policies (section present = on)"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs and is the weakest source: env and credentials override it.
        return env_settings, NestedSecretsSettingsSource(file_secret_settings), init_settings


def config_path_from(explicit: Path | None) -> Path | None:
    """Which TOML file to read; None = none (embedded defaults)."""
    if explicit is not None:
        return explicit
    if env_path := os.environ.get("MONITORD_CONFIG"):
        return Path(env_path)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def secrets_dirs_from(explicit: Sequence[Path] = ()) -> list[Path]:
    dirs = [DEFAULT_SECRETS_DIR, *explicit]
    if credentials := os.environ.get("CREDENTIALS_DIRECTORY"):
        dirs.append(Path(credentials))  # systemd credentials win over files in /etc (later directories win)
    return [d for d in dirs if d.is_dir()]


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist",
                          hint="copy config/monitord.example.toml there, or pass --config") from None
    except PermissionError:
        raise ConfigError(f"config file {path} is not readable by this user",
                          hint="use sudo, or add yourself to its group: sudo adduser $USER monitord") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None


def load_config(path: Path | None = None, *, secrets_dirs: Sequence[Path] | None = None,
                use_default_path: bool = True) -> MonitordConfig:
    """Read and validate the configuration. Raises ConfigError (exit code 78) naming the offending key."""
    toml_path = config_path_from(path) if use_default_path else path
    data = read_toml(toml_path) if toml_path is not None else {}
    dirs = secrets_dirs_from() if secrets_dirs is None else [d for d in secrets_dirs if d.is_dir()]
    if unknown := unknown_env_keys():
        raise ConfigError(f"unknown environment variable(s): {', '.join(unknown)}",
                          hint=f"{ENV_PREFIX}<SECTION>__<KEY>, e.g. {ENV_PREFIX}HEARTBEAT__INTERVAL_S")
    try:
        return MonitordConfig(_secrets_dir=dirs or None, **data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source=toml_path),
                          hint="see config/monitord.example.toml for every key, its unit and its default") from None


def unknown_env_keys() -> list[str]:
    """`MONITORD_*` variables that name no config key: a typo there would otherwise be silently ignored."""
    unknown = []
    for name in sorted(os.environ):
        if not name.startswith(ENV_PREFIX) or name in _NON_CONFIG_ENV:
            continue
        model: Any = MonitordConfig
        for part in name[len(ENV_PREFIX):].lower().split("__"):
            fields = getattr(model, "model_fields", None)
            if fields is None:
                break  # a list or dict section: its own validation checks the contents
            if part not in fields:
                unknown.append(name)
                break
            model = _model_in(fields[part].annotation)
    return unknown


_NON_CONFIG_ENV = {"MONITORD_CONFIG"}


def _model_in(annotation: Any) -> Any:
    """`SomeConfig | None` → SomeConfig, so env checks descend into optional sections."""
    for member in typing.get_args(annotation) or (annotation,):
        if hasattr(member, "model_fields"):
            return member
    return annotation


def describe_validation_error(exc: ValidationError, *, source: Path | None) -> str:
    lines = [f"invalid configuration ({source if source else 'no config file'}):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (a typo? unknown keys are refused, not ignored)"
        where = _where_from(error["loc"])
        value = error.get("input")
        shown = "" if error["type"] in ("extra_forbidden", "missing") or isinstance(value, dict) else \
            f" (got {_short(value)})"
        if "secret" in key or "password" in key or "token" in key or "url" in key:
            shown = ""  # never echo secrets into logs
        lines.append(f"  {key}: {message}{shown}{where}")
    return "\n".join(lines)


def _where_from(loc: Iterable[int | str]) -> str:
    env_name = ENV_PREFIX + "__".join(str(part) for part in loc).upper()
    return f" [from environment variable {env_name}]" if env_name in os.environ else ""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def summarize(config: MonitordConfig) -> list[tuple[str, str]]:
    """(key, value) pairs for `monitord check-config`, secrets masked."""
    rows: list[tuple[str, str]] = []
    for section_name in type(config).model_fields:
        section = getattr(config, section_name)
        dumped = section.model_dump(mode="json") if hasattr(section, "model_dump") else section
        _flatten(section_name, dumped, section, rows)
    return rows


def _flatten(prefix: str, value: Any, original: Any, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            sub_original = getattr(original, key, None) if original is not None else None
            _flatten(f"{prefix}.{key}", sub, sub_original, rows)
        return
    if type(original).__name__ == "SecretStr":
        rows.append((prefix, "********"))
        return
    rows.append((prefix, "(unset)" if value is None else str(value)))
