"""Property-based run over the whole OpenAPI schema (schemathesis) with a valid admin
key: no 5xx, and every response conforms to the schema (status codes, content types,
bodies).  Examples are bounded per operation so the run stays within about a minute."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# the operations, read from an app that is built but never started
_SPEC = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
OPERATIONS = [(m.upper(), p) for p, ops in _SPEC["paths"].items() for m in ops]
MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def api_schema(app):  # noqa: ANN001, ANN201
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_openapi_no_5xx_and_conforms(api_schema, keys, world, method: str, path: str) -> None:  # noqa: ANN001
    """Half the cases name a person / organization that exists (random ids are 404s)."""
    operation = api_schema[path][method]
    headers = {"X-API-Key": keys["admin"]}
    real = {"staff_id": world.staff_a, "org_id": world.org_a}

    @given(case=operation.as_strategy(), existing=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case, existing: bool) -> None:  # noqa: ANN001
        if existing and case.path_parameters:
            for name in set(case.path_parameters) & set(real):
                case.path_parameters[name] = real[name]
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
