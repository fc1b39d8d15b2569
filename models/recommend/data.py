"""The data every recommender learns from: vocabularies, the completion matrix, the
prerequisite graph and the session schedule.

``build_interactions(tables)`` gives an ``Interactions``: the staff ids (rows) and
module ids (columns, sorted), the binary person × module matrix of completed
participations, the prerequisite matrix and the modules table in column order.
``schedule(tables, as_of)`` gives the sessions with the seats still free on ``as_of``.
Both are reused for the same input frames inside ``features.shared.shared_preparation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.asof import Tables, to_datetime64
from features.shared import shared, tables_key

__all__ = ["Interactions", "build_interactions", "schedule"]


def schedule(tables: Tables, as_of: date | str | pd.Timestamp | None) -> pd.DataFrame | None:
    """Sessions (all of them: a schedule) with ``free`` seats as of ``as_of``."""
    t = None if as_of is None else to_datetime64(as_of)
    key = ("schedule", tables_key(tables), t)
    return shared(key, tables, lambda: _make_schedule(tables, as_of))  # type: ignore[return-value]


def _make_schedule(tables: Tables, as_of: date | str | pd.Timestamp | None) -> pd.DataFrame | None:
    ses = tables.get("sessions")
    if ses is None or "module_id" not in ses:
        return None
    out = pd.DataFrame(
        {
            "module_id": ses["module_id"].astype(str).to_numpy(dtype=object),
            "starts_on": pd.to_datetime(ses["starts_on"]).to_numpy(),
        }
    )
    free = np.full(len(ses), np.inf)
    if "capacity" in ses:
        cap = pd.to_numeric(ses["capacity"], errors="coerce").astype(float)
        free = cap.fillna(np.inf).to_numpy(float)
    p = tables.get("participations")
    if p is not None and len(p) and "session_id" in p:
        known = p
        if as_of is not None:
            known = p[(p["enrolled_on"].to_numpy() <= to_datetime64(as_of))]
        active = known[known["status"].astype(str).isin(["enrolled", "completed"]).to_numpy()]
        taken = active["session_id"].dropna().astype(str).value_counts()
        free = free - ses["session_id"].astype(str).map(taken).fillna(0).to_numpy(float)
    out["free"] = free
    return out


@dataclass
class Interactions:
    """Vocabularies and the person × module matrix of completions.

    users    : staff ids (row order of ``matrix``); everyone in ``staff``.
    items    : module ids (column order), sorted.
    matrix   : CSR float32, 1 where the person completed the module.
    prereq   : CSR bool (items × items), ``prereq[j, p]`` = p is a prerequisite of j.
    modules  : the modules table in ``items`` order.
    """

    users: pd.Index
    items: pd.Index
    matrix: sp.csr_matrix
    prereq: sp.csr_matrix
    modules: pd.DataFrame

    def rows(self, staff_ids: Sequence[str]) -> np.ndarray:
        """Row of each staff id (−1 = unknown)."""
        return self.users.get_indexer(pd.Index(staff_ids, dtype=object))

    def history(self, rows: np.ndarray) -> sp.csr_matrix:
        """Completion rows for ``rows`` (empty rows where −1)."""
        rows = np.asarray(rows)
        known = rows >= 0
        if known.all():
            return sp.csr_matrix(self.matrix[rows])
        out = sp.csr_matrix((len(rows), len(self.items)), dtype=np.float32)
        if known.any():
            sel = sp.csr_matrix(self.matrix[rows[known]])
            scatter = sp.csr_matrix(
                (np.ones(known.sum(), np.float32), (np.flatnonzero(known), np.arange(known.sum()))),
                shape=(len(rows), int(known.sum())),
            )
            out = sp.csr_matrix(scatter @ sel)
        return out


def _prereq_matrix(items: pd.Index, prerequisites: pd.Series) -> sp.csr_matrix:
    rows, cols = [], []
    for j, text in enumerate(prerequisites.fillna("").astype(str)):
        for pid in filter(None, (x.strip() for x in text.split("|"))):
            p = items.get_loc(pid) if pid in items else -1
            if p >= 0:
                rows.append(j)
                cols.append(p)
    n = len(items)
    return sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n, n), dtype=bool)


def build_interactions(tables: Tables) -> Interactions:
    """The ``Interactions`` of canonical tables (completed participations only)."""
    key = ("interactions", tables_key(tables))
    return shared(key, tables, lambda: _build_interactions(tables))  # type: ignore[return-value]


def _build_interactions(tables: Tables) -> Interactions:
    modules = tables["modules"].sort_values("module_id").reset_index(drop=True)
    items = pd.Index(modules["module_id"].astype(str).to_numpy(dtype=object), dtype=object)
    staff_ids = tables["staff"]["staff_id"].astype(str).to_numpy(dtype=object)
    users = pd.Index(np.unique(staff_ids), dtype=object)  # object: str-dtype lookups cost ms
    p = tables["participations"]
    done = p[(p["status"] == "completed").to_numpy()]
    r = users.get_indexer(done["staff_id"].astype(str).to_numpy(dtype=object))
    c = items.get_indexer(done["module_id"].astype(str).to_numpy(dtype=object))
    ok = (r >= 0) & (c >= 0)
    m = sp.csr_matrix(
        (np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=(len(users), len(items))
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return Interactions(users, items, m, _prereq_matrix(items, modules["prerequisites"]), modules)


def open_enrolments(tables: Tables, data: Interactions) -> sp.csr_matrix:
    """Person × module (``data``'s vocabularies): 1 where the person holds an open
    enrolment in the tables (status ``enrolled``: not completed, dropped or no-show; in
    an as-of view, completions after the date read as ``enrolled``)."""
    p = tables.get("participations")
    shape = (len(data.users), len(data.items))
    if p is None or p.empty:
        return sp.csr_matrix(shape, dtype=np.float32)
    now = p[(p["status"].astype(str) == "enrolled").to_numpy()]
    r = data.users.get_indexer(now["staff_id"].astype(str).to_numpy(dtype=object))
    c = data.items.get_indexer(now["module_id"].astype(str).to_numpy(dtype=object))
    ok = (r >= 0) & (c >= 0)
    m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=shape)
    m.data[:] = 1.0
    return m
