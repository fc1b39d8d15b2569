"""Risk backtests for one deadline: the cadre rules hold leaders to a 5-year cycle whose
deadline lies beyond the data, the rest to the year's hours."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from engine.demo import DemoSpec, generate
from engine.policy import load_policy
from experiments.config import ConfigError, parse_config
from experiments.splits import risk_backtest


@pytest.fixture(scope="module")
def cadre() -> dict[str, pd.DataFrame]:
    return generate(DemoSpec(scenario="cadre", orgs=12, seed=3, end=date(2026, 12, 31)))


def test_only_people_with_that_deadline_are_scored(cadre) -> None:  # noqa: ANN001
    policy = load_policy("cadre-hours")
    # without a deadline the 5-year cycle's leaders make labels unknowable
    with pytest.raises(ValueError, match="before the deadline 2027-12-31"):
        risk_backtest(cadre, "2026-06-30", policy)
    fold = risk_backtest(cadre, "2026-06-30", policy, deadline="2026-12-31")
    assert len(fold.labels) > 50
    assert (pd.to_datetime(fold.status["deadline"]) == pd.Timestamp("2026-12-31")).all()
    assert set(fold.labels["label"]) == {0, 1}
    with pytest.raises(
        ValueError, match=r"deadline 2026-09-30 \(their deadlines: 2026-12-31, 2027-12-31\)"
    ):
        risk_backtest(cadre, "2026-06-30", policy, deadline="2026-09-30")


def test_the_config_key_is_checked() -> None:
    raw = {
        "task": "risk",
        "data": {"demo": {"scenario": "cadre", "orgs": 4}},
        "split": {"as_of": date(2026, 6, 30), "policy": "cadre-hours", "deadline": "end of year"},
        "models": [{"name": "rule"}],
    }
    with pytest.raises(ConfigError, match=r"split.deadline.*'end of year'.*must be a date"):
        parse_config(raw, "c.toml")
    raw["split"]["deadline"] = date(2026, 12, 31)
    assert parse_config(raw, "c.toml").split["deadline"] == date(2026, 12, 31)
