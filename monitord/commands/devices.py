"""`monitord devices`: the audio devices PortAudio sees, so a caregiver can pick the microphone by name."""

from __future__ import annotations

import argparse

NAME = "devices"
HELP = "list audio input (and output) devices; choose one in [audio] device by name substring or index"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="also list output-only devices (speakers for self-test)")


def run(args: argparse.Namespace) -> int:
    from monitord.audio.microphone import list_devices, load_sounddevice

    devices = list_devices(load_sounddevice())
    shown = [d for d in devices if args.all or d.max_input_channels > 0]
    if not shown:
        print("no audio input devices found. Plug in a USB microphone, check `arecord -l`, and that this user is "
              "in the 'audio' group.")
        return 1
    print(f"{'index':>5}  {'in':>3} {'out':>3} {'rate/Hz':>8}  name")
    for d in shown:
        marks = " (default input)" if d.is_default_input else ""
        marks += " (default output)" if d.is_default_output else ""
        print(f"{d.index:>5}  {d.max_input_channels:>3} {d.max_output_channels:>3} {d.default_rate_hz:>8.0f}  "
              f"{d.name} [{d.host_api}]{marks}")
    print("\nSet [audio] device = \"<part of the name>\" in the config: names survive re-plugging, indices do not.")
    return 0
