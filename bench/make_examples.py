"""Make the bundled example recordings in examples/ (SYNTHETIC, fixed seed) from the benchmark's corpus code.

    PYTHONPATH=. .venv/bin/python bench/make_examples.py

* examples/clinic-critical.wav, examples/clinic-non-critical.wav — a phone a metre away records the nurse
  demonstrating each alarm (44.1 kHz, clinic room noise and voices, reverberation, phone microphone);
* examples/household.flac — a few minutes of a living room at 16 kHz (TV, music, speech, a microwave, a phone)
  with one non-critical beep and then two critical soundings (the real 10-minute cadence compressed);
* examples/household.truth.json — when each alarm and each distractor really sounds (for checking by eye).

One pump (seed EXAMPLE_SEED) sounds in all three files, so enrolling the clinic files and analyzing the household
file should find exactly its alarms. Re-running produces the same files bit for bit (given the same Debian
sound packages, see bench/setup).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus as C  # noqa: E402, N812  (bench/ is not a package)

EXAMPLE_SEED = 7
OUT = HERE.parent / "examples"

# (kind, seconds): what is playing in the living room, in order.
HOUSEHOLD_BACKGROUND = (("tv", 60.0), ("music", 45.0), ("speech", 35.0), ("tv", 40.0))
# (what, at_s, snr_db): the pump's alarms (broadband SNR over the background, as in the benchmark) and distractors.
HOUSEHOLD_EVENTS = (
    ("microwave", 12.0, 10.0),
    ("non_critical", 30.0, -3.0),
    ("phone_ring", 45.0, 8.0),
    ("critical", 75.0, -6.0),
    ("smoke_t3", 105.0, 6.0),
    ("siren_hilo", 125.0, 3.0),
    ("critical", 160.0, -6.0),
)


def example_pump() -> C.PumpModel:
    return C.PumpModel.random(np.random.default_rng([EXAMPLE_SEED, 0]), "example-pump")


def household(pump: C.PumpModel, lib: C.SourceLibrary, rng: np.random.Generator) -> tuple[np.ndarray, list[C.Event]]:
    fs = C.RATE_HZ
    seconds = sum(d for _, d in HOUSEHOLD_BACKGROUND)
    n = int(seconds * fs)
    room = C.Room.random(rng)
    bg = np.zeros(n)
    at = 0
    for kind, dur in HOUSEHOLD_BACKGROUND:
        piece = C.background(kind, lib, dur + 1, fs, rng)[: int(dur * fs)]
        C._place(bg, piece * C._envelope(piece.size, fs, 0.5, 0.5), at)
        at += int(dur * fs)
    bg = C.in_room(bg, fs, room, 1, body=False) + 0.003 * room.mic.apply(C.room_floor(n, fs, rng), fs)
    mix = bg.copy()
    events = []
    for i, (what, at_s, snr) in enumerate(HOUSEHOLD_EVENTS):
        pump_alarm = what in C.ALARMS
        sound = (C.render_alarm(pump, what, fs, rng) if pump_alarm
                 else C.make_distractor(what, pump, lib, fs, rng))
        tail = np.zeros(int(room.rt60_s * fs))
        wet = C.in_room(np.concatenate([sound.audio, tail]), fs, room, 100 + i, body=pump_alarm)
        a, b = sound.span
        C.add_at_snr(mix, bg, wet, int(at_s * fs), (int(a * fs), max(int(a * fs) + 1, int(b * fs))), snr)
        events.append(C.Event(what, at_s + a, at_s + b, snr, [(at_s + p0, at_s + p1) for p0, p1 in sound.parts]))
    return mix * C._level(mix, -33.0), events


def main() -> int:
    lib = C.SourceLibrary(C.DEFAULT_ROOT / "sources")
    pump = example_pump()
    OUT.mkdir(exist_ok=True)
    truth: dict[str, object] = {"synthetic": True, "made_by": "bench/make_examples.py", "seed": EXAMPLE_SEED,
                                "pump": dataclasses.asdict(pump)}
    # The nurse sets the alarm off, it sounds, she stops it and starts it again: pauses of a few seconds between
    # soundings (longer than the pump's own gaps between bursts, or enrollment would see one long sounding).
    for k, (alarm, soundings, pause_s) in enumerate((("critical", 2, (4.0, 5.0)), ("non_critical", 3, (1.5, 2.5)))):
        rng = np.random.default_rng([EXAMPLE_SEED, 1, k])
        audio, events = C.clinic_recording(pump, alarm, soundings, lib, rng, 44_100, snr_db=(12, 18),
                                            gap_s=pause_s, lead_s=(1.0, 1.5))
        audio = audio[: int((events[-1].end + 1.5) * 44_100)]  # the phone stops 1.5 s after the last sounding
        name = f"clinic-{alarm.replace('_', '-')}.wav"
        C.write_audio(OUT / name, audio, 44_100)
        truth[name] = [e.to_json() for e in events]
    audio, events = household(pump, lib, np.random.default_rng([EXAMPLE_SEED, 2]))
    C.write_audio(OUT / "household.flac", audio, C.RATE_HZ)
    truth["household.flac"] = [e.to_json() for e in events]
    (OUT / "household.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    for p in sorted(OUT.iterdir()):
        print(f"{p.relative_to(OUT.parent)}  {p.stat().st_size / 1e6:.2f} MB")
    print(json.dumps(dataclasses.asdict(pump)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
