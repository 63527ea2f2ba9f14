"""The base of every configuration model: typos are errors, not silent defaults (Frigate's rule).

Each domain keeps its own section model next to its code (monitord/mqtt/config.py, monitord/escalation/config.py,
...); monitord/config.py composes them into the one TOML file. Every numeric field names its unit in its name
(`_s`, `_hz`, `_db`, `_dbfs`, `_min`) and in its description.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
