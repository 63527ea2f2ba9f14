"""One HTTP attempt for the HTTP notifiers, with the failure classified the same way everywhere.

Network errors and timeouts are retryable (PagerDuty's documented retry table; Pushover and ntfy say the same);
the response is returned to the notifier, which knows how its API reports errors. Error messages never include a
URL or header, because query strings and headers carry tokens.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy

from monitord.notifiers.base import NotifierError

if TYPE_CHECKING:
    import aiohttp


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None if it is not one (an HTML error page from a proxy, ...)."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def text_excerpt(self, limit: int = 200) -> str:
        return self.body[:limit].decode("utf-8", errors="replace").strip()


async def http_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    what: str,
    timeout_s: float,
    **kwargs: Any,
) -> HttpResponse:
    """Make one request and read the whole body. Raises a retryable NotifierError on timeout/network failure."""
    import aiohttp  # here, not at the top: config models import this package and must stay light to load

    try:
        async with session.request(
            method, url, timeout=aiohttp.ClientTimeout(total=timeout_s), allow_redirects=False, **kwargs
        ) as response:
            body = await response.read()
            return HttpResponse(status=response.status, headers=response.headers, body=body)
    except TimeoutError as exc:
        raise NotifierError(f"{what}: no answer within {timeout_s:g} s", retryable=True) from exc
    except aiohttp.InvalidURL as exc:  # a config mistake that slipped through; the URL may hold a secret
        raise NotifierError(f"{what}: invalid URL", retryable=False) from exc
    except aiohttp.ClientConnectorError as exc:
        raise NotifierError(f"{what}: cannot connect to {exc.host}:{exc.port}: {exc.os_error}", retryable=True) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise NotifierError(f"{what}: network error: {type(exc).__name__}", retryable=True) from exc


def retry_after_s(headers: CIMultiDictProxy[str], *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3), or None."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def is_retryable_status(status: int) -> bool:
    """429 (rate limited), 408 (request timeout) and 5xx can succeed later; any other 4xx never will."""
    return status in (408, 429) or status >= 500


def error_for_status(what: str, response: HttpResponse, detail: str) -> NotifierError:
    return NotifierError(
        f"{what}: HTTP {response.status}: {detail}",
        retryable=is_retryable_status(response.status),
        retry_after_s=retry_after_s(response.headers),
        status=response.status,
    )


def mask(secret: str, keep: int = 4) -> str:
    """Enough of an identifier to tell two apart in a log, not enough to use it."""
    return secret[:keep] + "…" if len(secret) > keep else "…"
