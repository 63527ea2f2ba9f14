"""The console notifier and the registry/config union."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from monitord.alarms import AlarmKind
from monitord.errors import ConfigError
from monitord.notifiers import NOTIFIERS, NotifierConfig, NotifierConfigBase, build_notifier
from monitord.notifiers.base import (
    Notification,
    NotificationKind,
    NotifierError,
    Urgency,
    read_optional_secret,
    read_secret,
)
from monitord.notifiers.console import ConsoleConfig, ConsoleNotifier


def _critical(**overrides: object) -> Notification:
    fields: dict[str, object] = {
        "incident_id": "inc-1",
        "dedup_key": "monitord-inc-1",
        "kind": NotificationKind.TRIGGER,
        "urgency": Urgency.CRITICAL,
        "alarm": AlarmKind.CRITICAL,
        "title": "CRITICAL pump alarm (two-tone) — bedroom",
        "body": "Heard 3 times since 03:12.\nCall the pump team NOW.",
        "ack_url": "https://monitor.example/ack/tok",
    }
    fields.update(overrides)
    return Notification(**fields)  # type: ignore[arg-type]


async def test_console_writes_a_framed_block_and_returns_a_receipt() -> None:
    stream = io.StringIO()
    notifier = ConsoleNotifier(name="console", stream=stream)
    receipt = await notifier.send(_critical(is_test=True))
    text = stream.getvalue()
    assert "TEST — CRITICAL · trigger · incident inc-1" in text
    assert "Call the pump team NOW." in text
    assert "Acknowledge: https://monitor.example/ack/tok" in text
    assert receipt.notifier == "console"
    assert receipt.remote_id is None


async def test_console_on_a_closed_stream_raises_a_permanent_error() -> None:
    stream = io.StringIO()
    stream.close()
    with pytest.raises(NotifierError) as info:
        await ConsoleNotifier(stream=stream).send(_critical())
    assert info.value.retryable is False


def test_config_union_dispatches_on_type_and_forbids_typos() -> None:
    adapter: TypeAdapter[list[NotifierConfigBase]] = TypeAdapter(list[NotifierConfig])
    [console] = adapter.validate_python([{"type": "console", "name": "log"}])
    assert isinstance(console, ConsoleConfig)
    assert console.name == "log"
    with pytest.raises(ValidationError):
        adapter.validate_python([{"type": "console", "name": "log", "strem": "stdout"}])
    with pytest.raises(ValidationError):
        adapter.validate_python([{"type": "carrier_pigeon", "name": "x"}])


async def test_build_notifier_uses_the_registry() -> None:
    notifier = build_notifier(ConsoleConfig(name="log"), session=None)  # type: ignore[arg-type]
    assert isinstance(notifier, ConsoleNotifier)
    assert notifier.name == "log"
    assert set(NOTIFIERS) >= {"console"}


def test_read_secret_inline_file_and_errors(tmp_path: Path) -> None:
    from pydantic import SecretStr

    secret_file = tmp_path / "token"
    secret_file.write_text("tk_abc\n")
    assert read_secret(None, secret_file, what="ntfy token") == "tk_abc"
    assert read_secret(SecretStr("inline"), None, what="t") == "inline"
    assert read_optional_secret(None, None, what="t") is None
    with pytest.raises(ConfigError, match="not both"):
        read_secret(SecretStr("x"), secret_file, what="t")
    with pytest.raises(ConfigError, match="cannot read"):
        read_secret(None, tmp_path / "missing", what="t")
    with pytest.raises(ConfigError, match="required"):
        read_secret(None, None, what="t")
