"""Dates callers send (issue 22, defect 3): ``as_of`` outside pandas' Timestamp range
used to answer with plausible data (``1677-09-21`` → 4 staff on track), and an integer
was read as a Unix timestamp.  Now: ``YYYY-MM-DD`` from 1900 to 2199, else 422 naming
the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.schemas import FIRST_DATE, LAST_DATE, parse_date

BAD = ["1677-09-21", "1000-01-01", "1763683200", "2023-02-29", "2200-01-01", "21-11-2026", "x"]


def _routes(world) -> list[str]:  # noqa: ANN001
    return [
        f"/v1/learners/{world.staff_a}/profile",
        f"/v1/learners/{world.staff_a}/learning-map",
        f"/v1/organizations/{world.org_a}/staff",
        f"/v1/organizations/{world.org_a}/risk",
        "/v1/reports/programme",
    ]


@pytest.mark.parametrize("bad", BAD)
def test_bad_as_of_is_422_naming_the_field(client: TestClient, keys, world, bad: str) -> None:  # noqa: ANN001
    for path in _routes(world):
        r = client.get(path, params={"as_of": bad}, headers={"X-API-Key": keys["admin"]})
        assert r.status_code == 422, (path, bad, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", "as_of"], r.text


@pytest.mark.parametrize("bad", [1763683200, "1677-09-21", "2023-02-29", 20261123])
def test_bad_as_of_in_risk_batch_is_422(client: TestClient, keys, bad) -> None:  # noqa: ANN001
    r = client.post(
        "/v1/organizations/risk:batch", json={"as_of": bad}, headers={"X-API-Key": keys["admin"]}
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == "as_of"


def test_good_dates_still_answer(client: TestClient, keys, world) -> None:  # noqa: ANN001
    r = client.get(
        f"/v1/organizations/{world.org_a}/staff",
        params={"as_of": "2024-02-29"},
        headers={"X-API-Key": keys["admin"]},
    )
    assert r.status_code == 200 and r.json()["as_of"] == "2024-02-29"


@settings(max_examples=300, deadline=None)
@given(st.dates() | st.integers() | st.text(max_size=12))
def test_parse_date_accepts_exactly_iso_days_in_range(value) -> None:  # noqa: ANN001
    text = value.isoformat() if hasattr(value, "isoformat") else value
    ok = hasattr(value, "isoformat") and FIRST_DATE <= value <= LAST_DATE
    if ok:
        assert parse_date(text) == value
    else:
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_date(text)
