"""Episodes: soundings of one alarm grouped by the pump's cadence (started → confirmed → ended).

`EpisodeTracker` is pure (times come from the events it is given); `EpisodeService` drives it from the event bus
with an injected clock, so hours of cadence run in milliseconds under `FakeClock`.
"""

from monitord.episodes.service import EpisodeService
from monitord.episodes.tracker import CadenceSettings, Episode, EpisodeEvent, EpisodeTracker

__all__ = ["CadenceSettings", "Episode", "EpisodeEvent", "EpisodeService", "EpisodeTracker"]
