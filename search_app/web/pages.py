"""HTML pages: search, measure, overview (stats), synonyms, and the plan PDFs placed in the data folder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, send_file
from markupsafe import Markup

from indexer.achievement import CATEGORIES, compare
from indexer.config import load_config
from indexer.models import FIELD_LABELS, HIGHLIGHT_LABELS, TEXT_FIELDS
from indexer.normalize import fold
from indexer.years import year_label

from ..contract.labels import FACET_TITLES, JST, TREND_FLAGS, code_label, dataset_names
from ..contract.links import measure_url, plan_pdf_url
from . import charts
from .api import engine, presenter
from .diff import diff_html
from .errors import ApiError
from .params import page_args, search_request

bp = Blueprint("pages", __name__)

SORT_LABELS = {"relevance": "関連度順", "plan_page": "計画書ページ順", "year": "年度順"}


def value_label(facet: str, value: str) -> str:
    if facet == "year":
        return year_label(int(value)) if value.isdigit() else value
    if facet == "dataset":
        return dataset_labels().get(value, value)
    return code_label(facet, value)


def dataset_labels() -> dict[str, str]:
    """Each dataset's id → how pages name it: its municipality and plan (「小金井市 自殺総合対策計画」), else its id."""
    return dataset_names(engine().info.datasets)


def link(**changes: object) -> str:
    return "/?" + urlencode(page_args(request.args, **changes), doseq=True)


@bp.app_context_processor
def globals_() -> dict:
    return {"category_class": charts.CATEGORY_CLASS, "value_label": value_label, "years_span": years_span,
            "measure_url": measure_url, "year_label": year_label, "trend_flags": TREND_FLAGS}


def years_span(years: Sequence[int]) -> str:
    """「令和2年度〜令和4年度」, 「令和3年度」, 「令和2・4年度」 for years with a gap."""
    years = sorted(years)
    if not years:
        return "—"
    if len(years) == 1:
        return year_label(years[0])
    if years[-1] - years[0] == len(years) - 1:
        return f"{year_label(years[0])}〜{year_label(years[-1])}"
    return "、".join(year_label(y) for y in years)


@bp.app_template_filter("jst")
def jst(stamp: str) -> str:
    """An ISO time (UTC) as Japan time in Japanese: 2026年11月30日 12時38分."""
    try:
        when = datetime.fromisoformat(stamp).astimezone(JST)
    except (TypeError, ValueError):
        return stamp or ""
    return f"{when.year}年{when.month}月{when.day}日 {when.hour}時{when.minute:02d}分"


@bp.app_template_global()
def facet_link(facet: str, value: str) -> str:
    current = request.args.getlist(facet)
    values = [v for v in current if v != value] if value in current else [*current, value]
    return link(**{facet: values or None})


@bp.app_template_global()
def page_link(**changes: object) -> str:
    return link(**changes)


#: The facets of the search page, in the order they are offered.
FACET_ORDER = ("municipality", "year", "changed", "trend", "achievement", "field", "policy", "department", "section",
               "dataset")
#: A facet with at most this many values offers every one, those without a match in the results greyed with 0.
ALL_VALUES_UP_TO = 30


def facet_lists(page, values: dict[str, list[str]]) -> list[tuple[str, list[tuple[str, int, bool]]]]:
    """Each facet the page offers: (name, [(value, count, chosen)]): the values the results have, and, for a
    facet of few values, those they lack too (count 0), so that "none" shows as 0 rather than as nothing."""
    out = []
    for name in FACET_ORDER:
        counts = page.facets.get(name, {})
        chosen = set(request.args.getlist(name))
        every = values.get(name, [])
        if name in ("dataset", "municipality") and len(every) < 2:
            continue
        shown = dict(counts)
        if len(every) <= ALL_VALUES_UP_TO:
            order = {v: i for i, v in enumerate(every)}
            shown = {v: counts.get(v, 0) for v in every}
            if name != "year":  # by count, then the index's order (achievement categories in theirs)
                shown = dict(sorted(shown.items(), key=lambda kv: (-kv[1], order.get(kv[0], 0))))
        for v in chosen - set(shown):
            shown[v] = 0
        if any(shown.values()) or chosen:
            out.append((name, [(v, n, v in chosen) for v, n in shown.items()]))
    return out


@bp.get("/")
def search_page():
    q = (request.args.get("q") or "").strip()
    context = {"q": q, "error": None, "facet_titles": FACET_TITLES, "value_label": value_label,
               "field_labels": FIELD_LABELS,
               "highlight_labels": HIGHLIGHT_LABELS, "sort_labels": SORT_LABELS, "text_fields": TEXT_FIELDS}
    browsing = not q and any(request.args.getlist(name) for name in (*FACET_TITLES, "browse"))
    if not q and not browsing:
        return render_template("search.html", **context, page=None, info=engine().info)
    try:
        req = search_request(request.args, current_app.config["PAGE_SIZE"], default_group="measure")
    except ApiError as err:
        context["error"] = err
        return render_template("search.html", **context, page=None, info=engine().info), err.status
    page = presenter().page(engine().search(req, engine().budget(request.remote_addr or "")))
    active = list(dict.fromkeys((name, v) for name in FACET_TITLES for v in request.args.getlist(name)))
    words = q.split()
    drop_word_links = [(w, link(q=" ".join(x for x in words if x != w))) for w in words] if len(words) > 1 else []
    export = urlencode(page_args(request.args, group=req.group), doseq=True)  # the file follows the page's choice
    return render_template("search.html", **context, req=req, page=page, active=active, info=engine().info,
                           drop_word_links=drop_word_links, export=export, browsing=browsing,
                           facets=facet_lists(page, engine().facet_values()))


@bp.get("/measures/<path:measure_id>")
def measure_page(measure_id: str):
    measure = engine().measure(measure_id)
    if measure is None:
        raise ApiError(404, "not_found", f"no measure {measure_id!r}", ja=f"計画にない施策です: {measure_id}")
    previous = None
    years = []
    for rec in measure.years:
        cells = {}
        for f in ("status", "evaluation", "achievement", "plan"):
            html, state = diff_html(getattr(previous, f) if previous else None, getattr(rec, f))
            cells[f] = (Markup(html), state)
        years.append((rec, cells, compare(rec.previous_achievement, rec.achievement).reason))
        previous = rec
    plan_url = presenter().links.plan_url(measure.dataset, measure.plan_page)
    return render_template("measure.html", measure=measure, plan_url=plan_url, years=years, field_labels=FIELD_LABELS,
                           measure_url=measure_url, similar_words=measure.similar_words)


@bp.get("/stats")
def stats_page():
    stats = engine().stats()
    by_year = {year_label(int(y)): c for y, c in stats.by_year.items()}
    return render_template(
        "stats.html", stats=stats, categories=CATEGORIES, category_class=charts.CATEGORY_CLASS, browse_link=browse_link,
        year_chart=charts.stacked(by_year, label_width=120),
        policy_chart=charts.stacked(stats.by_policy_achievement, width=760, label_width=340),
        department_chart=charts.stacked(stats.by_department_achievement, label_width=160),
        by_year=by_year,
    )


def browse_link(facet: str, value: str, achievement: str | None = None) -> str:
    """The search page listing exactly the records an overview count counts (no query, by year)."""
    args = {facet: value, "group": "record", **({"achievement": achievement} if achievement else {})}
    return "/?" + urlencode(args)


@bp.get("/datasets")
def datasets_page():
    info = engine().info
    return render_template("datasets.html", datasets=sorted(info.datasets, key=lambda d: d.slug), info=info)


@bp.get("/synonyms")
def synonyms_page():
    """The dictionary for staff: the synonyms and the concepts, searchable, each word a link to its search."""
    q = (request.args.get("q") or "").strip()[:100]
    groups = engine().synonyms.table().groups
    concepts = engine().concepts.table().concepts
    if q:
        wanted = fold(q)
        groups = tuple(g for g in groups if any(wanted in fold(w) for w in (*g.sources, *g.targets)))
        concepts = tuple(c for c in concepts if any(wanted in fold(w) for w in (c.domain, *c.all_terms, *c.phrasings)))
    return render_template("synonyms.html", groups=groups, concepts=concepts, q=q)


@bp.get(plan_pdf_url("<slug>"))
def plan_pdf(slug: str):
    data_dir = Path(current_app.config["DATA_DIR"]).resolve()
    ds = load_config(data_dir).datasets.get(slug)
    if ds is None or not ds.plan_pdf:
        abort(404)
    path = (data_dir / ds.plan_pdf).resolve()
    if data_dir not in path.parents or not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf")
