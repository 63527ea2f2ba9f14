"""docs/notifiers.md cannot rot: every TOML example validates against the real config models."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import TypeAdapter

from monitord.notifiers import NOTIFIERS, NotifierConfig, NotifierConfigBase

DOC = Path(__file__).resolve().parents[1] / "docs" / "notifiers.md"


def test_every_toml_example_is_a_valid_notifier_entry_and_every_notifier_has_one() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    adapter: TypeAdapter[list[NotifierConfigBase]] = TypeAdapter(list[NotifierConfig])
    configs = [
        config
        for block in blocks
        for config in adapter.validate_python(tomllib.loads(block)["escalation"]["notifiers"])
    ]
    assert {config.type for config in configs} == set(NOTIFIERS)
    assert len(blocks) >= len(NOTIFIERS)
