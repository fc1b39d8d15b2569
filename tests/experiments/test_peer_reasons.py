"""The implicit peers' reasons claim nothing about completions a person does not have."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("implicit")

import experiments  # noqa: E402, F401 - registers the peers
from models.registry import create  # noqa: E402
from tests.models.test_reasons_true import AS_OF, CLAIMS, cold_people  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _english_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the reasons' evidence back from the English texts, which keep
    the data's codes (models.recommend.reason_text); Chinese is tested on its own."""
    monkeypatch.setenv("LEARNMAP_LANG", "en")


@pytest.mark.parametrize("name", ["implicit-cosine", "implicit-als", "implicit-bpr"])
def test_peer_reasons_are_true_for_people_without_completions(
    name: str,
    small_tables: dict[str, pd.DataFrame],
    cold_people: list[str],  # noqa: F811
) -> None:
    params = {"iterations": 2, "factors": 4} if name != "implicit-cosine" else {}
    model = create(name, **params).fit(small_tables, AS_OF)
    recs = model.recommend(cold_people, k=5)
    assert set(recs["staff_id"]) == set(cold_people)
    false = recs[recs["reason"].str.contains(CLAIMS)]
    assert false.empty, false[["staff_id", "module_id", "reason"]].head().to_string()
    if name == "implicit-cosine":
        assert recs["reason"].str.startswith("you have no completions yet; popular").all()
