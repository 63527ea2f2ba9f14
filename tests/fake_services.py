"""Real HTTP servers on loopback standing in for ntfy, Pushover, PagerDuty Events v2 and a webhook receiver.

Each fake checks requests the way the real API documents them (required fields, content type, auth, value
ranges), answers like the real service (status codes and JSON shapes), records every request, and can be told
to fail: `fail_next(429, headers={"Retry-After": "7"})`, `fail_next(500)`, `stall_next()` (no answer until the
client gives up). Where a fake is STRICTER than the real service (unknown fields are rejected instead of
ignored), it says so: a typo in a field name must fail a test, not a 3 a.m. page.

Use them as async context managers, e.g. in a fixture of your test module:

    @pytest.fixture
    async def fake_pushover() -> AsyncIterator[FakePushover]:
        async with FakePushover(app_token=PUSHOVER_APP_TOKEN, users={PUSHOVER_USER_KEY}) as server:
            yield server

Sources: docs.ntfy.sh/publish (publish as JSON, action buttons, authentication, error JSON); pushover.net/api
and /api/receipts (fields, limits, priority 2 retry ≥ 30 s / expire ≤ 10800 s, X-Limit-App-* headers, 429 over
the monthly limit, receipts and cancel); PagerDuty developer docs "Send an Alert Event" and the Events v2
overview (fields, 202 / 400 / 429 / 5xx).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self
from urllib.parse import parse_qsl

import aiohttp
import pytest_asyncio
from aiohttp import web
from multidict import CIMultiDict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes
    answered_status: int | None = None
    rejection: str | None = None
    """Why the fake refused it (a validation failure), None if accepted or failed on purpose."""

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


RECORDED = web.RequestKey("recorded", RecordedRequest)


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    stall: bool = False


class ValidationRefusal(Exception):  # noqa: N818 - a refusal the fake answers with, not its own error
    def __init__(
        self, status: int, answer: dict[str, Any], reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.answer = answer
        self.reason = reason
        self.headers = headers or {}


class FakeService:
    """A loopback aiohttp server that records requests and injects faults. Subclasses add routes."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._faults: deque[Fault] = deque()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[self._middleware])
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()  # let stalled handlers finish so cleanup does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    # --- test controls ---------------------------------------------------------------------------------------
    def fail_next(
        self, status: int = 500, *, times: int = 1, headers: dict[str, str] | None = None, body: Any = None
    ) -> None:
        for _ in range(times):
            self._faults.append(Fault(status=status, headers=dict(headers or {}), body=body))

    def stall_next(self, *, times: int = 1) -> None:
        """Accept the connection but never answer (until the fake closes): the client must time out."""
        for _ in range(times):
            self._faults.append(Fault(stall=True))

    @property
    def accepted(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.answered_status is not None and r.answered_status < 300]

    @property
    def rejected(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.rejection is not None]

    # --- plumbing --------------------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDict(request.headers),
            body=await request.read(),
        )
        self.requests.append(recorded)
        request[RECORDED] = recorded
        if self._faults:
            fault = self._faults.popleft()
            if fault.stall:
                await self._release.wait()
                recorded.answered_status = 503
                return web.Response(status=503)
            recorded.answered_status = fault.status
            if isinstance(fault.body, dict | list):
                return web.json_response(fault.body, status=fault.status, headers=fault.headers)
            return web.Response(status=fault.status, headers=fault.headers, body=fault.body or b"")
        try:
            response = await handler(request)
        except ValidationRefusal as failure:
            recorded.rejection = failure.reason
            recorded.answered_status = failure.status
            return web.json_response(failure.answer, status=failure.status, headers=failure.headers)
        recorded.answered_status = response.status
        return response


def _json_body(recorded: RecordedRequest, reject: Callable[[str], ValidationRefusal]) -> dict[str, Any]:
    try:
        value = recorded.json()
    except ValueError:
        raise reject("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise reject("body is not a JSON object")
    return value


def _is_http_url(value: object) -> bool:
    return isinstance(value, str) and re.match(r"^https?://[^\s/]+", value) is not None


# =============================================================================================================
# ntfy
# =============================================================================================================


class FakeNtfy(FakeService):
    """ntfy server: `POST /` with a JSON message (docs.ntfy.sh/publish/#publish-as-json).

    Auth: if `tokens` or `users` are given, publishing requires `Authorization: Bearer <token>` or Basic auth;
    anonymous → 403 (40301), wrong credentials → 401 (40101), like a server with `auth-default-access: deny-all`.
    Stricter than ntfy: unknown JSON fields are rejected (ntfy would ignore them).
    """

    KNOWN_FIELDS = frozenset(
        [
            "topic",
            "message",
            "title",
            "tags",
            "priority",
            "actions",
            "click",
            "attach",
            "markdown",
            "icon",
            "filename",
            "delay",
            "email",
            "call",
            "cache",
            "firebase",
        ]
    )
    ACTION_TYPES = frozenset({"view", "broadcast", "http", "copy"})
    HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, *, tokens: set[str] | None = None, users: dict[str, str] | None = None) -> None:
        super().__init__()
        self.tokens = tokens or set()
        self.users = users or {}
        self.messages: list[dict[str, Any]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._publish)

    @staticmethod
    def _error(http: int, code: int, error: str) -> ValidationRefusal:
        return ValidationRefusal(
            http, {"code": code, "http": http, "error": error, "link": "https://ntfy.sh/docs/publish/"}, error
        )

    def _check_auth(self, header: str | None) -> None:
        if not self.tokens and not self.users:
            return
        if header is None:
            raise self._error(403, 40301, "forbidden")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials in self.tokens:
            return
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                raise self._error(401, 40101, "unauthorized") from None
            if self.users.get(user) == password:
                return
        raise self._error(401, 40101, "unauthorized")

    async def _publish(self, request: web.Request) -> web.Response:
        recorded = request[RECORDED]
        if request.method not in ("POST", "PUT") or request.path != "/":
            raise self._error(404, 40401, "page not found (this fake takes JSON publishes at the root URL only)")
        self._check_auth(request.headers.get("Authorization"))
        message = _json_body(recorded, lambda reason: self._error(400, 40017, f"invalid request: {reason}"))
        unknown = set(message) - self.KNOWN_FIELDS
        if unknown:
            raise self._error(400, 40000, f"unknown fields {sorted(unknown)} (stricter than ntfy)")
        topic = message.get("topic")
        if not isinstance(topic, str) or not re.fullmatch(r"[-_A-Za-z0-9]{1,64}", topic):
            raise self._error(400, 40009, "invalid topic")
        priority = message.get("priority", 3)
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
            raise self._error(400, 40007, "invalid priority")
        tags = message.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self._error(400, 40000, "tags must be a list of strings")
        for key in ("title", "message"):
            if key in message and not isinstance(message[key], str):
                raise self._error(400, 40000, f"{key} must be a string")
        for key in ("click", "attach", "icon"):
            if key in message and not _is_http_url(message[key]):
                raise self._error(400, 40013 if key == "attach" else 40000, f"invalid {key} URL")
        actions = message.get("actions", [])
        if not isinstance(actions, list) or len(actions) > 3:
            raise self._error(400, 40018, "invalid request: actions invalid: too many actions, max 3 allowed")
        for action in actions:
            self._check_action(action)
        stored: dict[str, Any] = {
            "id": secrets.token_urlsafe(9)[:12],
            "time": int(time.time()),
            "expires": int(time.time()) + 43200,
            "event": "message",
            "topic": topic,
            "message": message.get("message", "triggered"),
            "priority": priority,
            **{k: message[k] for k in ("title", "tags", "click") if k in message},
        }
        if actions:
            stored["actions"] = [{"id": secrets.token_hex(5), **a} for a in actions]
        if "attach" in message:
            stored["attachment"] = {"name": message.get("filename", "attachment"), "url": message["attach"]}
        self.messages.append(message)
        return web.json_response(stored)

    def _check_action(self, action: object) -> None:
        def bad(reason: str) -> ValidationRefusal:
            return self._error(400, 40018, f"invalid request: actions invalid: {reason}")

        if not isinstance(action, dict):
            raise bad("action must be an object")
        if action.get("action") not in self.ACTION_TYPES:
            raise bad(f"action '{action.get('action')}' unknown")
        if not isinstance(action.get("label"), str) or not action["label"]:
            raise bad("label is required")
        if action["action"] in ("view", "http") and not _is_http_url(action.get("url")):
            raise bad("url is required and must be http(s)")
        if action["action"] == "http" and action.get("method", "POST") not in self.HTTP_METHODS:
            raise bad("invalid method")
        headers = action.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise bad("headers must be an object of strings")
        if "body" in action and not isinstance(action["body"], str):
            raise bad("body must be a string")
        if "clear" in action and not isinstance(action["clear"], bool):
            raise bad("clear must be a boolean")


# =============================================================================================================
# Pushover
# =============================================================================================================


PUSHOVER_SOUNDS = frozenset(
    [
        "pushover",
        "bike",
        "bugle",
        "cashregister",
        "classical",
        "cosmic",
        "falling",
        "gamelan",
        "incoming",
        "intermission",
        "magic",
        "mechanical",
        "pianobar",
        "siren",
        "spacealarm",
        "tugboat",
        "alien",
        "climb",
        "persistent",
        "echo",
        "updown",
        "vibrate",
        "none",
    ]
)


@dataclass
class PushoverReceipt:
    receipt: str
    user: str
    expires_at: int
    acknowledged_at: int = 0
    acknowledged_by: str = ""
    acknowledged_by_device: str = ""
    cancelled: bool = False
    polls: list[float] = field(default_factory=list)


class FakePushover(FakeService):
    """api.pushover.net: messages.json, receipts/{r}.json, receipts/{r}/cancel.json (form-encoded).

    Stricter than Pushover: only form encoding is accepted (we send forms), unknown parameters are rejected.
    """

    MESSAGE_FIELDS = frozenset(
        [
            "token",
            "user",
            "message",
            "title",
            "url",
            "url_title",
            "priority",
            "sound",
            "device",
            "html",
            "monospace",
            "timestamp",
            "ttl",
            "retry",
            "expire",
            "callback",
            "tags",
            "attachment_base64",
            "attachment_type",
        ]
    )

    def __init__(self, *, app_token: str, users: set[str], monthly_limit: int = 10000) -> None:
        super().__init__()
        self.app_token = app_token
        self.users = users
        self.monthly_limit = monthly_limit
        self.remaining = monthly_limit
        self.reset_at = int(time.time()) + 14 * 86400
        self.receipts: dict[str, PushoverReceipt] = {}
        self.messages: list[dict[str, str]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/1/messages.json", self._messages)
        app.router.add_get("/1/receipts/{receipt}.json", self._receipt)
        app.router.add_post("/1/receipts/{receipt}/cancel.json", self._cancel)

    # test control: a person taps "Acknowledge" in the Pushover app
    def acknowledge(self, receipt: str, *, user: str, device: str = "phone") -> None:
        entry = self.receipts[receipt]
        entry.acknowledged_at = int(time.time())
        entry.acknowledged_by = user
        entry.acknowledged_by_device = device

    @staticmethod
    def _refuse(reason: str, status: int = 400, fields: dict[str, str] | None = None) -> ValidationRefusal:
        """Pushover's error shape: the offending parameter marked "invalid", an errors list, status 0."""
        answer = {**(fields or {}), "errors": [reason], "status": 0, "request": str(uuid.uuid4())}
        return ValidationRefusal(status, answer, reason)

    def _form(self, request: web.Request) -> dict[str, str]:
        if request.content_type != "application/x-www-form-urlencoded":
            raise self._refuse(f"expected a form body, got {request.content_type} (stricter than Pushover)")
        form = request[RECORDED].form()
        if form.get("token") != self.app_token:
            raise self._refuse("application token is invalid", fields={"token": "invalid"})
        return form

    def _limit_headers(self) -> dict[str, str]:
        return {
            "X-Limit-App-Limit": str(self.monthly_limit),
            "X-Limit-App-Remaining": str(self.remaining),
            "X-Limit-App-Reset": str(self.reset_at),
        }

    async def _messages(self, request: web.Request) -> web.Response:
        form = self._form(request)
        unknown = set(form) - self.MESSAGE_FIELDS
        if unknown:
            raise self._refuse(f"unknown parameters {sorted(unknown)} (stricter than Pushover)")
        if form.get("user") not in self.users:
            raise self._refuse(
                "user identifier is not a valid user, group, or subscribed user key", fields={"user": "invalid"}
            )
        message = form.get("message", "")
        if not message.strip():
            raise self._refuse("message cannot be blank", fields={"message": "invalid"})
        for key, limit in (("message", 1024), ("title", 250), ("url", 512), ("url_title", 100)):
            if len(form.get(key, "")) > limit:
                raise self._refuse(f"{key} is too long (limit {limit} characters)", fields={key: "invalid"})
        try:
            priority = int(form.get("priority", "0"))
        except ValueError:
            raise self._refuse("priority is invalid", fields={"priority": "invalid"}) from None
        if not -2 <= priority <= 2:
            raise self._refuse("priority is invalid", fields={"priority": "invalid"})
        if "sound" in form and form["sound"] not in PUSHOVER_SOUNDS:
            raise self._refuse("sound is invalid", fields={"sound": "invalid"})
        receipt: str | None = None
        if priority == 2:
            if "retry" not in form:
                raise self._refuse("retry must be supplied with priority=2", fields={"retry": "invalid"})
            if "expire" not in form:
                raise self._refuse("expire must be supplied with priority=2", fields={"expire": "invalid"})
            if not form["retry"].isdigit() or int(form["retry"]) < 30:
                raise self._refuse("retry must be at least 30 seconds", fields={"retry": "invalid"})
            if not form["expire"].isdigit() or int(form["expire"]) > 10800:
                raise self._refuse("expire must be at most 10800 seconds", fields={"expire": "invalid"})
        if self.remaining <= 0:
            failure = self._refuse("application is over its monthly message limit", status=429)
            failure.headers.update(self._limit_headers())
            raise failure
        self.remaining -= 1
        if priority == 2:
            receipt = secrets.token_hex(15)[:30]
            self.receipts[receipt] = PushoverReceipt(
                receipt=receipt, user=form["user"], expires_at=int(time.time()) + int(form["expire"])
            )
        self.messages.append(form)
        answer: dict[str, Any] = {"status": 1, "request": str(uuid.uuid4())}
        if receipt:
            answer["receipt"] = receipt
        return web.json_response(answer, headers=self._limit_headers())

    def _find_receipt(self, request: web.Request) -> PushoverReceipt:
        entry = self.receipts.get(request.match_info["receipt"])
        if entry is None:
            raise self._refuse(
                "receipt not found; may be invalid or expired", status=404, fields={"receipt": "not found"}
            )
        return entry

    async def _receipt(self, request: web.Request) -> web.Response:
        if request.query.get("token") != self.app_token:
            raise self._refuse("application token is invalid", fields={"token": "invalid"})
        entry = self._find_receipt(request)
        entry.polls.append(time.monotonic())
        now = int(time.time())
        return web.json_response(
            {
                "status": 1,
                "acknowledged": 1 if entry.acknowledged_at else 0,
                "acknowledged_at": entry.acknowledged_at,
                "acknowledged_by": entry.acknowledged_by,
                "acknowledged_by_device": entry.acknowledged_by_device,
                "last_delivered_at": now,
                "expired": 1 if now >= entry.expires_at or entry.cancelled else 0,
                "expires_at": entry.expires_at,
                "called_back": 0,
                "called_back_at": 0,
                "request": str(uuid.uuid4()),
            }
        )

    async def _cancel(self, request: web.Request) -> web.Response:
        self._form(request)
        entry = self._find_receipt(request)
        entry.cancelled = True
        return web.json_response({"status": 1, "request": str(uuid.uuid4())})


# =============================================================================================================
# PagerDuty Events API v2
# =============================================================================================================


class FakePagerDuty(FakeService):
    """events.pagerduty.com: POST /v2/enqueue. Keeps each alert's state by dedup_key like PagerDuty does."""

    SEVERITIES = frozenset({"critical", "error", "warning", "info"})
    ACTIONS = frozenset({"trigger", "acknowledge", "resolve"})
    TOP_FIELDS = frozenset(
        ["routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url"]
    )
    PAYLOAD_FIELDS = frozenset(
        ["summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"]
    )

    def __init__(self, *, routing_keys: set[str]) -> None:
        super().__init__()
        self.routing_keys = routing_keys
        self.alerts: dict[str, str] = {}
        """dedup_key → "triggered" | "acknowledged" | "resolved"."""
        self.events: list[dict[str, Any]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/enqueue", self._enqueue)

    @staticmethod
    def _invalid(*errors: str) -> ValidationRefusal:
        return ValidationRefusal(
            400, {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}, errors[0]
        )

    async def _enqueue(self, request: web.Request) -> web.Response:
        recorded = request[RECORDED]
        if request.content_type != "application/json":
            raise self._invalid(f"Content-Type must be application/json, got {request.content_type}")
        event = _json_body(recorded, lambda reason: self._invalid(reason))
        unknown = set(event) - self.TOP_FIELDS
        if unknown:
            raise self._invalid(f"unknown fields {sorted(unknown)} (stricter than PagerDuty)")
        routing_key = event.get("routing_key")
        if not isinstance(routing_key, str) or not routing_key.strip():
            raise self._invalid("'routing_key' is missing or blank")
        if len(routing_key) != 32 or routing_key not in self.routing_keys:
            raise self._invalid("'routing_key' is invalid")
        action = event.get("event_action")
        if action not in self.ACTIONS:
            raise self._invalid("'event_action' is missing or invalid")
        dedup_key = event.get("dedup_key")
        if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
            raise self._invalid("'dedup_key' must be a string of at most 255 characters")
        if action == "trigger":
            self._check_payload(event.get("payload"))
            for link in event.get("links", []):
                if not isinstance(link, dict) or not _is_http_url(link.get("href")):
                    raise self._invalid("'links' entries need an 'href'")
        elif not dedup_key:
            raise self._invalid("'dedup_key' is missing or blank")
        key = dedup_key or uuid.uuid4().hex
        state = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}[action]
        if action == "trigger" or self.alerts.get(key) not in (None, "resolved"):
            self.alerts[key] = state  # ack/resolve of an unknown or resolved alert is dropped, like PagerDuty
        self.events.append(event)
        return web.json_response({"status": "success", "message": "Event processed", "dedup_key": key}, status=202)

    def _check_payload(self, payload: object) -> None:
        if not isinstance(payload, dict):
            raise self._invalid("'payload' is missing or not an object")
        unknown = set(payload) - self.PAYLOAD_FIELDS
        if unknown:
            raise self._invalid(f"unknown payload fields {sorted(unknown)} (stricter than PagerDuty)")
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise self._invalid("'payload.summary' is missing or blank")
        if len(summary) > 1024:
            raise self._invalid("'payload.summary' is longer than 1024 characters")
        if not isinstance(payload.get("source"), str) or not payload["source"].strip():
            raise self._invalid("'payload.source' is missing or blank")
        if payload.get("severity") not in self.SEVERITIES:
            raise self._invalid("'payload.severity' is missing or invalid")
        if "timestamp" in payload:
            try:
                datetime.fromisoformat(payload["timestamp"])
            except (TypeError, ValueError):
                raise self._invalid("'payload.timestamp' is not ISO 8601") from None
        if "custom_details" in payload and not isinstance(payload["custom_details"], dict | str):
            raise self._invalid("'payload.custom_details' must be an object")


# =============================================================================================================
# Webhook receiver (also the target of Apprise json:// URLs)
# =============================================================================================================


class FakeWebhook(FakeService):
    """Accepts JSON POSTs on any path. With `secret`, verifies X-Monitord-Signature (HMAC-SHA256 of the raw body,
    computed here independently of monitord's code) and a fresh X-Monitord-Timestamp; 401 otherwise."""

    MAX_CLOCK_SKEW_S = 300

    def __init__(self, *, secret: bytes | None = None, bearer_token: str | None = None, status: int = 204) -> None:
        super().__init__()
        self.secret = secret
        self.bearer_token = bearer_token
        self.status = status
        self.bodies: list[dict[str, Any]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/{tail:.*}", self._receive)

    @staticmethod
    def _unauthorized(reason: str) -> ValidationRefusal:
        return ValidationRefusal(401, {"error": reason}, reason)

    async def _receive(self, request: web.Request) -> web.Response:
        recorded = request[RECORDED]
        if request.content_type != "application/json":
            raise ValidationRefusal(415, {"error": "JSON only"}, f"content type {request.content_type}")
        if self.bearer_token is not None and request.headers.get("Authorization") != f"Bearer {self.bearer_token}":
            raise self._unauthorized("bad or missing bearer token")
        if self.secret is not None:
            expected = "sha256=" + hmac.new(self.secret, recorded.body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, request.headers.get("X-Monitord-Signature", "")):
                raise self._unauthorized("bad signature")
            timestamp = request.headers.get("X-Monitord-Timestamp", "")
            if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > self.MAX_CLOCK_SKEW_S:
                raise self._unauthorized("missing or stale timestamp")
        body = _json_body(recorded, lambda reason: ValidationRefusal(400, {"error": reason}, reason))
        self.bodies.append(body)
        return web.Response(status=self.status)


# =============================================================================================================
# test credentials (the documented shapes, not real secrets)
# =============================================================================================================

PUSHOVER_APP_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"  # 30 characters, the documented shape (not a real token)
PUSHOVER_USER_KEY = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
PAGERDUTY_ROUTING_KEY = "0123456789abcdef0123456789abcdef"  # 32 characters, the documented shape
NTFY_TOKEN = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"
WEBHOOK_SECRET = b"correct horse battery staple"


# --- pytest fixtures (loaded by tests/conftest.py): one server per test, the documented good credentials --------


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest_asyncio.fixture
async def fake_ntfy() -> AsyncIterator[FakeNtfy]:
    async with FakeNtfy(tokens={NTFY_TOKEN}) as server:
        yield server


@pytest_asyncio.fixture
async def fake_pushover() -> AsyncIterator[FakePushover]:
    async with FakePushover(app_token=PUSHOVER_APP_TOKEN, users={PUSHOVER_USER_KEY}) as server:
        yield server


@pytest_asyncio.fixture
async def fake_pagerduty() -> AsyncIterator[FakePagerDuty]:
    async with FakePagerDuty(routing_keys={PAGERDUTY_ROUTING_KEY}) as server:
        yield server


@pytest_asyncio.fixture
async def fake_webhook() -> AsyncIterator[FakeWebhook]:
    async with FakeWebhook(secret=WEBHOOK_SECRET) as server:
        yield server
