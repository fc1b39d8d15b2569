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


def test_every_experiments_recommender_reason_is_in_the_catalogue() -> None:
    from importlib import import_module

    from engine.labels import text_keys
    from models.registry import available, spec

    names = [n for n in available("recommend") if spec(n).target.startswith("experiments.")]
    assert {"implicit-als", "implicit-bpr", "implicit-cosine", "oracle"} <= set(names)
    for name in names:
        module, _, attr = spec(name).target.partition(":")
        key = f"reason_{getattr(import_module(module), attr).reason}"
        assert all(key in text_keys(lang) for lang in ("zh-CN", "en")), (name, key)


@pytest.mark.parametrize("name", ["implicit-cosine", "implicit-als", "implicit-bpr"])
def test_peer_reasons_are_chinese_by_default(
    name: str,
    small_tables: dict[str, pd.DataFrame],
    cold_people: list[str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.models.test_reason_words import CJK, LATIN, _names, _without

    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    params = {"iterations": 2, "factors": 4} if name != "implicit-cosine" else {}
    model = create(name, **params).fit(small_tables, AS_OF)
    p = small_tables["participations"]
    warm = p.loc[p["status"] == "completed", "staff_id"].astype(str).unique()[:20].tolist()
    reasons = model.recommend([*warm, *cold_people], k=5)["reason"]
    assert reasons.str.contains(CJK).all()
    rest = reasons.map(lambda r: _without(r, _names(small_tables)))
    assert not rest.str.contains(LATIN).any(), reasons[rest.str.contains(LATIN)].unique()
