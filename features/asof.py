"""The as-of rules: what the canonical tables looked like on a given date.

One home for the rules that ``features.snapshot`` (coded arrays for the feature
builders) and the models (``tables_as_of``: the canonical tables themselves, for
estimators that take tables) both follow:

- staff hired after ``as_of`` are absent; a later ``left_on`` is not yet known (empty);
- participations enrolled after ``as_of`` are absent; one completed after it is still
  ``enrolled`` (no completion date, 0 hours).  Dropped / no-show records carry no date
  of their own: they are known once their session has ended (``sessions.ends_on``;
  before that the person is still ``enrolled``, 0 hours) — a drop can happen until the
  last day, and the records do not say when a no-show was written down, so the
  session's end is the first date both are certain.  Without a session, or one with
  no ``ends_on`` (self-paced; a table left out of a pruned load), they count from
  their enrolment (``known_on``);
- sessions starting, assessments taken and outcomes measured after it are absent (a
  session's later ``ends_on`` is not yet known).

Catalogue tables (organizations, skills, modules, module_skills, role_requirements)
are kept whole: they carry no dates.  Appending records dated after ``as_of`` changes
nothing in the view.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from features.shared import lookup, remember, tables_key

__all__ = [
    "RECORD_DATES",
    "UNDATED_ENDS",
    "Tables",
    "known_on",
    "tables_as_of",
    "to_datetime64",
    "to_timestamp",
]

Tables = dict[str, pd.DataFrame]

#: Per table: the date that says when a record became known.  ``tables_as_of`` keeps
#: rows dated on or before the as-of date; other dates in a kept row that lie later
#: are treated as not yet known.
RECORD_DATES = {
    "staff": "hired_on",
    "sessions": "starts_on",
    "participations": "enrolled_on",
    "assessments": "taken_on",
    "outcomes": "measured_on",
}


#: Participation statuses with no date of their own (known at their session's end).
UNDATED_ENDS = ("dropped", "no_show")


def known_on(participations: pd.DataFrame, sessions: pd.DataFrame | None) -> np.ndarray:
    """Per participation, the date its ``dropped`` / ``no_show`` status became known:
    its session's ``ends_on`` (the sessions table as recorded, not an as-of view), or
    its enrolment where there is no session with an end date (module docstring).  Other
    statuses: their enrolment (a completion has its own date, ``completed_on``)."""
    enrolled = participations["enrolled_on"].to_numpy().astype("datetime64[ns]")
    out = enrolled.copy()
    if sessions is None or not len(sessions) or "session_id" not in participations:
        return out
    undated = participations["status"].isin(UNDATED_ENDS).to_numpy()
    if not undated.any():
        return out
    ends = pd.Series(
        pd.to_datetime(sessions["ends_on"]).to_numpy(), index=sessions["session_id"].astype(str)
    )
    ends = ends[~ends.index.duplicated()]
    sid = participations["session_id"].to_numpy()[undated]
    end = ends.reindex(pd.Index(sid).astype(str)).to_numpy().astype("datetime64[ns]")
    # a session's end before the enrolment (bad data) does not make the record older
    out[undated] = np.where(np.isnat(end), enrolled[undated], np.maximum(end, enrolled[undated]))
    return out


def to_timestamp(value: date | str | pd.Timestamp) -> pd.Timestamp:
    """``value`` as a midnight ``Timestamp``; ``ValueError`` naming it if it is no date."""
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a date: {value!r}") from exc


def to_datetime64(value: date | str | pd.Timestamp) -> np.datetime64:
    """``to_timestamp(value)`` as a ``numpy.datetime64`` (for array comparisons)."""
    return to_timestamp(value).to_datetime64()


def tables_as_of(tables: Tables, as_of: date | str | pd.Timestamp) -> Tables:
    """The canonical tables as they were known on ``as_of`` (module docstring).

    Inside ``features.shared.shared_preparation`` the result is reused for the same
    input frames, and (the view being idempotent) recorded as already as of ``as_of``."""
    t = to_datetime64(as_of)
    key = ("as_of", tables_key(tables), t)
    hit = lookup(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    out = _tables_as_of(tables, t)
    remember(key, out, tables)
    remember(("as_of", tables_key(out), t), out, out)  # idempotent
    return out


def _tables_as_of(tables: Tables, t: np.datetime64) -> Tables:
    out = dict(tables)
    if "participations" in tables:
        p = tables["participations"]
        known = known_on(p, tables.get("sessions"))[p["enrolled_on"].to_numpy() <= t]
    for name, col in RECORD_DATES.items():
        if name in tables:
            frame = tables[name]
            out[name] = frame[(frame[col].to_numpy() <= t)].reset_index(drop=True)
    if "staff" in out:
        staff = out["staff"].copy()
        left = staff["left_on"]
        staff["left_on"] = left.where(~(left.to_numpy() > t))
        out["staff"] = staff
    if "sessions" in out:
        ses = out["sessions"].copy()
        ses["ends_on"] = ses["ends_on"].where(~(ses["ends_on"].to_numpy() > t))
        out["sessions"] = ses
    if "participations" in out:
        p = out["participations"].copy()
        late = (p["completed_on"].to_numpy() > t) | (known > t)
        if late.any():
            p["status"] = p["status"].astype(object).where(~late, "enrolled")
            p["completed_on"] = p["completed_on"].where(~late)
            p["hours"] = p["hours"].astype(float).where(~late, 0.0)
        out["participations"] = p
    return out
