"""plansearch's search library: build an index from plan tables, open it, and search it.

No web framework is imported here or below: the Flask app is ``search_app.web``, the command line
``search_app.cli``, and what both show of a result (HTML highlights, links, the JSON API's bodies) is
``search_app.contract``.

    from search_app import Engine, SearchRequest, build, load_settings
    build([Path("data")], Path("index"))
    page = Engine(Path("index")).search(SearchRequest(q="コロナ", years=(2021,)))
"""

from indexer.generations import IndexInfo, IndexUnavailable
from indexer.models import PlansearchError, StoredRecord, TableError

from .engine import Engine
from .gate import Busy, SearchTimeout
from .highlight import Snippet
from .models import Hit, MeasureAnswer, SearchPage, SearchRequest, Stats
from .query import QueryError
from .service import build, ensure_index, make_engine
from .settings import load_settings

__all__ = [
    "Busy", "Engine", "Hit", "IndexInfo", "IndexUnavailable", "MeasureAnswer", "PlansearchError", "QueryError",
    "SearchPage", "SearchRequest", "SearchTimeout", "Snippet", "Stats", "StoredRecord", "TableError", "build",
    "ensure_index", "load_settings", "make_engine",
]
