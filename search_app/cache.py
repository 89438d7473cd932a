"""A small LRU of recent result pages, keyed by index generation, synonym file and request."""

from __future__ import annotations

import threading
from collections import OrderedDict

from .models import SearchPage, SearchRequest


class ResultCache:
    """A small LRU of recent result pages, keyed by index generation, synonym file and request."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, SearchPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> SearchPage | None:
        with self._lock:
            page = self._items.get(key)
            if page is not None:
                self._items.move_to_end(key)
            return page

    def put(self, key: tuple, page: SearchPage) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = page
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def request_key(req: SearchRequest) -> tuple:
    return (req.q, req.years, req.fields, tuple(sorted(req.filters.items())), req.page, req.per_page, req.sort,
            req.synonyms, req.disabled_synonyms, req.concepts, req.group)
