"""One person's profile and learning map read by targeted queries (features.person,
engine.reads) equal the answers computed on the whole store's snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.reads import fingerprint
from engine.store import Store
from features.cli import profile_record
from features.graph import learning_map, to_json
from features.mastery import context_effects, skill_priors
from features.mastery import module_score_sums as sums_in_memory
from features.person import population_context
from features.snapshot import snapshot

AS_OF = "2026-09-30"


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_dir: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", url)
    monkeypatch.setenv("LEARNMAP_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["ingest", str(small_dir)]) == 0
    return Store(url)


def _people(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Staff of every kind: assessed, never assessed, left, hired late in the data."""
    staff = tables["staff"]
    scored = set(tables["assessments"]["staff_id"])
    known = staff[staff["hired_on"] <= AS_OF]
    picks = [
        known[known["staff_id"].isin(scored)]["staff_id"].iloc[:3].tolist(),
        known[~known["staff_id"].isin(scored)]["staff_id"].iloc[:1].tolist(),
        known[known["left_on"] <= AS_OF]["staff_id"].iloc[:1].tolist(),
        known.sort_values("hired_on")["staff_id"].iloc[-1:].tolist(),
    ]
    return [s for group in picks for s in group]


def _cli_json(args: list[str], capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_profile_and_map_equal_the_whole_population_path(
    loaded: Store, small_tables: dict[str, pd.DataFrame], tmp_path: Path, capsys
) -> None:  # noqa: ANN001
    snap = snapshot(loaded.load(), AS_OF)
    people = _people(small_tables)
    assert len(people) == 6
    for sid in people:
        for policy in ("national-2025", "credits"):
            got = _cli_json(
                ["profile", sid, "--as-of", AS_OF, "--policy", policy, "--json"], capsys
            )
            assert got == json.loads(json.dumps(profile_record(snap, sid, policy))), sid
        out = tmp_path / f"{sid}.json"
        assert main(["learning-map", sid, "--as-of", AS_OF, "--out", str(out)]) == 0
        want = json.loads(json.dumps(to_json(learning_map(snap, sid)), default=str))
        assert json.loads(out.read_text(encoding="utf-8")) == want, sid
    # the person path really used the population's priors, not the person's own scores
    assert any(
        g["gap"] > 0 for sid in people for g in profile_record(snap, sid, "credits")["skill_gaps"]
    )


def test_unknown_and_not_yet_hired_staff(loaded: Store, small_tables, capsys) -> None:  # noqa: ANN001
    assert main(["profile", "NOPE", "--as-of", AS_OF]) == 2
    late = small_tables["staff"].sort_values("hired_on")["staff_id"].iloc[-1]
    hired = small_tables["staff"].set_index("staff_id").loc[late, "hired_on"]
    before = (hired - pd.Timedelta(days=1)).date().isoformat()
    assert main(["profile", late, "--as-of", before]) == 2
    assert main(["learning-map", late, "--as-of", before, "--out", "x.json"]) == 2
    assert "没有人员编号为" in capsys.readouterr().err  # Chinese by default


def test_population_statistics_follow_the_data_version(
    loaded: Store, small_dir: Path, tmp_path: Path
) -> None:
    snap = snapshot(loaded.load(), AS_OF)
    first = population_context(loaded, snap.as_of.date(), snap)
    cols = ["module_id", "n", "total"]
    pd.testing.assert_frame_equal(first[cols], sums_in_memory(snap), check_dtype=False)
    assert first[["b_rel", "b_pre"]].iloc[0].tolist() == list(context_effects(snap))
    files = len(list((tmp_path / "cache").glob("*.npz")))
    assert files == 2  # the score facts of this version, the statistics of this date
    version = fingerprint(loaded)
    again = population_context(loaded, snap.as_of.date(), snap)  # from the cache
    pd.testing.assert_frame_equal(again, first, check_dtype=False, check_exact=True)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == files
    # new scores arrive: the version changes and the priors with it
    extra = tmp_path / "more"
    extra.mkdir()
    a = pd.read_csv(small_dir / "assessments.csv").head(40)
    a["assessment_id"] = a["assessment_id"] + "X"
    a["score"] = 100.0
    a["taken_on"] = "2026-01-05"
    a.to_csv(extra / "assessments.csv", index=False)
    assert main(["ingest", str(extra / "assessments.csv")]) == 0
    assert fingerprint(loaded) != version
    snap2 = snapshot(loaded.load(), AS_OF)
    second = population_context(loaded, snap2.as_of.date(), snap2)
    pd.testing.assert_frame_equal(second[cols], sums_in_memory(snap2), check_dtype=False)
    assert second[["b_rel", "b_pre"]].iloc[0].tolist() == list(context_effects(snap2))
    assert (skill_priors(snap2, second[cols]) >= skill_priors(snap, first[cols])).all()
    assert second["n"].sum() == first["n"].sum() + 40
    # the old version's files are gone: the cache does not grow with every ingest
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_any_staff_id_from_the_command_line_is_looked_up_safely(tmp_path: Path) -> None:
    """Ids come from a user's command line: whatever the text, the targeted read finds
    exactly the stored person or nobody (bound parameters, no SQL built from input)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from engine.reads import person_tables
    from tests.features.world import world

    ids = ["F", "F'; DROP TABLE staff; --", "李 四", "%", "_"]
    store = Store(f"sqlite:///{tmp_path / 'ids.db'}")
    store.write(world([(s, "O2", "finance", "2020-01-01", "") for s in ids], []))

    @settings(max_examples=60, deadline=None)
    @given(st.one_of(st.sampled_from(ids), st.text(max_size=12)))
    def check(sid: str) -> None:
        got = person_tables(store, sid)
        if sid in ids:
            assert got is not None and got["staff"]["staff_id"].tolist() == [sid]
            assert len(got["organizations"]) == 1 and len(got["modules"]) > 0
        else:
            assert got is None

    check()
    assert store.counts()["staff"] == len(ids)
