"""The HTTP acknowledgement endpoint behind the phones' "Acknowledge" buttons.

Every notification for an open incident carries a link `<public_url>/ack/<token>`: the token is
`secrets.token_urlsafe(32)` (256 bits, unguessable), issued per send, stored only as its SHA-256 hash, and expires
after `token_ttl_min`. Routes:

- `GET  /ack/<token>`      a small confirm page (so a link preview or a mail scanner fetching the URL never
                           acknowledges anything) with buttons: acknowledge, resolve, snooze (non-critical only);
- `POST /ack/<token>`      acknowledges (ntfy's `http` action button POSTs here). Optional form/query fields:
                           `by` (who; else the `X-Monitord-By` header, else "phone link"), `action` =
                           `ack` (default) | `resolve` | `snooze`, `snooze_h` (hours, default 4);
- `GET  /evidence/<token>` the audio clip of the incident, when one was saved;
- `GET  /healthz`          "ok".

An unknown token is 404, an expired one 410: neither says anything about any incident.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from aiohttp import web

from monitord.escalation.config import AckServerConfig

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    incident_id: str
    title: str
    """A one-line description of the incident for the confirm page."""
    state: str
    can_snooze: bool
    clip_path: Path | None


ActionHandler = Callable[[str, str, str, str, float], Awaitable[str]]
"""(incident_id, action, by, channel, snooze_h) → a sentence for the person (what happened)."""


class AckServer:
    """An aiohttp server; `start()` binds (port 0 → a free port, see `base_url`), `stop()` closes."""

    def __init__(
        self,
        *,
        config: AckServerConfig,
        lookup: Callable[[str], tuple[TokenInfo | None, datetime | None]],
        on_action: ActionHandler,
        now: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._lookup = lookup
        self._on_action = on_action
        self._now = now
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    @property
    def base_url(self) -> str:
        if self._config.public_url:
            return self._config.public_url
        host = self._config.bind_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.bound_port or self._config.bind_port}"

    def ack_url(self, token: str) -> str:
        return f"{self.base_url}/ack/{token}"

    def evidence_url(self, token: str) -> str:
        return f"{self.base_url}/evidence/{token}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ack/{token}", self._get_ack)
        app.router.add_post("/ack/{token}", self._post_ack)
        app.router.add_get("/evidence/{token}", self._get_evidence)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._config.bind_host, self._config.bind_port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            from monitord.errors import ConfigError

            raise ConfigError(
                f"cannot listen for acknowledgements on {self._config.bind_host}:{self._config.bind_port}: "
                f"{exc.strerror}",
                hint="choose another escalation.ack_server.bind_port or stop what is using it",
            ) from exc
        addresses = self._runner.addresses
        if addresses:
            self.bound_port = int(addresses[0][1])
        log.info("acknowledgement endpoint listening", url=self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- handlers -------------------------------------------------------------------------------------------------

    def _check(self, request: web.Request) -> TokenInfo:
        token = request.match_info["token"]
        info, expires_at = self._lookup(token)
        if info is None or expires_at is None:
            raise web.HTTPNotFound(text="This link is not valid.\n")
        if expires_at <= self._now():
            raise web.HTTPGone(text="This link has expired. Use the newest alert's link.\n")
        return info

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _get_ack(self, request: web.Request) -> web.Response:
        info = self._check(request)
        snooze = (
            '<button name="action" value="snooze">Snooze reminders 4 h</button>' if info.can_snooze else ""
        )
        page = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Acknowledge alert</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:1em auto;padding:0 1em">
<h1>{html.escape(info.title)}</h1><p>State: <b>{html.escape(info.state)}</b></p>
<form method="post"><p><label>Your name <input name="by" autocomplete="name"></label></p>
<p><button name="action" value="ack" style="font-size:1.4em">I'm on it — acknowledge</button></p>
<p><button name="action" value="resolve">Resolve (it is over)</button> {snooze}</p></form>
</body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _post_ack(self, request: web.Request) -> web.Response:
        info = self._check(request)
        form = await request.post() if request.can_read_body else {}
        def field(name: str) -> str:
            value = form.get(name) if form else None
            if not isinstance(value, str):
                value = request.query.get(name)
            return (value or "").strip()

        header_by = request.headers.get("X-Monitord-By", "").strip()
        by = field("by") or header_by or "phone link"
        # The ntfy Acknowledge button names itself ("ntfy:<notifier>"); anything else is the link in a browser.
        channel = "ntfy" if header_by.startswith("ntfy:") and not field("by") else "http"
        action = field("action") or "ack"
        if action not in ("ack", "resolve", "snooze"):
            raise web.HTTPBadRequest(text="action must be ack, resolve or snooze\n")
        if action == "snooze" and not info.can_snooze:
            raise web.HTTPConflict(text="Only the non-critical alarm can be snoozed.\n")
        try:
            snooze_h = float(field("snooze_h") or 4.0)
        except ValueError:
            raise web.HTTPBadRequest(text="snooze_h must be a number of hours\n") from None
        if not 0 < snooze_h <= 7 * 24:
            raise web.HTTPBadRequest(text="snooze_h must be between 0 and 168 hours\n")
        message = await self._on_action(info.incident_id, action, by[:80], channel, snooze_h)
        log.info("acknowledgement endpoint", incident=info.incident_id, action=action, by=by, channel=channel)
        if "text/html" in request.headers.get("Accept", ""):
            return web.Response(
                text=f"<!doctype html><meta charset=utf-8><p style='font-family:sans-serif'>{html.escape(message)}</p>",
                content_type="text/html",
            )
        return web.Response(text=message + "\n")

    async def _get_evidence(self, request: web.Request) -> web.StreamResponse:
        info = self._check(request)
        if info.clip_path is None or not info.clip_path.is_file():
            raise web.HTTPNotFound(text="No audio clip was saved for this alert.\n")
        return web.FileResponse(info.clip_path, headers={"Content-Type": "audio/wav"})
