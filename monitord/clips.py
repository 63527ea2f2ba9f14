"""Clips for caregivers: a short WAV around a detection and a spectrogram PNG of it (pillow, no matplotlib).

Optional by design: a failure here is reported and never stops detection.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

_PNG_HEIGHT = 256
_MAX_SHOWN_HZ = 6000.0


def _colormap() -> NDArray[np.uint8]:
    """A dark-blue → purple → orange → yellow ramp (inferno-like), 256 entries."""
    anchors = np.array([[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21],
                        [250, 193, 39], [252, 255, 164]], dtype=np.float64)
    positions = np.linspace(0, 255, len(anchors))
    ramp = np.stack([np.interp(np.arange(256), positions, anchors[:, c]) for c in range(3)], axis=1)
    return ramp.astype(np.uint8)


def _drawable(text: str) -> str:
    """Pillow's built-in font has no dashes or minus signs beyond ASCII: they would print as boxes."""
    return text.replace("–", "-").replace("—", "-").replace("−", "-")


def write_clip(wav_path: Path, png_path: Path, audio: NDArray[np.float32], *, rate_hz: int, title: str,
               marks_s: tuple[float, float] | None = None) -> None:
    """Write `audio` as 16-bit WAV and its spectrogram (0–6 kHz, 60 dB range) as PNG with a title line."""
    import soundfile
    from PIL import Image, ImageDraw, ImageFont

    wav_path.parent.mkdir(parents=True, exist_ok=True)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    soundfile.write(str(wav_path), np.clip(audio, -1.0, 1.0), rate_hz, subtype="PCM_16")
    frame, hop = 512, 128
    if len(audio) < frame:
        audio = np.pad(audio, (0, frame - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop] * np.hanning(frame).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    top_bin = int(_MAX_SHOWN_HZ / (rate_hz / frame))
    level = 10 * np.log10(power[:, :top_bin] + 1e-12)
    high = float(np.percentile(level, 99.5))
    scaled = np.clip((level - (high - 60.0)) / 60.0, 0.0, 1.0)
    pixels = _colormap()[(scaled.T[::-1] * 255).astype(np.uint8)]
    image = Image.fromarray(pixels, mode="RGB").resize((max(400, min(1600, 4 * pixels.shape[1])), _PNG_HEIGHT))
    canvas = Image.new("RGB", (image.width, image.height + 36), (255, 255, 255))
    canvas.paste(image, (0, 36))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=13)
    draw.text((6, 3), _drawable(title), fill=(0, 0, 0), font=font)
    draw.text((6, 19), f"0-{_MAX_SHOWN_HZ / 1000:.0f} kHz (bottom to top), {len(audio) / rate_hz:.1f} s, "
                       f"peak {20 * np.log10(max(peak, 1e-9)):.0f} dBFS", fill=(80, 80, 80), font=font)
    if marks_s is not None:
        duration = len(audio) / rate_hz
        for mark in marks_s:
            x = int(mark / duration * image.width)
            draw.line([(x, 36), (x, 36 + 8)], fill=(255, 255, 255), width=2)
            draw.line([(x, canvas.height - 8), (x, canvas.height)], fill=(255, 255, 255), width=2)
    canvas.save(png_path)
