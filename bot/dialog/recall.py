"""`Recall`: the conversations this process saved last, so an event can start from one without reading it.

A click on a card (most often served by the process that posted it), or the user's next message, starts
from the conversation as this process saved it, at the revision the save answered. Nothing is decided on
an out-of-date copy: a turn on a recalled copy answers only once the store proves the copy current, by a
compare-and-set on its revision (the claim of a write, the turn's save) or, for a turn that changed
nothing, by reading the stored revision (`DialogService._still_at`, one GET: what the skipped load would
have cost); otherwise it runs again on the stored conversation. That proof holds because a revision is
never given twice, not even after Redis lost data and its revision counter (bot/store/redis_store.py).
One Redis round trip less per confirmed write.

A conversation that other processes serve too (a load balancer's round robin, Socket Mode's spread) is
often out of date here, and a turn on it runs twice; once a recalled copy of it failed its proof, it is
read from the store for CONTENDED_SECONDS (`missed`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

RECALLED = 5000  # conversations a process recalls (the last ones it saved)
CONTENDED_SECONDS = 600.0  # a conversation whose recalled copy was out of date is read for this long


class Recall:
    """The last conversations this process saved, each with the revision it was saved at."""

    def __init__(self, size: int = RECALLED, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._saved: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self._contended: OrderedDict[str, float] = OrderedDict()  # path -> until (clock)

    def get(self, path: str) -> tuple[int, str] | None:
        """(revision, the conversation as JSON) as this process saved it last, if it recalls it and its
        copy was not out of date lately."""
        until = self._contended.get(path)
        if until is not None:
            if until > self.clock():
                return None
            del self._contended[path]
        return self._saved.get(path)

    def missed(self, path: str) -> None:
        """A recalled copy of `path` was out of date (another process saved it since): read it from the
        store for a while."""
        self._saved.pop(path, None)
        self._contended.pop(path, None)
        self._contended[path] = self.clock() + CONTENDED_SECONDS
        if len(self._contended) > self.size:
            self._contended.popitem(last=False)

    def keep(self, path: str, rev: int, value_json: str | None) -> None:
        """Note a save of `value_json` that answered `rev` (0: nothing written, so what is stored is
        unknown)."""
        self._saved.pop(path, None)
        if rev and value_json is not None:
            self._saved[path] = (rev, value_json)
            if len(self._saved) > self.size:
                self._saved.popitem(last=False)

    def forget(self, path: str) -> None:
        self._saved.pop(path, None)
