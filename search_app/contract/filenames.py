"""What an export is called: the search words, the filters in effect and the day in Japan time
(「いじめ_令和3年度_小金井市_2026-11-30.csv」), safe as a file name anywhere, and the ``Content-Disposition`` that
gives it to browsers and Excel (RFC 6266: an ASCII ``filename`` for old clients, the UTF-8 ``filename*`` of
RFC 5987 for the rest)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from indexer.years import year_label

from ..models import FILTERS, SearchRequest
from .labels import JST, code_label

#: Most characters of the words before the date (a Japanese character is 3 bytes of a file system's 255).
MAX_WORDS = 60
#: Path separators (full-width ones too), quotes and what Windows refuses in a name.
_UNSAFE = re.compile(r"[\\/:*?\"'`<>|／＼]")
#: A name old clients may be given as it is.
_ASCII = re.compile(r"[A-Za-z0-9 ._()+,-]+")


@dataclass(frozen=True)
class ExportName:
    """An export's file name: ``words`` (the search and its filters), ``day`` and ``ext``."""

    words: str
    day: str
    ext: str

    @classmethod
    def of(cls, req: SearchRequest, ext: str, now: datetime, dataset_names: Mapping[str, str] | None = None
           ) -> ExportName:
        """The name of ``req``'s export made at ``now``; ``dataset_names`` shows a dataset filter's ids in words."""
        names = dataset_names or {}

        def shown(facet: str, value: str) -> str:
            return names.get(value, value) if facet == "dataset" else code_label(facet, value)

        parts = [req.q, "・".join(year_label(y) for y in req.years),
                 *("・".join(shown(f, v) for v in req.filters.get(f, ())) for f in FILTERS),
                 "・".join(shown("field", f) for f in req.fields)]
        words = "_".join(p for p in (_clean(p) for p in parts) if p) or "検索結果"
        if len(words) > MAX_WORDS:
            words = words[:MAX_WORDS - 1].rstrip(" _・.") + "…"
        return cls(words, now.astimezone(JST).date().isoformat(), ext)

    @property
    def filename(self) -> str:
        return f"{self.words}_{self.day}.{self.ext}"

    @property
    def fallback(self) -> str:
        """The name for clients that read only ``filename``: itself if plain ASCII, else plansearch and the day."""
        return self.filename if _ASCII.fullmatch(self.words) else f"plansearch_{self.day}.{self.ext}"

    def content_disposition(self) -> str:
        return f"attachment; filename=\"{self.fallback}\"; filename*=UTF-8''{quote(self.filename, safe='')}"


def _clean(text: str) -> str:
    """One part of a name: white space as one space, no control or invisible format characters (direction
    overrides), no path separators or quotes, no dots or spaces at either end."""
    kept = "".join(" " if ch.isspace() or _UNSAFE.match(ch) else ch for ch in text
                   if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    return " ".join(kept.split()).strip(" .")
