"""`monitord enroll`: learn one alarm of the patient's own pump from a recording and store it in a profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "enroll"
HELP = "learn one pump alarm from a recording (e.g. the clinic's demonstration) into a profile"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alarm", required=True, choices=["critical", "non_critical"],
                        help="which alarm the recording holds")
    parser.add_argument("--profile", required=True, type=Path, metavar="PROFILE.toml",
                        help="profile to create or update (the other alarm's signature is kept)")
    parser.add_argument("--name", default=None, help="profile name (default: the file name)")
    parser.add_argument("--rate", type=int, default=None, metavar="HZ", help="sample rate of raw audio on stdin")
    parser.add_argument("--format", dest="sample_format", default=None, metavar="FMT",
                        help="sample format of raw audio on stdin (s16le, s32le, f32le, u8, ...)")
    parser.add_argument("recording", metavar="RECORDING", help="audio file (WAV, FLAC, OGG, MP3) or - for stdin")


def run(args: argparse.Namespace) -> int:
    from monitord.alarms import AlarmKind
    from monitord.enroll import enroll
    from monitord.profiles import save_profile

    alarm = AlarmKind(args.alarm)
    result = enroll(args.recording, alarm, rate_hz=args.rate, sample_format=args.sample_format)
    profile = save_profile(args.profile, alarm, result.signature, name=args.name, comment=result.toml_comment())
    for line in result.summary_lines():
        print(line)
    other = AlarmKind.NON_CRITICAL if alarm is AlarmKind.CRITICAL else AlarmKind.CRITICAL
    print(f"saved to {args.profile} (profile {profile.name!r})")
    if profile.signature(other) is None:
        print(f"note: this profile has no {other.value} signature yet, so it will not listen for that alarm; "
              f"enroll it with `monitord enroll --alarm {other.value} --profile {args.profile} RECORDING`",
              file=sys.stderr)
    elif not profile.is_verified(other):
        print(f"note: the {other.value} signature in this profile is still an unverified guess", file=sys.stderr)
    return 0
