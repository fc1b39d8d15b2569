"""Synthetic OULAD files for presentations the 2013 copy does not have (2014B, 2014J).

The judging of issue 10 trains on the nine 2013 presentations and tests on later ones,
read by the same importer unchanged.  OULAD's full release is not on this machine, so
:func:`later_presentations` derives a 2014 set from the 2013 files, the way OULAD's
later presentations differ from the earlier ones:

- every 2013 presentation becomes its 2014 counterpart (2013B → 2014B, 2013J → 2014J),
  with new assessment and site ids, every day moved ``SHIFT`` days later and the
  presentation that much longer;
- module **CCC**, absent from 2013, appears in both presentations (a copy of DDD with
  its own assessment ids and **two** exams without a date, ``?``); its students are
  DDD's, so the same ``id_student`` studies two modules at once;
- hand-made edge rows (:data:`EDGES`, asserted on by the tests): a student who
  unregisters before the recorded registration, one registering after day 60, one
  unregistering on day 60 exactly, a ``?`` registration that unregisters on day 30, a
  ``?`` registration that stays, banked submissions dated before the start, ``?``
  scores; ``imd_band`` keeps OULAD's ``10-20`` (no ``%``) and ``?``;
- a ``studentVle.csv`` (daily clicks, duplicate keys and days before the start
  included), which the 2013 copy lacks;
- written the way other exports come: ``courses.csv`` fully quoted with CRLF line ends,
  ``studentVle.csv`` with CRLF.

The tests below check that the importer and the experiment take such a set unchanged;
``benchmarks/bench_oulad_import.py`` uses the generator at full size.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.readers import read_dataset
from engine.validate import validate_dataset

OULAD_2013 = Path("/work/shared/datasets/oulad-2013")
PRES = {"2013B": "2014B", "2013J": "2014J"}
SHIFT = {"2014B": 2, "2014J": 1}
ID_OFFSET = 100_000  # 2014 copies of 2013 assessments / sites
CCC_OFFSET = 200_000  # module CCC (copied from DDD)
FILES = ("courses", "assessments", "vle", "studentInfo", "studentRegistration", "studentAssessment")

# (code_module, code_presentation, what) of the hand-made registration rows; the id_student
# of each is chosen from the data and returned by later_presentations()
EDGES = (
    "unregistered_before_registering",
    "registers_after_day_60",
    "unregisters_on_day_60",
    "unknown_registration_unregisters_day_30",
    "unknown_registration_stays",
)


def oulad_2013() -> Path | None:
    """The 2013 copy of OULAD's files, or None where this machine does not have it."""
    here = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "oulad-2013"
    for cand in (here, OULAD_2013):
        if (cand / "studentInfo.csv").is_file():
            return cand
    return None


def read_raw(src: Path) -> dict[str, pd.DataFrame]:
    """OULAD's files as text, exactly as written (``?`` kept)."""
    return {
        name: pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in FILES
        if (src / f"{name}.csv").is_file()
    }


def subsample(raw: dict[str, pd.DataFrame], students: int, seed: int = 0) -> dict:
    """At most ``students`` registrations per module-presentation (and their rows)."""
    info = raw["studentInfo"]
    keys = ["code_module", "code_presentation"]
    rank = info.sample(frac=1.0, random_state=seed).groupby(keys).cumcount()
    info = info[rank.sort_index() < students].reset_index(drop=True)
    who = [*keys, "id_student"]
    reg = raw["studentRegistration"].merge(info[who], on=who)
    sa = raw["studentAssessment"].merge(
        raw["assessments"][["id_assessment", *keys]], on="id_assessment"
    )
    sa = sa.merge(info[who], on=who)[list(raw["studentAssessment"].columns)]
    return {**raw, "studentInfo": info, "studentRegistration": reg, "studentAssessment": sa}


def write_raw(raw: dict[str, pd.DataFrame], dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name, frame in raw.items():
        frame.to_csv(dst / f"{name}.csv", index=False)
    return dst


def _shift(values: pd.Series, days: pd.Series | int) -> pd.Series:
    num = pd.to_numeric(values.where(values != "?"), errors="coerce")
    moved = (num + days).astype("Int64").astype(str)
    return moved.where(num.notna(), values)


def _move(raw: dict[str, pd.DataFrame], src_module: str, dst_module: str, offset: int) -> dict:
    """One module's 2013 presentations as ``dst_module``'s 2014 ones."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in raw.items():
        if "code_module" in frame:
            frame = frame[frame["code_module"] == src_module].copy()
            frame["code_module"] = dst_module
            frame["code_presentation"] = frame["code_presentation"].map(PRES)
            out[name] = frame
    c = out["courses"]
    c["module_presentation_length"] = _shift(
        c["module_presentation_length"], c["code_presentation"].map(SHIFT)
    )
    a = out["assessments"]
    old_ids = a["id_assessment"]
    a["date"] = _shift(a["date"], a["code_presentation"].map(SHIFT))
    a["id_assessment"] = (a["id_assessment"].astype(int) + offset).astype(str)
    days_of = dict(zip(old_ids, a["code_presentation"].map(SHIFT), strict=True))
    sa = raw["studentAssessment"]
    sa = sa[sa["id_assessment"].isin(set(old_ids))].copy()
    sa["date_submitted"] = _shift(sa["date_submitted"], sa["id_assessment"].map(days_of))
    sa["id_assessment"] = (sa["id_assessment"].astype(int) + offset).astype(str)
    out["studentAssessment"] = sa
    r = out["studentRegistration"]
    for col in ("date_registration", "date_unregistration"):
        r[col] = _shift(r[col], r["code_presentation"].map(SHIFT))
    if "vle" in out:
        out["vle"]["id_site"] = (out["vle"]["id_site"].astype(int) + offset).astype(str)
    return out


def _student_vle(raw: dict[str, pd.DataFrame], rows_per_student: int, seed: int) -> pd.DataFrame:
    """Daily clicks: ``rows_per_student`` rows per registration on its presentation's sites."""
    rng = np.random.default_rng(seed)
    keys = ["code_module", "code_presentation"]
    length = raw["courses"].set_index(keys)["module_presentation_length"].astype(int)
    parts = []
    for (mod, pres), g in raw["studentInfo"].groupby(keys):
        sites = (
            raw["vle"]
            .loc[
                (raw["vle"]["code_module"] == mod) & (raw["vle"]["code_presentation"] == pres),
                "id_site",
            ]
            .to_numpy()
        )
        n = len(g) * rows_per_student
        parts.append(
            pd.DataFrame(
                {
                    "code_module": mod,
                    "code_presentation": pres,
                    "id_student": np.repeat(g["id_student"].to_numpy(), rows_per_student),
                    "id_site": rng.choice(sites, n),
                    "date": rng.integers(-20, int(length[(mod, pres)]), n),
                    "sum_click": rng.integers(1, 30, n),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def later_presentations(
    src: Path | dict[str, pd.DataFrame],
    dst: Path,
    vle_rows_per_student: int = 5,
    seed: int = 0,
) -> dict[str, tuple[str, str, str]]:
    """Write the synthetic 2014B/2014J set to ``dst`` (see the module docstring).

    Returns :data:`EDGES` → (code_module, code_presentation, id_student) of each
    hand-made registration row."""
    raw = read_raw(src) if isinstance(src, Path) else src
    modules = sorted(raw["courses"]["code_module"].unique())
    moved = [_move(raw, m, m, ID_OFFSET) for m in modules]
    moved.append(_move(raw, "DDD", "CCC", CCC_OFFSET))
    out = {name: pd.concat([m[name] for m in moved], ignore_index=True) for name in moved[0]}

    # CCC: both exams without a date ('?'), a second exam added; some of its students sit it
    a = out["assessments"]
    ccc = a["code_module"] == "CCC"
    a.loc[ccc & (a["assessment_type"] == "Exam"), "date"] = "?"
    exams = a[ccc & (a["assessment_type"] == "Exam")].copy()
    exams["id_assessment"] = (exams["id_assessment"].astype(int) + 50_000).astype(str)
    out["assessments"] = pd.concat([a, exams], ignore_index=True)
    sa = out["studentAssessment"]
    first_ids = set((exams["id_assessment"].astype(int) - 50_000).astype(str))
    second = sa[sa["id_assessment"].isin(first_ids)].iloc[::2].copy()
    second["id_assessment"] = (second["id_assessment"].astype(int) + 50_000).astype(str)
    second["score"] = "?"  # sat, not yet marked
    sa = pd.concat([sa, second], ignore_index=True)

    # hand-made registration rows, one student each, in AAA-2014J (every '?' date moved
    # to a known one first, so the edge is the only thing that differs)
    reg = out["studentRegistration"]
    aaa = reg.index[(reg["code_module"] == "AAA") & (reg["code_presentation"] == "2014J")]
    picked = aaa[: len(EDGES)]
    edges = {}
    for what, i in zip(EDGES, picked, strict=True):
        edges[what] = ("AAA", "2014J", reg.at[i, "id_student"])
    values = {
        "unregistered_before_registering": ("-20", "-25"),
        "registers_after_day_60": ("75", "?"),
        "unregisters_on_day_60": ("-10", "60"),
        "unknown_registration_unregisters_day_30": ("?", "30"),
        "unknown_registration_stays": ("?", "?"),
    }
    for what, i in zip(EDGES, picked, strict=True):
        reg.loc[i, ["date_registration", "date_unregistration"]] = values[what]
    # the edge students submit nothing after leaving: drop their later submissions
    a_pres = out["assessments"].set_index("id_assessment")["code_presentation"]
    a_mod = out["assessments"].set_index("id_assessment")["code_module"]
    edge_ids = {e[2] for e in edges.values()}
    in_aaa = (sa["id_assessment"].map(a_mod) == "AAA") & (
        sa["id_assessment"].map(a_pres) == "2014J"
    )
    sa = sa[~(in_aaa & sa["id_student"].isin(edge_ids))].reset_index(drop=True)
    # banked results dated before the start for the "stays" student (a repeat attempt)
    aaa_tmas = out["assessments"][
        (out["assessments"]["code_module"] == "AAA")
        & (out["assessments"]["code_presentation"] == "2014J")
        & (out["assessments"]["assessment_type"] == "TMA")
    ]["id_assessment"].iloc[:2]
    stays = edges["unknown_registration_stays"][2]
    banked = pd.DataFrame(
        {
            "id_assessment": aaa_tmas.to_numpy(),
            "id_student": stays,
            "date_submitted": ["-3", "-3"],
            "is_banked": "1",
            "score": ["71", "?"],
        }
    )
    out["studentAssessment"] = pd.concat([sa, banked], ignore_index=True)
    out["studentRegistration"] = reg

    dst.mkdir(parents=True, exist_ok=True)
    for name, frame in out.items():
        if name == "courses":  # quoted, CRLF
            frame.to_csv(
                dst / "courses.csv", index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n"
            )
        else:
            frame.to_csv(dst / f"{name}.csv", index=False)
    if vle_rows_per_student:
        sv = _student_vle(out, vle_rows_per_student, seed)
        sv = pd.concat([sv, sv.iloc[:3]], ignore_index=True)  # OULAD repeats keys
        sv.to_csv(dst / "studentVle.csv", index=False, lineterminator="\r\n")
    return edges


# ---------------------------------------------------------------- tests

STUDENTS = 25  # registrations kept per 2013 presentation: fast, and every edge present


def make_later(root: Path) -> tuple[Path, Path, dict]:
    """(2013 subsample dir, synthetic 2014 dir derived from it, edge rows) under ``root``;
    skips the test where the 2013 files are not on this machine."""
    src = oulad_2013()
    if src is None:
        pytest.skip("OULAD 2013 files not available")
    sub = subsample(read_raw(src), STUDENTS)
    train = write_raw(sub, root / "train")
    edges = later_presentations(sub, root / "test")
    return train, root / "test", edges


@pytest.fixture(scope="module")
def later(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    return make_later(tmp_path_factory.mktemp("later"))


def _day(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(frame[col].where(frame[col] != "?"), errors="coerce")


def test_learnmap_imports_later_presentations_unchanged(later, tmp_path: Path) -> None:  # noqa: ANN001
    from engine.cli import main

    _, src, edges = later
    raw = read_raw(src)
    sv_raw = pd.read_csv(src / "studentVle.csv")
    out = tmp_path / "out"
    assert main(["import", "oulad", str(src), "--out", str(out)]) == 0
    t = validate_dataset(read_dataset(out))  # the engine's own checks accept it
    orgs = pd.read_csv(out / "organizations.csv").set_index("org_id")
    assert sorted(orgs.index) == sorted(t["organizations"]["org_id"])
    assert {"CCC-2014B", "CCC-2014J"} <= set(orgs.index)  # a module 2013 never had
    assert len(orgs) == len(raw["courses"])
    assert orgs.loc["CCC-2014B", "start_date"] == "2014-02-01"
    assert orgs.loc["AAA-2014J", "start_date"] == "2014-10-01"
    # no registration, submission or score lost or invented
    assert len(t["staff"]) == len(raw["studentInfo"])
    assert len(t["participations"]) == len(raw["studentAssessment"])
    assert len(t["assessments"]) == int((raw["studentAssessment"]["score"] != "?").sum())
    # every submission dated start + OULAD's day (negative days: before the start)
    sa = raw["studentAssessment"].merge(
        raw["assessments"][["id_assessment", "code_module", "code_presentation"]]
    )
    sa["participation_id"] = sa["id_assessment"] + "-" + sa["id_student"]
    start = pd.to_datetime(
        sa["code_presentation"].map({"2014B": "2014-02-01", "2014J": "2014-10-01"})
    )
    want = (start + pd.to_timedelta(_day(sa, "date_submitted"), unit="D")).to_numpy()
    got = t["participations"].set_index("participation_id").loc[sa["participation_id"]]
    assert (got["completed_on"].to_numpy() == want).all()
    # CCC's two undated exams are due on the presentation's last day
    mods = pd.read_csv(out / "modules.csv")
    exams = mods[(mods["code_module"] == "CCC") & (mods["assessment_type"] == "Exam")]
    length = exams["org_id"].map(orgs["length_days"]).astype(int)
    assert len(exams) == 4 and (exams["due_day"] == length).all()
    # OULAD's imd_band spellings kept as they are ('10-20' has no '%'; '?' is missing)
    staff = pd.read_csv(out / "staff.csv", keep_default_na=False)
    assert (staff["imd_band"] == "10-20").sum() == (raw["studentInfo"]["imd_band"] == "10-20").sum()
    assert (staff["imd_band"] == "?").sum() == 0
    # clicks: summed per registration and day, none lost
    sv = pd.read_csv(out / "_oulad" / "student_vle.csv")
    assert sv["sum_click"].sum() == sv_raw["sum_click"].sum()
    assert not sv.duplicated(["staff_id", "date"]).any()
    assert set(sv["staff_id"]) <= set(t["staff"]["staff_id"])
    # hand-made rows: an unregistration before the registration is the end of employment
    # (nothing after it), OULAD's own days kept
    st = t["staff"].set_index("staff_id")
    raw_st = staff.set_index("staff_id")
    gone = "-".join(edges["unregistered_before_registering"])
    assert st.loc[gone, "hired_on"] == st.loc[gone, "left_on"] == pd.Timestamp("2014-09-06")
    assert raw_st.loc[gone, "registration_day"] == "-20"
    # '?' registration, a banked result dated day -3: employed from then, never left
    stays = "-".join(edges["unknown_registration_stays"])
    assert st.loc[stays, "hired_on"] == pd.Timestamp("2014-09-28")
    assert pd.isna(st.loc[stays, "left_on"])
    parts = pd.read_csv(out / "participations.csv")
    banked = parts[parts["staff_id"] == stays]
    assert len(banked) == 2 and (banked["is_banked"] == 1).all()
