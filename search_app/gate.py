"""Expensive searches, bounded: a search that has worked longer than ``threshold_ms`` must take one of a few
places to go on, so that slow searches cannot take every thread from cheap ones and ``/healthz``.

A search (or an export) gets a ``Ticket``; the matcher calls ``Ticket.check()`` as it goes (with the time
limit). A cheap search never waits for and never holds a place. Past the threshold, it takes a place if one is
free (at most ``total`` at once in the process, ``per_client`` for one client); if none is, it stops at once
with ``Busy``: 429 when the client already runs its share, 503 when every place is taken.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .query import QueryError


class SearchTimeout(QueryError):
    """The search would take longer than the configured limit."""


class Busy(Exception):
    """A search refused because too many slow searches run at once (``status`` 429 or 503)."""

    def __init__(self, status: int, code: str, message: str, ja: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.ja = ja or "混み合っています。少し待ってからもう一度検索してください。"


@dataclass
class Gate:
    """The places for slow searches of one process."""

    total: int = 1
    per_client: int = 1
    threshold_ms: float = 250.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._by_client: dict[str, int] = {}

    def ticket(self, client: str = "") -> Ticket:
        return Ticket(self, client, time.monotonic())

    def _take(self, client: str) -> None:
        with self._lock:
            if self._by_client.get(client, 0) >= self.per_client:
                raise Busy(429, "too_many_requests", "this client already runs a slow search; wait for it to "
                           "finish, or narrow the search (more words, a phrase, a year or a section)")
            if self._running >= self.total:
                raise Busy(503, "busy", "too many slow searches are running; try again in a moment, or narrow "
                           "the search")
            self._running += 1
            self._by_client[client] = self._by_client.get(client, 0) + 1

    def _give_back(self, client: str) -> None:
        with self._lock:
            self._running -= 1
            left = self._by_client.get(client, 1) - 1
            if left:
                self._by_client[client] = left
            else:
                self._by_client.pop(client, None)

    @property
    def running(self) -> int:
        return self._running


@dataclass
class Ticket:
    """One search's pass: ``check()`` as it works, ``close()`` (or ``with``) when it is done."""

    gate: Gate
    client: str
    started: float
    holding: bool = False

    def check(self) -> None:
        if self.holding or (time.monotonic() - self.started) * 1000 < self.gate.threshold_ms:
            return
        self.gate._take(self.client)
        self.holding = True

    def close(self) -> None:
        if self.holding:
            self.holding = False
            self.gate._give_back(self.client)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Budget:
    """One request's allowance: the time limit (``deadline``, ``time.monotonic()``, or None for none) and a
    ticket for the places of slow searches. ``check()`` raises ``SearchTimeout`` or ``Busy`` to stop the work."""

    ticket: Ticket
    deadline: float | None = None

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SearchTimeout("the search took too long; narrow it with more words, a phrase or filters",
                                "検索に時間がかかりすぎました。語を増やすか、年度や担当課で絞り込んでください。")
        self.ticket.check()

    def close(self) -> None:
        self.ticket.close()

    def __enter__(self) -> Budget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
