"""How ``sarcoma-cds serve`` runs uvicorn: connection limits and timeouts from settings.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``), the size of a request's
line and headers (h11's ``max_incomplete_event_size``), the listen backlog and the connections
and tasks served at once (``limit_concurrency``: more are answered 503). It has no limit on
how long a client may take to send a request: a client trickling its headers or body one byte
at a time holds a connection and a file descriptor for ever, and enough of them stop the
worker ("slowloris"). ``RequestDeadlineProtocol`` closes a connection whose request (headers
and body) is not complete ``SARCOMA_CDS_REQUEST_TIMEOUT`` seconds after its first byte.

This is a last line of defence: production runs behind a reverse proxy that buffers requests
and limits connections per client (SECURITY.md, "Deployment").
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

from hooks.web.settings import Settings


@lru_cache(maxsize=1)
def _request_timeout() -> float:
    return Settings.from_env().request_timeout


class RequestDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on receiving each whole request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._armed_for: RequestResponseCycle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        # The first bytes of a new request (none in progress, or the last one answered) start
        # its clock; later bytes of the same request do not restart it.
        idle = self.cycle is None or self.cycle.response_complete
        if idle and (self._deadline is None or self._armed_for is not self.cycle):
            self._arm()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._armed_for = self.cycle
        self._deadline = self.loop.call_later(_request_timeout(), self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        cycle = self.cycle
        headers_incomplete = cycle is self._armed_for
        body_incomplete = cycle is not None and cycle.more_body and not cycle.response_complete
        if (headers_incomplete or body_incomplete) and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The connection limits and timeouts, as keyword arguments for ``uvicorn.run``."""
    return {
        "http": RequestDeadlineProtocol,
        "limit_concurrency": settings.limit_concurrency,
        "backlog": settings.backlog,
        "timeout_keep_alive": settings.timeout_keep_alive,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
