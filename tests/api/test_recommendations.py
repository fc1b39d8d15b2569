"""Recommendations served from the precomputed lists equal the recommender's own answer
(with and without mode / tier filters, and beyond the cached depth); bad parameters are
422s naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from models.recommend.filters import Filters
from tests.api.conftest import World


def _live(app, staff_id: str, k: int, filters: Filters | None = None) -> list[tuple]:  # noqa: ANN001
    model = app.state.service.recs.model
    frame = model.recommend([staff_id], k=k, filters=filters)
    return [(r.module_id, round(r.score, 9), r.reason) for r in frame.itertuples()]


@pytest.mark.parametrize(
    ("query", "k", "filters"),
    [
        ("k=10", 10, None),
        ("k=3&mode=online", 3, Filters(modes=("online",))),
        ("k=5&tier=foundation", 5, Filters(tiers=("foundation",))),
        ("k=60", 60, None),  # deeper than the cache: answered live
        ("k=10&offer_prerequisites=true", 10, Filters(offer_prerequisites=True)),
        ("k=10&offer_prerequisites=false", 10, None),
    ],
)
def test_served_answer_equals_the_recommender(
    app, client: TestClient, keys: dict, world: World, query, k, filters
) -> None:  # noqa: ANN001
    h = {"X-API-Key": keys["admin"]}
    for sid in (world.staff_a, world.staff_a2, world.staff_b):
        body = client.get(f"/v1/learners/{sid}/recommendations?{query}", headers=h).json()
        got = [(d["module_id"], round(d["score"], 9), d["reason"]) for d in body["data"]]
        assert got == _live(app, sid, k, filters)
        assert [d["rank"] for d in body["data"]] == list(range(1, len(got) + 1))
        assert body["count"] == len(got) and body["staff_id"] == sid


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("k=0", "k"),
        ("k=101", "k"),
        ("k=x", "k"),
        ("mode=video", "mode"),
        ("tier=x", "tier"),
        ("offer_prerequisites=maybe", "offer_prerequisites"),
        ("from=2026-13-01&to=2027-01-01", "from"),
        ("from=2026-01-01&to=0545-02-04", "to"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, keys: dict, world: World, query, field
) -> None:  # noqa: ANN001
    r = client.get(
        f"/v1/learners/{world.staff_a}/recommendations?{query}",
        headers={"X-API-Key": keys["admin"]},
    )
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["query", field]]


def test_offering_prerequisites_puts_a_takeable_prerequisite_in_the_list(
    app, client: TestClient, keys: dict, world: World
) -> None:  # noqa: ANN001
    """Someone in the demo has a module held back by a missing prerequisite: asked to,
    the service offers that prerequisite instead, with the reason saying so."""
    h = {"X-API-Key": keys["admin"]}
    staff = app.state.service.recs.row_of
    offered = 0
    for sid in list(staff)[:200]:
        q = f"/v1/learners/{sid}/recommendations?k=10&offer_prerequisites=true"
        reasons = [d["reason"] for d in client.get(q, headers=h).json()["data"]]
        offered += any("的先修课程" in r for r in reasons)  # 是《…》的先修课程
    assert offered > 0


def test_a_window_gives_only_modules_offered_in_it(
    app, client: TestClient, keys: dict, world: World
) -> None:  # noqa: ANN001
    """``?from=&to=``: every module listed is offered in the window (a session opening
    then, or self-paced), and the answer is the recommender's own with the rest of the
    catalogue excluded."""
    from features.offerings import offered_module_ids

    service = app.state.service
    cat = service.catalogue
    starts = cat["sessions"]["starts_on"].dropna().sort_values()
    start = starts.iloc[len(starts) // 2].date()  # a window inside the schedule
    end = start + __import__("datetime").timedelta(days=60)
    offered = offered_module_ids(cat, start, end)
    assert 0 < len(offered) < len(cat["modules"])  # the window really narrows the list
    h = {"X-API-Key": keys["admin"]}
    rest = frozenset(set(cat["modules"]["module_id"].astype(str)) - offered)
    for sid in (world.staff_a, world.staff_b):
        q = f"/v1/learners/{sid}/recommendations?k=10&from={start}&to={end}"
        body = client.get(q, headers=h).json()
        got = [(d["module_id"], round(d["score"], 9), d["reason"]) for d in body["data"]]
        assert got and {m for m, _, _ in got} <= offered
        assert got == _live(app, sid, 10, Filters(exclude_modules=rest))


def test_a_window_with_an_open_end_or_no_days_is_answered(
    app, client: TestClient, keys: dict, world: World
) -> None:  # noqa: ANN001
    """``from`` alone runs to no end, ``to`` alone starts on the serving date, and a
    window whose end is not after its start offers nothing: an empty list, not an error."""
    h = {"X-API-Key": keys["admin"]}
    base = f"/v1/learners/{world.staff_a}/recommendations?k=5"
    empty = client.get(f"{base}&from=2026-06-01&to=2026-06-01", headers=h)
    assert empty.status_code == 200 and empty.json()["data"] == []
    for q in ("&from=2026-01-01", "&to=2199-12-31"):
        r = client.get(base + q, headers=h)
        assert r.status_code == 200 and r.json()["count"] >= 1, (q, r.text)
