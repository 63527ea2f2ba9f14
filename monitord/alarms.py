"""The pump's two alarms: names, cadence and what a caregiver must do.

Facts here come from ../shared/domain.md (clinic leaflets and patient accounts for the Medtronic SynchroMed II/III).
No public source gives tone frequencies or timings, so nothing acoustic lives here: signatures are learned
(see monitord.profiles).
"""

from __future__ import annotations

from enum import StrEnum


class AlarmKind(StrEnum):
    """Which of the pump's two audible alarms."""

    CRITICAL = "critical"
    """Two-tone, siren-like, about every 10 minutes: the drug is NOT flowing (empty reservoir, battery at end,
    motor stall, critical memory error)."""

    NON_CRITICAL = "non_critical"
    """A single soft beep (or short sequence), about once an hour: the drug still flows (low reservoir,
    replacement due within 90 days, non-critical memory error)."""

    @property
    def display_name(self) -> str:
        return _TITLES[self]

    @property
    def expected_repeat_s(self) -> float:
        """How often the pump repeats this alarm while the condition lasts (seconds)."""
        return _EXPECTED_REPEAT_S[self]

    @property
    def meaning(self) -> str:
        return _MEANING[self]

    @property
    def what_to_do(self) -> str:
        return _WHAT_TO_DO[self]


_TITLES = {
    AlarmKind.CRITICAL: "CRITICAL pump alarm (two-tone)",
    AlarmKind.NON_CRITICAL: "Non-critical pump alarm (beep)",
}

# "about every 10 minutes" / "about once an hour, on the hour" (domain.md, alarm table).
_EXPECTED_REPEAT_S = {
    AlarmKind.CRITICAL: 10 * 60.0,
    AlarmKind.NON_CRITICAL: 60 * 60.0,
}

_MEANING = {
    AlarmKind.CRITICAL: (
        "The pump signals that baclofen is NOT being delivered (empty reservoir, battery at end of service, "
        "motor stall or critical memory error). Withdrawal can become life-threatening within hours."
    ),
    AlarmKind.NON_CRITICAL: (
        "The pump signals a condition that needs attention soon (low reservoir, replacement due within "
        "90 days, or a non-critical memory error). The drug still flows."
    ),
}

_WHAT_TO_DO = {
    AlarmKind.CRITICAL: (
        "Check the patient now. Give oral baclofen as the care plan says. Call the pump team / on-call doctor "
        "NOW and go to the emergency department if told to. Watch for withdrawal: sudden rise in muscle tone, "
        "fever, itching without rash, irritability, confusion, nausea, headache. Severe withdrawal can be fatal."
    ),
    AlarmKind.NON_CRITICAL: (
        "The drug still flows. Call the pump team during business hours and book a refill (or the replacement "
        "if the replacement alarm is due). Never let the reservoir run empty."
    ),
}

OVERDOSE_SIGNS = (
    "Signs of overdose (very floppy muscles, unusual drowsiness, slow breathing): call the pump team; call "
    "emergency services if breathing is troubled or the person will not wake."
)

SECOND_CHANNEL_DISCLAIMER = (
    "monitord is a second channel beside the pump's own alarm, never a replacement for it."
)
