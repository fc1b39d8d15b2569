"""Staff-risk drivers come from the fitted model: exact contributions, a direction and a
size each, and removing the top driver moves the forecast the way it said."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from engine.policy import load_policy
from features.snapshot import snapshot
from models.risk.drivers import drivers
from models.risk.estimator import StaffRisk
from models.risk.explain import GROUPS, group_matrix, path_contributions
from tests.models.test_risk import AS_OF, synthetic_world

DRIVER = re.compile(r"; ([^;]+): (raises|lowers) risk (?:([+−])(\d+) pts?|by less than 1 pt)")


@pytest.fixture(scope="module")
def scored() -> tuple[StaffRisk, object, pd.DataFrame]:
    """The drivers in English (``DRIVER`` reads them back); Chinese: test_chinese_…"""
    tables, _ = synthetic_world(n=700, seed=11)
    model = StaffRisk(max_iter=120).fit(tables, AS_OF, load_policy("national-2025"))
    snap = snapshot(tables, AS_OF)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNMAP_LANG", "en")
        return model, snap, model.predict_frame(snap)


def test_contributions_add_up_to_the_models_prediction(scored) -> None:  # noqa: ANN001
    model, _, pred = scored
    X = model._X(pred)
    bias, contrib = path_contributions(model.model_, X)
    np.testing.assert_allclose(
        bias + contrib.sum(axis=1), np.log(model.model_.predict(X)), atol=1e-9
    )
    assert (np.abs(contrib) > 1e-9).any(axis=0).sum() >= 3  # several features carry weight
    M = group_matrix(model.features_)
    assert (M.sum(axis=1) == 1).all()  # every feature in exactly one driver group
    _, grouped = path_contributions(model.model_, X, M)
    np.testing.assert_allclose(grouped, contrib @ M, atol=1e-12)


def test_every_driver_has_a_direction_and_a_size_from_the_model(scored) -> None:  # noqa: ANN001
    _, _, pred = scored
    fc = pred[pred["top_driver"] != ""]
    assert len(fc) > 200
    for text, sign, eff in zip(fc["drivers"], fc["top_sign"], fc["top_effect"], strict=True):
        found = DRIVER.findall(text)
        assert 1 <= len(found) <= 3, text
        _, word, plus, pts = found[0]  # the first driver is the top one
        assert word == ("raises" if sign > 0 else "lowers"), text
        if pts:
            assert int(pts) == round(abs(eff) * 100) and plus == ("+" if sign > 0 else "−")
    # no forecast, no model drivers: where they stand only
    assert not pred.loc[pred["top_driver"] == "", "drivers"].str.contains("risk").any()
    # a person at low risk hears what keeps it low (not a bare fact that reads like a risk)
    low = fc[fc["p_miss"] < 0.1]
    if len(low):
        assert low["drivers"].str.contains("lowers risk").any()


def test_removing_the_top_driver_moves_the_forecast_the_way_it_said(scored) -> None:  # noqa: ANN001
    model, snap, _ = scored
    check = model.driver_check(snap)
    assert len(check) > 200
    share = check["moved_as_said"].mean()
    assert share >= 0.9, share


ZH_DRIVER = re.compile(r"；([^；]+)（风险(升高|降低)(?: (\d+) 个百分点|不到 1 个百分点)）")


def test_chinese_drivers_keep_the_direction_and_size(scored, monkeypatch) -> None:  # noqa: ANN001
    """By default the drivers are Chinese: the verb says the direction the model gives
    (升高 raises, 降低 lowers), the size its points; no English word is left."""
    model, snap, en = scored
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    pred = model.predict_frame(snap)
    assert (pred["top_driver"] == en["top_driver"]).all()  # the same model, other words
    fc = pred[pred["top_driver"] != ""]
    assert len(fc) > 200
    for text, sign, eff in zip(fc["drivers"], fc["top_sign"], fc["top_effect"], strict=True):
        found = ZH_DRIVER.findall(text)
        assert 1 <= len(found) <= 3, text
        _, verb, pts = found[0]
        assert verb == ("升高" if sign > 0 else "降低"), text
        if pts:
            assert int(pts) == round(abs(eff) * 100)
    assert not pred["drivers"].str.contains("[A-Za-z]").any()
    assert not pred.loc[pred["top_driver"] == "", "drivers"].str.contains("风险").any()


def test_driver_words_order_sign_and_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    base = dict(required=4.0, done=1.0, remaining=3.0, days_left=400.0, days_since_last=30.0,
                never_completed=False, tenure_days=900.0, no_shows_365=0, dropped_365=2,
                pending=0, org_rate=np.nan, role_rate=1.5, rate_all=0.5, rate_365=0.4,
                rate_180=0.2, rate_90=0.0, org_size=3, n_roles=1, ministry_managed=0.0,
                mean_score=np.nan, horizon_days=400.0, remaining_share=0.75)  # fmt: skip
    rows = [base, {**base, "days_left": -5.0}, {**base, "remaining": 0.0, "done": 4.0}]
    g = list(GROUPS)
    raw = np.zeros((3, len(g)))
    raw[0, g.index("dropped")] = -0.002  # smallest of the three: last
    raw[0, g.index("pace_recent")] = 0.20
    raw[0, g.index("colleagues")] = -0.05
    cal = raw * 1.5
    got = drivers(pd.DataFrame(rows), "trainings", cal, raw)
    assert got[0] == (
        "3 of 4 trainings still due, 13 months left; "
        "own pace 0.4 trainings a year over the last 12 months: raises risk +30 pts; "
        "no colleagues on record: lowers risk −8 pts; "
        "2 dropped this year: lowers risk by less than 1 pt"
    )
    assert got[1] == "3 of 4 trainings missing, deadline passed"
    assert got[2] == "requirement met (4 of 4 trainings)"
    assert drivers(pd.DataFrame(rows[:0]), "hours") == []
    monkeypatch.delenv("LEARNMAP_LANG")
    assert drivers(pd.DataFrame(rows), "trainings", cal, raw)[0] == (
        "尚需 3/4 次，剩余 13 个月；"
        "本人近12个月每年完成 0.4 次（风险升高 30 个百分点）；"
        "无同事记录（风险降低 8 个百分点）；"
        "本年中途退出 2 次（风险降低不到 1 个百分点）"
    )
