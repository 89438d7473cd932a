"""The data folder's ``plansearch.toml``: dataset slugs, plan documents, header aliases.

```toml
[header_aliases]            # extra header names, per role (see headers.HEADER_ALIASES)
status = ["取組の実績"]

[datasets.koganei]          # the slug used in measure ids
files = ["koganei_jisatsu_taisaku_r2_r3.tsv"]  # its tables (yearly reports); else those named koganei_…
municipality = "小金井市"     # else from a title row above the header, or the file name
name = "自殺総合対策計画"       # the plan; likewise
plan_pdf = "koganei_plan.pdf"  # the plan's PDF beside the table, served by plansearch
plan_url = "https://…/plan.pdf" # else a URL of the plan
page_offset = 4             # PDF page = printed page + page_offset
encoding = "cp932"          # else detected
sheet = "進捗状況"           # workbook sheet, else the first
year = 2021                 # fiscal year of a table whose headers name none
```
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .headers import HEADER_ALIASES
from .models import PlansearchError

CONFIG_NAME = "plansearch.toml"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class DatasetConfig:
    slug: str
    file: str = ""
    files: tuple[str, ...] = ()
    municipality: str = ""
    name: str = ""
    plan_pdf: str = ""
    plan_url: str = ""
    page_offset: int = 0
    encoding: str | None = None
    sheet: str | None = None
    year: int | None = None


#: A plan's address on the web: http(s), a host, nothing that is not printable ASCII or space.
_WEB_URL = re.compile(r"https?://[^\s/?#\x00-\x1f\x7f]+[^\s\x00-\x1f\x7f]*", re.IGNORECASE)
#: The type of each key of a ``[datasets.<slug>]`` table.
_KEY_TYPES: dict[str, type] = {
    "file": str, "files": list, "municipality": str, "name": str, "plan_pdf": str, "plan_url": str,
    "page_offset": int, "encoding": str, "sheet": str, "year": int,
}


@dataclass(frozen=True)
class DataConfig:
    datasets: dict[str, DatasetConfig] = field(default_factory=dict)
    header_aliases: dict[str, list[str]] = field(default_factory=dict)

    def for_file(self, path: Path) -> DatasetConfig:
        """The dataset a table belongs to: the one whose ``file`` or ``files`` name it, else the one named by the
        file name's first word (configured or not)."""
        for ds in self.datasets.values():
            if path.name == ds.file or path.name in ds.files:
                return ds
        return self.by_slug(slug_from_filename(path))

    def by_slug(self, slug: str) -> DatasetConfig:
        return self.datasets.get(slug) or _unconfigured(slug)


@functools.lru_cache(maxsize=1024)
def _unconfigured(slug: str) -> DatasetConfig:
    """A dataset plansearch.toml says nothing about (made once: a search asks for each result's)."""
    return DatasetConfig(slug=slug)


def slug_from_filename(path: Path) -> str:
    """``koganei_jisatsu_taisaku_r2_r3.tsv`` → ``koganei``: the name's first word."""
    stem = path.stem.lower()
    first = re.split(r"[_\-\s.]+", stem)[0]
    slug = re.sub(r"[^a-z0-9_-]", "", first)
    if not slug:
        slug = re.sub(r"[^a-z0-9_-]", "", stem) or "dataset"
    return slug[:40]


def load_config(folder: Path | None) -> DataConfig:
    """Read ``plansearch.toml`` from ``folder``; an absent file is an empty config."""
    if folder is None:
        return DataConfig()
    path = folder / CONFIG_NAME
    if not path.is_file():
        return DataConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlansearchError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise PlansearchError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    aliases = raw.get("header_aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in aliases.values()
    ):
        raise PlansearchError(f"{path}: [header_aliases] must map a role to a list of header names")
    unknown_roles = sorted(set(aliases) - set(HEADER_ALIASES))
    if unknown_roles:
        raise PlansearchError(f"{path}: [header_aliases] has unknown roles {unknown_roles} "
                              f"(known: {', '.join(HEADER_ALIASES)})")
    datasets: dict[str, DatasetConfig] = {}
    for slug, spec in raw.get("datasets", {}).items():
        if not _SLUG.match(slug) or not isinstance(spec, dict):
            raise PlansearchError(f"{path}: dataset id {slug!r} must be a lower-case slug such as 'koganei'")
        unknown = set(spec) - set(_KEY_TYPES)
        if unknown:
            raise PlansearchError(f"{path}: [datasets.{slug}] has unknown keys {sorted(unknown)}")
        for key, value in spec.items():
            kind = {int: "a whole number", list: "a list of file names"}.get(_KEY_TYPES[key], "a string")
            if not isinstance(value, _KEY_TYPES[key]) or isinstance(value, bool) or (
                    key == "files" and not all(isinstance(v, str) and v for v in value)):
                raise PlansearchError(f"{path}: [datasets.{slug}] {key} must be {kind}, not {value!r}")
        url = spec.get("plan_url", "")
        if url and not _WEB_URL.fullmatch(url):
            raise PlansearchError(f"{path}: [datasets.{slug}] plan_url must be an http:// or https:// address, "
                                  f"not {url[:80]!r}")
        spec = {**spec, "files": tuple(spec.get("files", ()))}
        try:
            datasets[slug] = DatasetConfig(slug=slug, **spec)
        except TypeError as exc:
            raise PlansearchError(f"{path}: [datasets.{slug}] {exc}") from None
    claimed: dict[str, str] = {}
    for ds in datasets.values():
        for name in (ds.file, *ds.files):
            if name and claimed.setdefault(name, ds.slug) != ds.slug:
                raise PlansearchError(f"{path}: {name!r} is listed under both [datasets.{claimed[name]}] and "
                                      f"[datasets.{ds.slug}]; a table belongs to one dataset")
    return DataConfig(datasets=datasets, header_aliases=aliases)
