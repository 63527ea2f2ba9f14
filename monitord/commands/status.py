"""`monitord status`: is it running, can it hear, what did it last hear, which incidents are open.

Exit codes (like `systemctl status`): 0 running and hearing, 1 running but cannot hear (or hung), 3 not running.
"""

from __future__ import annotations

import argparse

from monitord.commands.check_config import add_config_arguments

NAME = "status"
HELP = "show whether the monitor runs and can hear, what it last heard and the open incidents"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the raw status file")


def run(args: argparse.Namespace) -> int:
    import json
    import time
    from datetime import datetime

    from monitord.config import config_path_from, load_config, secrets_dirs_from
    from monitord.daemon.status import STALE_AFTER_S, process_alive, read_status

    config = load_config(config_path_from(args.config), secrets_dirs=secrets_dirs_from(args.secrets_dir),
                         use_default_path=False)
    state_dir = config.monitor.state_dir
    status = read_status(state_dir)
    if status is None:
        print(f"monitord is not running (no status file in {state_dir}; has it ever run with this config?)")
        return 3
    if args.json:
        print(json.dumps(status, indent=2))
    age_s = time.time() - float(status.get("written_at_unix", 0))
    alive = status.get("state") in ("starting", "running", "stopping") and process_alive(int(status.get("pid", 0)))
    health = status.get("health") or {}

    def local(iso: str | None) -> str:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S") if iso else "?"

    if not args.json:
        if not alive:
            print(f"monitord is not running (last state '{status.get('state')}', status written {age_s:.0f} s ago)")
        elif age_s > STALE_AFTER_S:
            print(f"monitord (pid {status['pid']}) is HUNG: its status is {age_s:.0f} s old")
        else:
            print(f"monitord is running (pid {status['pid']}, node {status['node_id']}, {status['source']})")
        can_hear = health.get("status") == "ok"
        print(f"  can hear:   {'yes' if can_hear else 'NO'} — {health.get('status', '?')}: {health.get('detail', '')}"
              + (f" ({health['level_dbfs']:.0f} dBFS)" if health.get("level_dbfs") is not None else ""))
        heard = status.get("last_heard") or {}
        for alarm in ("critical", "non_critical"):
            entry = heard.get(alarm)
            print(f"  last {alarm:<13} " + (f"{local(entry['at'])} (confidence {entry['confidence']:.0%}"
                                            f"{'' if entry.get('verified') else ', unverified profile'})"
                                            if entry else "never"))
        episodes = status.get("episodes") or {}
        for episode in episodes.values():
            print(f"  episode:    {episode['alarm']} {episode['phase']}, {episode['soundings']} sounding(s) since "
                  f"{local(episode['first_heard'])}")
        incidents = status.get("incidents") or {}
        for incident_id, incident in incidents.items():
            print(f"  incident:   {incident['alarm']} {incident['state']} (step {incident['step']}, id {incident_id})")
        if not episodes and not incidents:
            print("  incidents:  none open")
        calendar = status.get("calendar") or {}
        if calendar.get("reservoir_alarm_date"):
            print(f"  refill:     low-reservoir alarm date {calendar['reservoir_alarm_date']} "
                  f"({calendar['days_until_reservoir_alarm']} days)")
        counters = status.get("counters") or {}
        if counters.get("dropped_blocks") or counters.get("overruns"):
            print(f"  audio:      {counters['dropped_blocks']} blocks dropped, {counters['overruns']} overruns")
    if not alive:
        return 3
    if age_s > STALE_AFTER_S or health.get("status") != "ok":
        return 1
    return 0
