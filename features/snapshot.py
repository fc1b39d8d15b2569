"""The as-of view of the canonical tables that every feature builder starts from.

``snapshot(tables, as_of)`` keeps only what was known on ``as_of``:

- staff hired on or before ``as_of`` (a person hired later is not yet staff);
- participations enrolled on or before ``as_of``; one completed *after* ``as_of`` is
  seen as still ``enrolled`` (no completion date, no hours).  Dropped and no-show
  records carry no date of their own: they are known once their session has ended
  (``features.asof.known_on``; without a session end, from their enrolment date);
- assessments taken, and outcomes measured, on or before ``as_of``.

These are the rules of ``features.asof`` (their one home; ``tables_as_of`` gives the
same view as canonical tables, for the models).
Appending records dated after ``as_of`` therefore changes nothing downstream.  Ids
are mapped once to contiguous integer codes (``s`` = staff row, ``m`` = module row),
so the builders work on numpy arrays and scale to millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.schema import MODES, OFFLINE_MODES, PARTICIPATION_STATUSES
from features.asof import UNDATED_ENDS, Tables, known_on, to_timestamp

__all__ = [
    "ASSESSMENT_COLUMNS",
    "STATUS_COLUMNS",
    "Snapshot",
    "Tables",
    "role_members",
    "snapshot",
    "status_columns",
    "to_timestamp",
]


@dataclass
class Snapshot:
    """Canonical tables as of one date, with integer codes for staff and modules."""

    as_of: pd.Timestamp
    orgs: pd.DataFrame
    staff: pd.DataFrame  # row position = staff code ``s``; has ``org`` (row in orgs)
    modules: pd.DataFrame  # row position = module code ``m``
    skills: pd.DataFrame
    module_skills: pd.DataFrame
    role_requirements: pd.DataFrame
    part: pd.DataFrame  # s, m, enrolled_on, completed_on, status, hours, offline
    assess: pd.DataFrame  # s, m, taken_on, score
    outcomes: pd.DataFrame  # s, m, measured_on, kind, value

    @property
    def n_staff(self) -> int:
        return len(self.staff)

    @property
    def employed(self) -> np.ndarray:
        """Per staff code: still employed on the snapshot date."""
        left = self.staff["left_on"]
        return (left.isna() | (left > self.as_of)).to_numpy()

    def done(self) -> pd.DataFrame:
        """Completed participations (person-times) as of the snapshot date."""
        return self.part[(self.part["status"] == "completed").to_numpy()]


#: The columns the status, report and organization builders read, per table (``None``:
#: all, for small tables).  ``learnmap status`` and ``report`` load only these
#: (``Store.read_tables``); tables left out arrive empty.  Assessments matter only to
#: credits (a failed online course earns nothing).  ``tests/features/test_cli.py``
#: checks that a pruned load gives the same files as a full one.
STATUS_COLUMNS: dict[str, list[str] | None] = {
    "organizations": None,
    "staff": ["staff_id", "org_id", "role", "hired_on", "left_on"],
    "skills": None,
    "modules": None,
    "module_skills": None,
    "role_requirements": None,
    "participations": ["staff_id", "module_id", "enrolled_on", "completed_on", "status", "hours"],
}
ASSESSMENT_COLUMNS = ["staff_id", "module_id", "taken_on", "score"]


def status_columns(policy_kind: str) -> dict[str, list[str] | None]:
    """What ``status`` and ``report`` need to read under a policy of ``policy_kind``."""
    need = dict(STATUS_COLUMNS)
    if policy_kind == "credits":
        need["assessments"] = ASSESSMENT_COLUMNS
    return need


def _codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position of each value in ``index`` (−1 where absent).  Arrow's hash lookup is
    several times faster than ``Index.get_indexer`` on tens of millions of strings."""
    try:
        found = pc.index_in(pa.array(values), value_set=pa.array(index))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return index.get_indexer(values.to_numpy()).astype(np.int32)


def _dated(
    frame: pd.DataFrame,
    date_col: str,
    cols: list[str],
    t: pd.Timestamp,
    sidx: pd.Index,
    midx: pd.Index,
) -> pd.DataFrame:
    """Rows dated on or before ``t`` of a staff × module table, with codes ``s``, ``m``."""
    frame = frame[frame[date_col].to_numpy() <= t.to_datetime64()]
    out = pd.DataFrame(
        {
            "s": _codes(sidx, frame["staff_id"]),
            "m": _codes(midx, frame["module_id"]),
            date_col: frame[date_col].to_numpy(),
        }
    )
    for c in cols:
        out[c] = frame[c].to_numpy()
    return out[(out["s"] >= 0) & (out["m"] >= 0)].reset_index(drop=True)


def snapshot(tables: Tables, as_of: date | str | pd.Timestamp) -> Snapshot:
    """The as-of view of ``tables`` (see the module docstring)."""
    t = to_timestamp(as_of)
    staff = tables["staff"]
    staff = staff[staff["hired_on"].to_numpy() <= t.to_datetime64()].reset_index(drop=True)
    orgs = tables["organizations"].reset_index(drop=True)
    staff = staff.assign(org=_codes(pd.Index(orgs["org_id"]), staff["org_id"]))
    modules = tables["modules"].reset_index(drop=True)
    sidx, midx = pd.Index(staff["staff_id"]), pd.Index(modules["module_id"])
    mode_code = pd.Categorical(modules["mode"], categories=MODES).codes
    offline_mode = np.isin(np.asarray(MODES), OFFLINE_MODES)

    p = tables["participations"]
    # arrays, not a filtered copy of the whole frame: this table can have 10⁷–10⁸ rows
    s, m = _codes(sidx, p["staff_id"]), _codes(midx, p["module_id"])
    keep = (p["enrolled_on"].to_numpy() <= t.to_datetime64()) & (s >= 0) & (m >= 0)
    completed_on = p["completed_on"].to_numpy()[keep]
    late = completed_on > t.to_datetime64()
    status = pd.Categorical(p["status"], categories=PARTICIPATION_STATUSES).codes[keep]
    undated = np.isin(status, [PARTICIPATION_STATUSES.index(u) for u in UNDATED_ENDS])
    if undated.any() and "session_id" in p and len(tables.get("sessions", ())):
        rows = np.flatnonzero(keep)[undated]  # a few percent of the rows at most
        few = p.iloc[rows][["enrolled_on", "status", "session_id"]]
        late[undated] |= known_on(few, tables["sessions"]) > t.to_datetime64()
    codes = np.where(late, PARTICIPATION_STATUSES.index("enrolled"), status)
    m = m[keep]
    part = pd.DataFrame(
        {
            "s": s[keep],
            "m": m,
            "enrolled_on": p["enrolled_on"].to_numpy()[keep],
            "completed_on": np.where(late, np.datetime64("NaT"), completed_on),
            "status": pd.Categorical.from_codes(codes, categories=PARTICIPATION_STATUSES),
            "hours": np.where(late, 0.0, p["hours"].to_numpy(dtype=float)[keep]),
            "offline": offline_mode[mode_code[m]],
        }
    )

    assess = _dated(tables["assessments"], "taken_on", ["score"], t, sidx, midx)
    outcomes = _dated(tables["outcomes"], "measured_on", ["kind", "value"], t, sidx, midx)
    return Snapshot(
        as_of=t,
        orgs=orgs,
        staff=staff,
        modules=modules,
        skills=tables["skills"].reset_index(drop=True),
        module_skills=tables["module_skills"].reset_index(drop=True),
        role_requirements=tables["role_requirements"].reset_index(drop=True),
        part=part,
        assess=assess,
        outcomes=outcomes,
    )


def role_members(roles: pd.Series) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``(codes, names, member)`` for a column of "a|b" role combinations: ``codes[i]``
    numbers row i's combination (-1 where missing), ``names`` are the roles that occur
    (sorted), and ``member[c, j]`` says combination ``c`` includes ``names[j]``.

    Only the distinct combinations (a few dozen among millions of staff) are split, so
    per-role counts are integer operations (``member[codes, j]``) instead of splitting
    and exploding a string per person."""
    codes, combos = pd.factorize(roles)
    parts = [str(c).split("|") for c in combos]
    names = sorted({r for p in parts for r in p})
    col = {r: j for j, r in enumerate(names)}
    member = np.zeros((len(combos) + 1, len(names)), dtype=bool)  # last row: missing
    for c, p in enumerate(parts):
        member[c, [col[r] for r in p]] = True
    return np.asarray(codes, dtype=np.int64), names, member
