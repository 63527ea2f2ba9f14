"""Signature profiles: what each pump alarm sounds like, in TOML.

A profile holds one signature per alarm. A signature either names its tone frequencies (learned by
`monitord enroll` from a recording of the patient's own pump) or, in the bundled default, only a search range:
no public source gives the SynchroMed's tone frequencies or timings, so the default is a broad GUESS and every
output says so (`verified = false`).

Every numeric field carries its unit in its name (`_hz`, `_s`, `_pct`, `_db`). Loading refuses typos and
impossible values with a clear message (exit code 65), never a traceback. Saving goes through tomlkit so a
user's comments and the other alarm's signature survive enrollment.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, ValidationError, model_validator

from monitord.alarms import AlarmKind
from monitord.configbase import ConfigModel
from monitord.errors import ExitCode, UserError

DEFAULT_PROFILE_NAME = "synchromed2-default"
_DEFAULT_PROFILE_RESOURCE = "data/profiles/synchromed2-default.toml"

# The analysis runs at 16 kHz (monitord.audio.INTERNAL_RATE_HZ): nothing above 7.8 kHz can be heard.
_LOWEST_HZ = 100.0
_HIGHEST_HZ = 7800.0


_Hz = Annotated[float, Field(ge=_LOWEST_HZ, le=_HIGHEST_HZ)]


class _Signature(ConfigModel):
    search_min_hz: float = Field(
        default=500.0, ge=_LOWEST_HZ, le=_HIGHEST_HZ,
        description="lowest tone frequency searched when no frequency is known (hertz)",
    )
    search_max_hz: float = Field(
        default=4500.0, ge=_LOWEST_HZ, le=_HIGHEST_HZ,
        description="highest tone frequency searched when no frequency is known (hertz)",
    )
    tolerance_pct: float = Field(
        default=2.5, ge=0.5, le=10.0,
        description="accepted deviation of a tone from its learned frequency (percent); DTMF practice accepts "
        "±1.5 % and rejects ±3.5 %",
    )
    mean_tolerance_pct: float = Field(
        default=1.75, ge=0.2, le=10.0,
        description="with a learned frequency: accepted deviation of a sounding's mean frequency (percent); the "
        "per-frame band is tolerance_pct",
    )
    min_snr_db: float = Field(
        default=8.0, ge=0.0, le=40.0, description="a tone must stand this far above the local noise floor (dB)"
    )
    verified: bool = Field(
        default=False, description="true when learned from a recording of the patient's own pump (enroll)"
    )
    enrolled_from: str | None = Field(default=None, description="the recording this signature was learned from")
    snr_at_enrollment_db: float | None = Field(default=None, description="tone SNR in the enrollment recording (dB)")
    soundings_at_enrollment: int | None = Field(default=None, ge=0, description="soundings found when enrolling")
    harmonics_hz: tuple[float, ...] = Field(
        default=(), description="harmonics seen at enrollment (hertz; informational, not required to match)"
    )

    def _check_search_range(self) -> None:
        if self.search_min_hz >= self.search_max_hz:
            raise ValueError(
                f"search_min_hz ({self.search_min_hz}) must be below search_max_hz ({self.search_max_hz})"
            )


class BeepSignature(_Signature):
    """The non-critical alarm: a single beep or a short sequence of beeps at one frequency (one *sounding*)."""

    frequency_hz: float | None = Field(
        default=None, ge=_LOWEST_HZ, le=_HIGHEST_HZ,
        description="the beep's tone (hertz); empty = search search_min_hz..search_max_hz (a guess)",
    )
    beep_min_s: float = Field(default=0.06, gt=0.0, le=10.0, description="shortest tonal blip counted (seconds)")
    span_min_s: float = Field(
        default=0.06, gt=0.0, le=30.0, description="shortest sounding, first beep start to last beep end (seconds)"
    )
    span_max_s: float = Field(
        default=2.5, gt=0.0, le=60.0,
        description="longest sounding, first beep start to last beep end (seconds); a room's reverberation and a "
        "sequence's pauses are included",
    )
    gap_max_s: float = Field(
        default=0.5, gt=0.0, le=10.0, description="longest silence between beeps of one sounding (seconds)"
    )
    fill_min_pct: float = Field(
        default=30.0, ge=0.0, le=100.0,
        description="with a learned tone: share of the sounding's span in which the tone is heard (percent)",
    )
    count_max: int = Field(
        default=4, ge=1, le=50,
        description="without a learned tone: most beeps in one sounding (a longer sequence is another device)",
    )
    quiet_after_s: float = Field(
        default=2.5, ge=0.5, le=30.0,
        description="a sounding is judged once its tone has been silent this long (seconds); the same beep "
        "coming again meanwhile (smoke alarm T3: 0.5 s on/off ×3, 1.5 s pause; oven timers) marks a device that "
        "keeps beeping, not the pump",
    )
    heard_min_s: float | None = Field(
        default=None, gt=0.0, le=30.0,
        description="with a learned tone: least time the tone is heard in one sounding (seconds; learned at "
        "enrollment as most of one beep as the detector heard it there; empty = no such check)",
    )
    pitch_scatter_max_hz: float | None = Field(
        default=None, gt=0.0, le=200.0,
        description="with a learned tone: how far a sounding's pitch may stray from frame to frame (median distance "
        "of its frames from their median pitch, Hz; learned at enrollment as three times what the clinic recording "
        "showed; never below about a third of the 15.6 Hz analysis bin; empty = that least value)",
    )
    beeps_at_enrollment: int | None = Field(default=None, ge=0, description="beeps per sounding when enrolled")
    pitch_spread_hz: float | None = Field(
        default=None, ge=0.0, le=200.0,
        description="with a learned tone: how well enrollment knows it — the standard error of `frequency_hz` from "
        "how much the soundings' pitches differed in the recording (hertz; learned at enrollment; a sounding's mean "
        "tolerance is at least twice it; empty = one sounding, nothing to compare)",
    )
    beep_interval_s: float | None = Field(
        default=None, gt=0.0, le=10.0,
        description="with a learned tone, for a pump that beeps a sequence: the time from one beep's start to the "
        "next (seconds; learned at enrollment); a sounding heard as two or more pieces must hold two of them that "
        "far apart (or a multiple of it, up to beeps_at_enrollment − 1), at their starts or at their ends; empty = no "
        "such check",
    )
    sounds_alone: bool = Field(
        default=True,
        description="with a learned tone: the beep sounds alone within half an octave of its pitch, so a sounding "
        "that another tone as prominent starts with (a chord, a phone's dual tone, a voice) is not the pump; "
        "enrollment sets false when the clinic's own beeps were heard with such a tone",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_search_range()
        if self.span_min_s > self.span_max_s:
            raise ValueError(f"span_min_s ({self.span_min_s}) must not exceed span_max_s ({self.span_max_s})")
        if self.quiet_after_s < self.gap_max_s:
            raise ValueError(f"quiet_after_s ({self.quiet_after_s}) must be at least gap_max_s ({self.gap_max_s})")
        return self


class TwoToneSignature(_Signature):
    """The critical alarm: two tones alternating (hi-lo, siren-like) in a burst of a few seconds."""

    frequencies_hz: tuple[_Hz, _Hz] | None = Field(
        default=None,
        description="the two tones (hertz); empty = any two tones in search_min_hz..search_max_hz (a guess)",
    )
    tone_min_s: float = Field(default=0.06, gt=0.0, le=10.0, description="shortest single tone counted (seconds)")
    tone_max_s: float = Field(
        default=1.5, gt=0.0, le=30.0, description="longest single tone; a longer steady tone is not this alarm (s)"
    )
    gap_max_s: float = Field(
        default=0.5, gt=0.0, le=1.2,
        description="longest silence inside one burst (seconds); also the reporting delay after a burst, so it "
        "is capped at 1.2 s to report within 1.5 s",
    )
    changes_min: int = Field(
        default=2, ge=1, le=100, description="fewest tone changes in a burst (hi→lo→hi is two changes)"
    )
    tone_typical_s: float | None = Field(
        default=None, gt=0.0, le=30.0,
        description="with learned tones: the usual length of one tone (seconds); a burst whose tones are on "
        "median 2.5× longer or shorter is another device",
    )
    ratio_spread_pct: float | None = Field(
        default=None, ge=0.0, le=5.0,
        description="with learned tones: how well enrollment knows the high/low ratio — the standard error of the "
        "learned ratio from how much it differed between the bursts of the recording (percent; learned at "
        "enrollment; twice it is added to the ratio test in quadrature; empty = fewer than two bursts, nothing to "
        "compare)",
    )
    burst_min_s: float = Field(default=0.3, gt=0.0, le=60.0, description="shortest burst accepted (seconds)")
    burst_typical_s: float | None = Field(
        default=None, gt=0.0, le=60.0,
        description="with learned tones: the usual length of one burst (seconds); a burst still going on is "
        "judged once it has lasted this long, so the alarm is reported without waiting for the sounding to end",
    )
    burst_max_s: float = Field(
        default=8.0, gt=0.0, le=120.0,
        description="longest burst accepted (seconds); sirens alternate for much longer than the pump's ~3 s",
    )
    fill_min_pct: float = Field(
        default=30.0, ge=0.0, le=100.0,
        description="with learned tones: share of a burst during which one of the tones is heard (percent); "
        "scattered tonal bits of music fill much less of their span than an alarm",
    )
    ratio_min: float = Field(
        default=1.05, ge=1.01, le=4.0, description="without learned frequencies: smallest high/low tone ratio"
    )
    ratio_max: float = Field(
        default=2.2, ge=1.01, le=8.0, description="without learned frequencies: largest high/low tone ratio"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_search_range()
        if self.tone_min_s > self.tone_max_s:
            raise ValueError(f"tone_min_s ({self.tone_min_s}) must not exceed tone_max_s ({self.tone_max_s})")
        if self.burst_min_s > self.burst_max_s:
            raise ValueError(f"burst_min_s ({self.burst_min_s}) must not exceed burst_max_s ({self.burst_max_s})")
        if self.ratio_min >= self.ratio_max:
            raise ValueError(f"ratio_min ({self.ratio_min}) must be below ratio_max ({self.ratio_max})")
        if self.frequencies_hz is not None:
            low, high = sorted(self.frequencies_hz)
            if high / low < 1.0 + 2.5 * self.tolerance_pct / 100.0:
                raise ValueError(
                    f"the two tones {low:g} Hz and {high:g} Hz are too close to tell apart "
                    f"with tolerance_pct = {self.tolerance_pct:g}"
                )
        return self


class Profile(ConfigModel):
    """A pump's alarm signatures. A missing signature means that alarm is not listened for."""

    name: str = Field(min_length=1, max_length=200)
    verified: bool = Field(
        default=False, description="true only when every signature was learned from the patient's own pump"
    )
    description: str = ""
    critical: TwoToneSignature | None = None
    non_critical: BeepSignature | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        if self.critical is None and self.non_critical is None:
            raise ValueError("a profile needs at least one signature: [critical] or [non_critical]")
        return self

    def signature(self, alarm: AlarmKind) -> TwoToneSignature | BeepSignature | None:
        return self.critical if alarm is AlarmKind.CRITICAL else self.non_critical

    def is_verified(self, alarm: AlarmKind) -> bool:
        """Was this alarm's signature learned from the patient's pump (and not the bundled guess)?"""
        signature = self.signature(alarm)
        return bool(self.verified and signature is not None and signature.verified)


def default_profile_path() -> Path:
    """The bundled default profile (package data, so an installed monitord finds it)."""
    return Path(str(resources.files("monitord").joinpath(_DEFAULT_PROFILE_RESOURCE)))


def _profile_error(path: Path, problem: str, *, hint: str | None = None) -> UserError:
    return UserError(
        f"profile {path}: {problem}",
        hint=hint or "fix the file, or enroll again: `monitord enroll --alarm critical --profile FILE RECORDING`",
        exit_code=ExitCode.DATA_ERR,
    )


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(item) for item in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def profile_from_dict(data: dict[str, Any], *, path: Path) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise _profile_error(path, _describe_validation(exc)) from exc


def load_profile(path: Path | None) -> Profile:
    """Load a profile; `None` gives the bundled default (an unverified guess). Bad files raise UserError (65)."""
    if path is None:
        path = default_profile_path()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserError(f"profile {path}: no such file",
                        hint="create one with `monitord enroll --alarm critical --profile FILE RECORDING`",
                        exit_code=ExitCode.NO_INPUT) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _profile_error(path, f"cannot read it ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _profile_error(path, f"not valid TOML ({exc})") from exc
    return profile_from_dict(data, path=path)


def _signature_table(signature: TwoToneSignature | BeepSignature, comment: str | None) -> Any:
    import tomlkit

    table = tomlkit.table()
    if comment:
        for line in comment.splitlines():
            table.add(tomlkit.comment(line))
    for key, value in signature.model_dump(mode="json", exclude_none=True).items():
        if isinstance(value, list):
            value = [round(item, 2) if isinstance(item, float) else item for item in value]
        elif isinstance(value, float):
            value = round(value, 4)
        table.add(key, value)
    return table


def save_profile(
    path: Path,
    alarm: AlarmKind,
    signature: TwoToneSignature | BeepSignature,
    *,
    name: str | None = None,
    comment: str | None = None,
) -> Profile:
    """Set or replace one alarm's signature in the profile at `path` (created if missing), keeping everything else.

    The file is validated before it is written (atomically), so a failed save leaves the old file intact.
    """
    import tomlkit  # only enrollment writes profiles; keep `analyze` start-up light

    path = Path(path)
    if path.exists():
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
            raise _profile_error(path, f"cannot update it: {exc}",
                                 hint="fix or move the file away, then enroll again") from exc
    else:
        document = tomlkit.document()
        document.add(tomlkit.comment("monitord signature profile: what this patient's pump alarms sound like."))
        document.add(tomlkit.comment("Written by `monitord enroll`; edit with care (units are in the key names)."))
        document.add(tomlkit.nl())
        document.add("name", name or path.stem)
        document.add("verified", True)
        document.add("description", "learned from recordings of the patient's own pump")
    if name is not None:
        document["name"] = name
    document[alarm.value] = _signature_table(signature, comment)
    data = document.unwrap()
    # The profile is verified when every signature it holds was learned from the pump.
    others = [data.get(kind.value) for kind in AlarmKind]
    data_verified = all(sig.get("verified", False) for sig in others if isinstance(sig, dict))
    document["verified"] = data_verified
    data["verified"] = data_verified
    profile = profile_from_dict(data, path=path)
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(tomlkit.dumps(document), encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise UserError(f"cannot write profile {path}: {exc}", exit_code=ExitCode.CONFIG) from exc
    return profile
