"""Escalation: episodes become incidents, and incidents escalate until a human acknowledges.

- `EscalationService` (service.py): the engine — an async context manager consuming the bus, owning its tasks.
- `EscalationConfig` (config.py): the `[escalation]` section — notifiers, contacts, policies, quiet hours, delivery.
- incidents.py: the incident model and its SQLite state (restart-safe); messages.py: what the phone says;
  delivery.py: per-channel workers with timeouts, retries, rate limits and fallback; ack_server.py: the HTTP
  acknowledgement endpoint; sources.py: JSON-lines event input for `monitord escalate`.

Nothing is imported here, so reading the config (monitord.escalation.config) stays light: aiohttp and the notifiers
load only when the service starts.
"""
