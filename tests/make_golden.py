"""Re-make the golden recordings in tests/data (deterministic). Run: PYTHONPATH=. python tests/make_golden.py

golden-household.wav: 6 s, 16 kHz, 16-bit: pink-noise room, a critical two-tone burst (1100/1480 Hz, 0.2 s per
tone, 1.6 s) at 0.8 s and a non-critical beep (3150 Hz, 0.3 s) at 4.2 s, reverberated, at −3 dB broadband SNR.
golden-profile.toml is the matching enrolled profile; golden-household.json the JSON lines analyze must print.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests import synth

DATA = Path(__file__).parent / "data"


def make_household() -> np.ndarray:
    rng = np.random.default_rng(20260101)
    room = synth.pink_noise(6.0, rng, level=0.02)
    critical = synth.reverb(synth.two_tone(1100, 1480, tone_s=0.2, burst_s=1.6, harmonics=(0.0, 0.2)), rng,
                            rt60_s=0.3)
    beep = synth.reverb(synth.beeps(3150, count=1, beep_s=0.3, harmonics=(0.0, 0.2)), rng, rt60_s=0.3)
    audio = synth.mix_at_snr(critical, room, -3.0, at_s=0.8)
    return synth.mix_at_snr(beep, audio, -3.0, at_s=4.2)


if __name__ == "__main__":
    synth.write_wav(DATA / "golden-household.wav", make_household())
    print("wrote", DATA / "golden-household.wav")
