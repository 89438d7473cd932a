"""Schemathesis against the service's own /api/openapi.json: no 5xx and no response outside the schema."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from search_app.service import ensure_index
from search_app.web import create_app

ROOT = Path(__file__).resolve().parent.parent


def _app():
    base = Path(tempfile.mkdtemp(prefix="plansearch-fuzz-"))
    data, index = base / "data", base / "index"
    data.mkdir()
    shutil.copy(ROOT / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv", data)
    shutil.copy(ROOT / "data" / "synonyms.txt", data)
    ensure_index(data, index)
    return create_app({"DATA_DIR": str(data), "INDEX_DIR": str(index), "TESTING": True})


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):
    # Every check but one: a query such as "-x" or "OR" is schema-valid text with nothing to look for, which
    # the API answers with 400 bad_query by design (JSON Schema cannot say "at least one word not excluded").
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
