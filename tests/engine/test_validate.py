"""Every table's validation rules: each broken rule is reported with file, spreadsheet
row, column, value and rule — and a rejected batch writes nothing."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.errors import ValidationError
from engine.ingest import ingest
from engine.store import Store
from tests.helpers import tiny, write_rows, write_tiny

# (table, data row index, column, bad value, words the rule must contain)
CASES = [
    ("organizations", 0, "org_id", "", "must not be empty"),
    ("organizations", 1, "org_id", "O1", "duplicate org_id: also on row 2"),
    ("organizations", 0, "name", "", "must not be empty"),
    ("organizations", 0, "org_type", "club", "must be one of social_group"),
    ("organizations", 0, "region", "", "must not be empty"),
    ("organizations", 0, "ministry_managed", "maybe", "must be true or false"),
    ("organizations", 0, "rating", "6", "must be ≥ 0 and ≤ 5"),
    ("organizations", 0, "rating", "A", "must be a number"),
    ("staff", 0, "org_id", "O9", "no such org_id in organizations"),
    ("staff", 0, "role", "boss", "must be one or more of head"),
    ("staff", 0, "role", "head|boss", "must be one or more of head"),
    ("staff", 0, "hired_on", "2020-13-01", "must be a date"),
    ("staff", 1, "left_on", "2024-01-01", "must not be before hired_on"),
    ("staff", 1, "staff_id", "S1", "duplicate staff_id"),
    ("skills", 1, "parent_id", "K9", "no such skill_id in skills"),
    ("skills", 0, "name", "", "must not be empty"),
    ("modules", 0, "mode", "tv", "must be one of offline, online, live, blended"),
    ("modules", 0, "hours", "0", "must be > 0"),
    ("modules", 0, "hours", "-2", "must be > 0"),
    ("modules", 0, "tier", "core", "must be one of foundation, elective"),
    ("modules", 1, "prerequisites", "M1|M7", "names unknown modules"),
    ("modules", 1, "prerequisites", "M2", "cannot be its own prerequisite"),
    ("module_skills", 0, "weight", "0", "must be > 0 and ≤ 1"),
    ("module_skills", 0, "weight", "1.5", "must be > 0 and ≤ 1"),
    ("module_skills", 0, "skill_id", "K7", "no such skill_id in skills"),
    ("module_skills", 1, "module_id", "M9", "no such module_id in modules"),
    ("role_requirements", 0, "role", "cfo", "must be one of head"),
    ("role_requirements", 0, "level", "0", "must be > 0 and ≤ 1"),
    ("role_requirements", 0, "skill_id", "K8", "no such skill_id"),
    ("sessions", 0, "ends_on", "2025-08-01", "must not be before starts_on"),
    ("sessions", 0, "capacity", "0", "must be ≥ 1"),
    ("sessions", 0, "capacity", "2.5", "must be a whole number"),
    ("sessions", 0, "module_id", "M5", "no such module_id"),
    ("participations", 0, "staff_id", "S9", "no such staff_id in staff"),
    ("participations", 0, "status", "passed", "must be one of enrolled, completed"),
    ("participations", 0, "completed_on", "", "must be given when status is completed"),
    ("participations", 1, "completed_on", "2025-09-03", "must be empty unless status is completed"),
    ("participations", 0, "completed_on", "2025-01-01", "must not be before enrolled_on"),
    ("participations", 0, "hours", "-1", "must be ≥ 0"),
    ("participations", 1, "session_id", "E9", "no such session_id in sessions"),
    ("participations", 0, "session_id", "E1", "session belongs to another module"),
    ("participations", 0, "enrolled_on", "yesterday", "must be a date"),
    ("assessments", 0, "score", "101", "must be ≥ 0 and ≤ 100"),
    ("assessments", 0, "taken_on", "", "must not be empty"),
    ("assessments", 1, "module_id", "M0", "no such module_id"),
    ("outcomes", 0, "kind", "mood", "must be one of satisfaction, pre, post, followup"),
    ("outcomes", 0, "value", "-3", "must be ≥ 0 and ≤ 100"),
    ("outcomes", 1, "staff_id", "", "must not be empty"),
]


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "rule"),
    CASES,
    ids=[f"{c[0]}.{c[2]}={c[3]!r}" for c in CASES],
)
def test_each_rule_is_reported_and_nothing_written(
    tmp_path: Path, table: str, row: int, column: str, value: str, rule: str
) -> None:
    data = tiny()
    data[table][row][column] = value
    folder = write_tiny(tmp_path / "in", data)
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(ValidationError) as info:
        ingest(folder, store)
    problems = info.value.problems
    hit = [
        p
        for p in problems
        if p.file == f"{table}.csv" and p.row == row + 2 and column in p.column and rule in p.rule
    ]
    assert hit, f"no problem for {table}.csv row {row + 2} {column}: {problems}"
    # the offending value is quoted (for a list, the offending item of it)
    assert (hit[0].value != "" and hit[0].value in value) if value else hit[0].value == ""
    assert sum(store.counts().values()) == 0  # the whole batch was rejected


def test_every_problem_in_a_batch_is_reported(tmp_path: Path) -> None:
    data = tiny()
    data["organizations"][0]["org_type"] = "club"
    data["staff"][1]["hired_on"] = "soon"
    data["assessments"][0]["score"] = "200"
    data["outcomes"][1]["kind"] = "?"
    with pytest.raises(ValidationError) as info:
        ingest(write_tiny(tmp_path / "in", data), Store(f"sqlite:///{tmp_path / 'x.db'}"))
    where = {(p.file, p.row, p.column) for p in info.value.problems}
    assert where == {
        ("organizations.csv", 2, "org_type"),
        ("staff.csv", 3, "hired_on"),
        ("assessments.csv", 2, "score"),
        ("outcomes.csv", 3, "kind"),
    }
    assert "4 problems" in str(info.value)


def test_missing_required_column_names_accepted_headers(tmp_path: Path) -> None:
    data = tiny()
    for r in data["modules"]:
        del r["tier"]
    with pytest.raises(ValidationError) as info:
        ingest(write_tiny(tmp_path / "in", data), Store(f"sqlite:///{tmp_path / 'x.db'}"))
    (p,) = [p for p in info.value.problems if p.column == "tier"]
    assert p.row == 0 and "required column is missing" in p.rule and "层级" in p.rule


def test_prerequisite_cycle_is_named(tmp_path: Path) -> None:
    data = tiny()
    data["modules"][0]["prerequisites"] = "M2"  # M1 ← M2 ← M1
    with pytest.raises(ValidationError) as info:
        ingest(write_tiny(tmp_path / "in", data), Store(f"sqlite:///{tmp_path / 'x.db'}"))
    (p,) = [p for p in info.value.problems if "cycle" in p.rule]
    assert p.file == "modules.csv" and p.column == "prerequisites"
    assert "M1 → M2 → M1" in p.rule or "M2 → M1 → M2" in p.rule


def test_cycle_through_stored_modules_is_rejected(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(write_tiny(tmp_path / "in"), store)
    # a later file makes M1 depend on M2, which (in the store) depends on M1
    data = tiny()
    (tmp_path / "upd").mkdir()
    from tests.helpers import write_rows

    rows = [dict(data["modules"][0], prerequisites="M2")]
    with pytest.raises(ValidationError) as info:
        ingest(write_rows(tmp_path / "upd" / "modules.csv", rows), store)
    assert any("cycle" in p.rule for p in info.value.problems)


def test_rejected_batch_leaves_existing_store_unchanged(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(write_tiny(tmp_path / "good"), store)
    before = store.load()
    data = tiny()
    data["organizations"][0]["name"] = "改名"  # a valid change …
    data["outcomes"][0]["value"] = "999"  # … in the same batch as an invalid row
    with pytest.raises(ValidationError):
        ingest(write_tiny(tmp_path / "bad", data), store)
    after = store.load()
    for table in before:
        assert before[table].equals(after[table]), table


def test_foreign_keys_may_point_at_stored_rows(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(write_tiny(tmp_path / "good"), store)
    from tests.helpers import write_rows

    new = [
        {"staff_id": "S3", "org_id": "O2", "role": "监事", "hired_on": "2024-05-06", "left_on": ""}
    ]
    ingest(write_rows(tmp_path / "staff.csv", new), store)
    staff = store.load(["staff"])["staff"].set_index("staff_id")
    assert staff.loc["S3", "role"] == "supervisor"


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs past ``seconds``."""

    def expire(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds}s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _modules(n: int, prereqs: Callable[[int], list[int]], prefix: str = "C") -> list[dict]:
    base = tiny()["modules"][0]
    return [
        dict(
            base,
            module_id=f"{prefix}{i}",
            prerequisites="|".join(f"{prefix}{j}" for j in prereqs(i)),
        )
        for i in range(n)
    ]


def _problems(tmp_path: Path, data: dict) -> list:
    with _deadline(30), pytest.raises(ValidationError) as info:
        ingest(write_tiny(tmp_path / "in", data), Store(f"sqlite:///{tmp_path / 'x.db'}"))
    return info.value.problems


def test_mutually_listing_modules_are_one_problem_not_every_cycle(tmp_path: Path) -> None:
    # 13 modules that all list each other hold ~10^9 simple cycles; report the group once
    data = tiny()
    data["modules"] += _modules(13, lambda i: [j for j in range(13) if j != i])
    problems = _problems(tmp_path, data)
    (p,) = [p for p in problems if "cycle" in p.rule]
    assert (p.file, p.row, p.column, p.value) == ("modules.csv", 4, "prerequisites", "C0")
    path = p.rule.split("cycle: ")[1].split(" (")[0].split(" → ")
    assert path[0] == path[-1] == "C0" and len(path) == 3  # a shortest example cycle
    assert "all 13 in this cycle" in p.rule and "… and 3 more" in p.rule
    # the members are named in file order, the first ten of them
    assert "this cycle: C0, C1, C2," in p.rule and "C9 … and 3 more" in p.rule


def test_two_separate_cycles_are_two_problems(tmp_path: Path) -> None:
    data = tiny()
    ring = _modules(4, lambda i: [(i + 1) % 4], "R")  # R0 → R1 → R2 → R3 → R0
    pair = _modules(2, lambda i: [1 - i], "Q")
    data["modules"] += ring + pair
    cycles = sorted((p for p in _problems(tmp_path, data) if "cycle" in p.rule), key=str)
    assert [(p.row, p.value) for p in cycles] == [(4, "R0"), (8, "Q0")]
    assert "R0 → R1 → R2 → R3 → R0" in cycles[0].rule
    assert "Q0 → Q1 → Q0" in cycles[1].rule


def test_self_loops_are_reported_once(tmp_path: Path) -> None:
    data = tiny()
    data["modules"][1]["prerequisites"] = "M1|M2"
    data["skills"][0]["parent_id"] = "K1"  # a skill that is its own parent
    problems = _problems(tmp_path, data)
    modules = [p for p in problems if p.file == "modules.csv"]
    assert [(p.row, p.rule) for p in modules] == [(3, "a module cannot be its own prerequisite")]
    skills = [p for p in problems if p.file == "skills.csv"]
    assert [(p.row, p.value, p.rule) for p in skills] == [
        (2, "K1", "a skill cannot be its own parent")
    ]


def test_skill_parent_cycle_is_one_problem(tmp_path: Path) -> None:
    data = tiny()
    data["skills"] += [
        {"skill_id": f"K{i}", "name": f"能力{i}", "parent_id": f"K{3 + (i - 2) % 12}"}
        for i in range(3, 15)
    ]
    (p,) = [p for p in _problems(tmp_path, data) if "cycle" in p.rule]
    assert p.file == "skills.csv" and p.row == 4 and "all 12 in this cycle" in p.rule


# ---- across tables and against the store ----------------------------------------
def _rejects(folder: Path, store: Store) -> list:
    with pytest.raises(ValidationError) as info:
        ingest(folder, store)
    return info.value.problems


def test_completion_before_hire_names_both_rows(store: Store, tmp_path: Path) -> None:
    data = tiny()
    data["staff"][0]["hired_on"] = "2025-02-05"  # P1 was enrolled before (fine) …
    data["participations"][0]["completed_on"] = "2025-02-04"  # … and completed before: not
    (p,) = _rejects(write_tiny(tmp_path / "in", data), store)
    assert (p.file, p.row, p.column, p.value) == (
        "participations.csv",
        2,
        "completed_on",
        "2025-02-04",
    )
    assert "before staff S1 was hired" in p.rule and "2025-02-05 (staff.csv row 2)" in p.rule
    assert sum(store.counts().values()) == 0
    data["participations"][0]["completed_on"] = "2025-02-05"  # the hiring day itself is fine
    ingest(write_tiny(tmp_path / "ok", data), store)


def test_completion_after_leaving_names_the_stored_person(store: Store, tmp_path: Path) -> None:
    ingest(write_tiny(tmp_path / "a"), store)
    base = dict(tiny()["participations"][0], staff_id="S2", session_id="", status="completed")
    rows = [
        dict(base, participation_id="P3", enrolled_on="2026-06-01", completed_on="2026-07-01"),
        dict(base, participation_id="P4", enrolled_on="2026-06-01", completed_on="2026-06-30"),
    ]
    (tmp_path / "b").mkdir()
    (p,) = _rejects(write_rows(tmp_path / "b" / "participations.csv", rows), store)
    assert (p.row, p.column, p.value) == (2, "completed_on", "2026-07-01")
    assert "after staff S2 left: left_on 2026-06-30 (already in the store)" in p.rule
    assert store.counts()["participations"] == 2


def test_session_bound_completion_outside_its_session(store: Store, tmp_path: Path) -> None:
    data = tiny()
    data["participations"][1].update(status="completed", completed_on="2025-09-05", hours="24")
    (p,) = _rejects(write_tiny(tmp_path / "in", data), store)
    assert (p.file, p.row, p.column) == ("participations.csv", 3, "completed_on")
    assert "outside its session E1, which runs 2025-09-01 to 2025-09-03 (sessions.csv row 2)" in (
        p.rule
    )
    data["participations"][1]["completed_on"] = "2025-09-03"  # the last day is fine
    ingest(write_tiny(tmp_path / "ok", data), store)


def test_resent_dates_must_still_cover_stored_completions(store: Store, tmp_path: Path) -> None:
    data = tiny()
    data["participations"][1].update(status="completed", completed_on="2025-09-03", hours="24")
    ingest(write_tiny(tmp_path / "a", data), store)
    before = store.load()
    (tmp_path / "b").mkdir()
    staff = [dict(data["staff"][0], left_on="2025-01-31"), data["staff"][1]]
    sessions = [dict(data["sessions"][0], starts_on="2025-10-01", ends_on="2025-10-03")]
    write_rows(tmp_path / "b" / "staff.csv", staff)
    write_rows(tmp_path / "b" / "sessions.csv", sessions)
    problems = {(p.file, p.row, p.column): p.rule for p in _rejects(tmp_path / "b", store)}
    assert set(problems) == {("staff.csv", 2, "left_on"), ("sessions.csv", 2, "starts_on")}
    assert (
        "participation P1 (already in the store) was completed on 2025-02-10, after"
        in (problems["staff.csv", 2, "left_on"])
    )
    assert "P2" in problems["sessions.csv", 2, "starts_on"]
    after = store.load()
    assert all(before[t].equals(after[t]) for t in before)


def test_resent_event_moved_to_another_person_is_a_conflict(store: Store, tmp_path: Path) -> None:
    ingest(write_tiny(tmp_path / "a"), store)
    data = tiny()
    data["assessments"][0]["staff_id"] = "S2"  # A1 was S1's
    data["participations"][0]["module_id"] = "M2"  # P1 was about M1
    data["participations"][0]["hours"] = "3"
    data["outcomes"][0]["value"] = "95"  # an ordinary update, alone it would pass
    problems = _rejects(write_tiny(tmp_path / "b", data), store)
    got = {(p.file, p.row, p.column, p.value) for p in problems if "conflicts" in p.rule}
    assert got == {
        ("assessments.csv", 2, "staff_id", "S2"),
        ("participations.csv", 2, "module_id", "M2"),
    }
    (a,) = [p for p in problems if p.file == "assessments.csv"]
    assert "stored assessment A1: staff_id stored S1, new S2" in a.rule
    assert store.load(["assessments"])["assessments"]["staff_id"].tolist() == ["S1", "S2"]
    fix = tiny()
    fix["outcomes"][0]["value"] = "95"
    counts = ingest(write_tiny(tmp_path / "c", fix), store)
    assert (counts["outcomes"].updated, counts["assessments"].updated) == (1, 0)


def test_a_plain_existing_function_gets_the_same_cross_table_checks(tmp_path: Path) -> None:
    """``validate_dataset(existing=function)`` (stored columns from any source, not a
    ``Store``): a completion after the stored person left and a re-sent event moved to
    another person are reported just as on ingest into a store."""
    from engine.readers import read_dataset
    from engine.validate import validate_dataset

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(write_tiny(tmp_path / "a"), store)
    stored = store.load()
    calls: list[str] = []

    def existing(table: str, columns: list[str]):  # noqa: ANN202
        calls.append(table)
        return stored[table][columns]

    base = dict(tiny()["participations"][0], staff_id="S2", session_id="", status="completed")
    (tmp_path / "b").mkdir()
    write_rows(
        tmp_path / "b" / "participations.csv",
        [dict(base, participation_id="P3", enrolled_on="2026-06-01", completed_on="2026-07-01")],
    )
    write_rows(tmp_path / "b" / "assessments.csv", [dict(tiny()["assessments"][0], staff_id="S2")])
    with pytest.raises(ValidationError) as info:
        validate_dataset(read_dataset(tmp_path / "b"), existing=existing)
    rules = {(p.file, p.column): p.rule for p in info.value.problems}
    assert "after staff S2 left: left_on 2026-06-30" in rules["participations.csv", "completed_on"]
    assert "staff_id stored S1, new S2" in rules["assessments.csv", "staff_id"]
    assert {"staff", "assessments"} <= set(calls)


def test_an_empty_id_does_not_hide_duplicates_in_the_same_file(tmp_path: Path) -> None:
    data = tiny()
    first = data["organizations"][0]
    data["organizations"] += [dict(first, org_id=""), dict(first)]  # rows 4 and 5
    problems = {(p.row, p.column, p.rule.split(":")[0]) for p in _problems(tmp_path, data)}
    assert (4, "org_id", "must not be empty") in problems
    assert {(2, "org_id", "duplicate org_id"), (5, "org_id", "duplicate org_id")} <= problems


def test_an_unknown_prerequisite_is_named_alone(tmp_path: Path) -> None:
    data = tiny()
    data["modules"][1]["prerequisites"] = "M1|M7|M8"
    (p,) = [p for p in _problems(tmp_path, data) if "names unknown modules" in p.rule]
    assert (p.row, p.column, p.value) == (3, "prerequisites", "M7|M8")


def test_validate_table_alone_raises_every_problem() -> None:
    import pandas as pd

    from engine.readers import ROW, RawTable
    from engine.validate import validate_table

    rows = [dict(r) for r in tiny()["organizations"]]
    rows[0]["org_type"], rows[1]["rating"] = "club", "A"
    frame = pd.DataFrame(rows).assign(**{ROW: [2, 3]})
    with pytest.raises(ValidationError) as info:
        validate_table(RawTable("organizations", "organizations.csv", frame))
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "org_type"), (3, "rating")}
