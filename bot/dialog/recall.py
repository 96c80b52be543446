"""`Recall`: the conversations this process saved last, so an event can start from one without reading it.

A click on a card (most often served by the process that posted it), or the user's next message, starts
from the conversation as this process saved it, at the revision the save answered. Nothing is decided on
an out-of-date copy: a turn on a recalled copy answers only once the store proves the copy current, by a
compare-and-set on its revision (the claim of a write, the turn's save) or, for a turn that changed
nothing, by reading the stored revision (`DialogService._still_at`, one GET: what the skipped load would
have cost); otherwise it runs again on the stored conversation. That proof holds because a revision is
never given twice, not even after Redis lost data and its revision counter (bot/store/redis_store.py).
One Redis round trip less per confirmed write.
"""

from __future__ import annotations

from collections import OrderedDict

RECALLED = 5000  # conversations a process recalls (the last ones it saved)


class Recall:
    """The last conversations this process saved, each with the revision it was saved at."""

    def __init__(self, size: int = RECALLED) -> None:
        self.size = size
        self._saved: OrderedDict[str, tuple[int, str]] = OrderedDict()

    def get(self, path: str) -> tuple[int, str] | None:
        """(revision, the conversation as JSON) as this process saved it last, if it recalls it."""
        return self._saved.get(path)

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
