"""monitord — hears the alarms of an implanted baclofen pump and makes sure a human responds.

The package is layered the way data flows (a lower layer never imports a higher one):

    audio → frontend → detectors → episodes → bus → sinks (mqtt, escalation → notifiers)

`alarms`, `clock`, `errors` and `events` are the shared vocabulary every layer may use.
"""

__version__ = "0.1.0"
