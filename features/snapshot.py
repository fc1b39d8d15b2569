"""The as-of view of the canonical tables that every feature builder starts from.

``snapshot(tables, as_of)`` keeps only what was known on ``as_of``:

- staff hired on or before ``as_of`` (a person hired later is not yet staff);
- participations enrolled on or before ``as_of``; one completed *after* ``as_of`` is
  seen as still ``enrolled`` (no completion date, no hours).  Dropped and no-show
  records carry no date of their own, so they count from their enrolment date;
- assessments taken, and outcomes measured, on or before ``as_of``.

Appending records dated after ``as_of`` therefore changes nothing downstream.  Ids
are mapped once to contiguous integer codes (``s`` = staff row, ``m`` = module row),
so the builders work on numpy arrays and scale to millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.schema import MODES, OFFLINE_MODES

Tables = dict[str, pd.DataFrame]


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

    def done(self) -> pd.DataFrame:
        """Completed participations (person-times) as of the snapshot date."""
        return self.part[self.part["status"].to_numpy() == "completed"]


def to_timestamp(value: date | str | pd.Timestamp) -> pd.Timestamp:
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a date: {value!r}") from exc


def _codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    return index.get_indexer(values.to_numpy())


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
    p = p[p["enrolled_on"].to_numpy() <= t.to_datetime64()]
    s, m = _codes(sidx, p["staff_id"]), _codes(midx, p["module_id"])
    keep = (s >= 0) & (m >= 0)
    completed_on = p["completed_on"].to_numpy()
    late = completed_on > t.to_datetime64()
    status = p["status"].to_numpy().astype(object)
    status = np.where(late, "enrolled", status)
    part = pd.DataFrame(
        {
            "s": s,
            "m": m,
            "enrolled_on": p["enrolled_on"].to_numpy(),
            "completed_on": np.where(late, np.datetime64("NaT"), completed_on),
            "status": status,
            "hours": np.where(late, 0.0, p["hours"].to_numpy(dtype=float)),
        }
    )[keep].reset_index(drop=True)
    part["offline"] = offline_mode[mode_code[part["m"].to_numpy()]]

    a = tables["assessments"]
    a = a[a["taken_on"].to_numpy() <= t.to_datetime64()]
    assess = pd.DataFrame(
        {
            "s": _codes(sidx, a["staff_id"]),
            "m": _codes(midx, a["module_id"]),
            "taken_on": a["taken_on"].to_numpy(),
            "score": a["score"].to_numpy(dtype=float),
        }
    )
    assess = assess[(assess["s"] >= 0) & (assess["m"] >= 0)].reset_index(drop=True)

    o = tables["outcomes"]
    o = o[o["measured_on"].to_numpy() <= t.to_datetime64()]
    outcomes = pd.DataFrame(
        {
            "s": _codes(sidx, o["staff_id"]),
            "m": _codes(midx, o["module_id"]),
            "measured_on": o["measured_on"].to_numpy(),
            "kind": o["kind"].to_numpy(),
            "value": o["value"].to_numpy(dtype=float),
        }
    )
    outcomes = outcomes[(outcomes["s"] >= 0) & (outcomes["m"] >= 0)].reset_index(drop=True)
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
