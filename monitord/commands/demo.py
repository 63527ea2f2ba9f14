"""`monitord demo`: the whole daemon on the bundled household recording, for a machine without a microphone.

It is `monitord run` — same pipeline, episodes, escalation (console notifier only), calendar and status file —
with the recording as its microphone, played faster than real time. The recordings are SYNTHETIC (see
examples/README.md): no public recording of the pump exists. Unless `--profile` is given it first enrolls the
example pump from the two example clinic recordings, as a family would from their own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "demo"
HELP = "run the whole monitor on the bundled (synthetic) household recording and show what happens"


def examples_dir() -> Path:
    for candidate in (Path(__file__).resolve().parents[2] / "examples", Path.cwd() / "examples"):
        if (candidate / "household.flac").exists():
            return candidate
    return Path.cwd() / "examples"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", type=Path, default=None, metavar="FILE",
                        help="recording to listen to (default: examples/household.flac)")
    parser.add_argument("--speed", type=float, default=6.0, metavar="N",
                        help="play N× faster than real time (1 = real time, 0 = as fast as possible; default 6: "
                        "the 3-minute recording takes 30 s)")
    parser.add_argument("--profile", type=Path, default=None, metavar="PROFILE.toml",
                        help="use this profile instead of enrolling from examples/clinic-*.wav")
    parser.add_argument("--linger", type=float, default=4.0, metavar="MIN",
                        help="after the recording ends, keep the monitor running this many minutes (at the same "
                        "speed) so the escalation's later steps show: on-call paged after 3 minutes (default 4)")
    parser.add_argument("--json", action="store_true", dest="json_events", help="events as JSON lines")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import tempfile
    from datetime import date, timedelta

    from monitord.calendar import CalendarConfig
    from monitord.config import MonitordConfig
    from monitord.daemon.runner import Daemon, RunOptions
    from monitord.daemon.settings import MonitorConfig
    from monitord.errors import AudioInputError
    from monitord.escalation.config import AckServerConfig, EscalationConfig
    from monitord.logs import configure_logging

    if args.log_level == "info":
        # The demo prints every event and notification itself; the console notifier's own log line would only
        # repeat each alert, so only errors are logged beside them.
        configure_logging(json=args.log_json if args.log_json is not None else False, level="error")
    examples = examples_dir()
    recording = args.input or examples / "household.flac"
    if not recording.exists():
        raise AudioInputError(f"{recording} not found", hint="run from the monitord checkout, or pass --input FILE")
    with tempfile.TemporaryDirectory(prefix="monitord-demo-") as tmp:
        state_dir = Path(tmp)
        profile = args.profile or _enroll_example_pump(examples, state_dir / "example-pump.toml")
        pace = "as fast as possible" if args.speed == 0 else f"{args.speed:g}× real time; Ctrl-C stops it"
        print(f"== monitord demo: listening to {recording} ({pace})")
        print(f"   profile: {profile or 'built-in default (UNVERIFIED guess)'}; SYNTHETIC recordings, not a real pump")
        print("   the refill printout's low-reservoir alarm date is set 5 days ahead, so a beep reads "
              "'reservoir low'\n")
        config = MonitordConfig(
            monitor=MonitorConfig(node_id="demo", microphone="living room", profile=profile, state_dir=state_dir),
            calendar=CalendarConfig(reservoir_alarm_date=date.today() + timedelta(days=5)),
            escalation=EscalationConfig(ack_server=AckServerConfig(enabled=False)),
        )
        options = RunOptions(input=str(recording), speed=args.speed, json_events=args.json_events,
                             linger_s=max(0.0, args.linger) * 60)
        code = asyncio.run(Daemon(config=config, options=options).run())
        if not args.json_events:
            print(f"\n== done. `monitord status --config ...` shows the same as a status file in {state_dir} "
                  "(deleted now).")
        return code


def _enroll_example_pump(examples: Path, profile: Path) -> Path | None:
    """Enroll like a family would (`monitord enroll`), if this build has the command and the example files."""
    import subprocess
    import sys

    from monitord.cli import COMMANDS

    clinic = {"critical": examples / "clinic-critical.wav", "non_critical": examples / "clinic-non-critical.wav"}
    if "enroll" not in COMMANDS or not all(path.exists() for path in clinic.values()):
        return None
    for alarm, recording in clinic.items():
        print(f"== enrolling the {alarm} alarm from {recording}")
        result = subprocess.run([sys.executable, "-m", "monitord", "--log-level", "warning", "enroll", "--alarm",
                                 alarm, "--profile", str(profile), str(recording)], check=False)
        if result.returncode != 0:
            print(f"   enrollment failed (exit {result.returncode}); using the built-in default profile")
            return None
    return profile
