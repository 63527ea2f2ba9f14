"""`monitord run`: the daemon (microphone), or the same daemon on a replayed file / stdin (`--input`)."""

from __future__ import annotations

import argparse

from monitord.commands.check_config import add_config_arguments

NAME = "run"
HELP = "run the monitor: listen, detect, track episodes, publish and escalate until stopped"


def add_input_arguments(parser: argparse.ArgumentParser, *, default_speed: float = 1.0) -> None:
    parser.add_argument("--input", "-i", metavar="FILE|-", default=None,
                        help="replay an audio file (WAV/FLAC/OGG) or raw PCM on stdin ('-') instead of the microphone")
    parser.add_argument("--rate", type=int, default=None, metavar="HZ", help="sample rate of raw PCM on stdin")
    parser.add_argument("--format", dest="sample_format", default=None, metavar="FMT",
                        help="sample format of raw PCM on stdin (s16le, f32le, ...)")
    parser.add_argument("--speed", type=float, default=default_speed, metavar="N",
                        help=f"replay pace: 1 = real time, N = N× faster, 0 = as fast as possible "
                        f"(default {default_speed:g})")
    parser.add_argument("--json", action="store_true", dest="json_events",
                        help="print every event as one JSON line on stdout instead of readable lines")
    parser.add_argument("--drain-timeout", type=float, default=10.0, metavar="S",
                        help="at SIGTERM, wait at most this long for sinks to finish (seconds)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    add_input_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from monitord.config import config_path_from, load_config, secrets_dirs_from
    from monitord.daemon.runner import Daemon, RunOptions
    from monitord.errors import ExitCode, UserError

    if args.speed < 0:
        raise UserError("--speed must be 0 (as fast as possible) or positive", exit_code=ExitCode.USAGE)
    if args.input is None and args.speed != 1.0:
        raise UserError("--speed only applies to --input (the microphone runs in real time)", exit_code=ExitCode.USAGE)
    config = load_config(config_path_from(args.config), secrets_dirs=secrets_dirs_from(args.secrets_dir),
                         use_default_path=False)
    options = RunOptions(input=args.input, input_rate_hz=args.rate, input_format=args.sample_format,
                         speed=args.speed, json_events=args.json_events, drain_timeout_s=args.drain_timeout)
    return asyncio.run(Daemon(config=config, options=options).run())
