"""`monitord check-config`: read the configuration exactly as `run` would and report what it says."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "check-config"
HELP = "validate the configuration file and print the resulting settings (exit 78 if it is wrong)"


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """--config / --secrets-dir, shared by every command that reads the configuration."""
    parser.add_argument("--config", "-c", type=Path, default=None, metavar="FILE",
                        help="TOML config file (default: $MONITORD_CONFIG, else /etc/monitord/monitord.toml if it "
                        "exists, else built-in defaults)")
    parser.add_argument("--secrets-dir", type=Path, action="append", default=[], metavar="DIR",
                        help="directory of secret files named <section>__<key> (in addition to "
                        "/etc/monitord/secrets and $CREDENTIALS_DIRECTORY)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from monitord.config import config_path_from, load_config, secrets_dirs_from, summarize

    path = config_path_from(args.config)
    dirs = secrets_dirs_from(args.secrets_dir)
    config = load_config(path, secrets_dirs=dirs, use_default_path=False)
    print(f"config file: {path if path else '(none: built-in defaults)'}")
    print(f"secret dirs: {', '.join(str(d) for d in dirs) if dirs else '(none)'}")
    rows = summarize(config)
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for warning in config_warnings(config):
        print(f"warning: {warning}")
    print("config OK")
    return 0


def config_warnings(config: object) -> list[str]:
    """Things that are valid but probably not what a caregiver wants."""
    from monitord.config import MonitordConfig

    assert isinstance(config, MonitordConfig)
    warnings = []
    if config.monitor.profile is None:
        warnings.append("no [monitor] profile: using the built-in UNVERIFIED default; enroll your pump "
                        "(monitord enroll) for reliable detection")
    elif not config.monitor.profile.exists():
        warnings.append(f"monitor.profile {config.monitor.profile} does not exist")
    if config.heartbeat.url is None:
        warnings.append("no [heartbeat] url: nobody outside the house learns if this monitor dies")
    if config.calendar.reservoir_alarm_date is None:
        warnings.append("no calendar.reservoir_alarm_date: no refill reminders (set it from the refill printout)")
    return warnings
