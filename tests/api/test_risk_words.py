"""The API's risk answers read as the CLI's: drivers and organization reasons in the
label catalogue's words, Chinese by default, English with LEARNMAP_LANG=en (the words
are those of the moment a view of the store is built, so each language asks for its
own date here: a date's view is built once and kept); and no year that has not
begun is reported."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World

LATIN = re.compile(r"[A-Za-z]")


@pytest.mark.parametrize(("lang", "day"), [(None, "2026-10-02"), ("en", "2026-10-03")])
def test_org_risk_drivers_and_reason_in_the_language(
    client: TestClient,
    keys: dict,
    world: World,
    lang: str | None,
    day: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if lang is None:
        monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    else:
        monkeypatch.setenv("LEARNMAP_LANG", lang)
    h = {"X-API-Key": keys["admin"]}
    r = client.get(f"/v1/organizations/{world.org_a}/risk?as_of={day}&top=20", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    drivers = [s["drivers"] for s in body["staff_at_risk"]]
    reason = body["organization"]["reason"]
    assert drivers and reason
    if lang is None:  # Chinese: no English word or code left, the direction in words
        assert not any(LATIN.search(t) for t in [*drivers, reason]), [*drivers, reason]
        assert "名有要求人员中预计" in reason
        assert all(re.match(r"(尚需|尚缺|已达标|无培训要求)", d) for d in drivers), drivers
    else:
        assert "staff expected to miss" in reason
        assert all(
            re.match(r"\d+ of \d+ \w+ (still due|missing)|requirement met|no requirement", d)
            for d in drivers
        ), drivers


def test_no_year_that_has_not_begun_in_the_api(
    client: TestClient, keys: dict, world: World
) -> None:
    """Issue 23: the programme report and a person's profile report 2025 and 2026 on a
    2026 date, never 2027 (the plan's last year, not begun)."""
    h = {"X-API-Key": keys["admin"]}
    rep = client.get("/v1/reports/programme?as_of=2026-10-02", headers=h).json()
    years = {row["year"] for row in rep["volume"]}
    assert years == {2025, 2026}
    assert [r["year_to_date"] for r in rep["volume"] if r["year"] == 2026] == [True, True]
    prof = client.get(f"/v1/learners/{world.staff_a}/profile?as_of=2026-10-02", headers=h).json()
    assert "hours_2026" in prof and "hours_2027" not in prof
