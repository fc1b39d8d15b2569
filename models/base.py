"""The recommender interface every module recommender implements.

A recommender follows scikit-learn conventions (``__init__`` stores parameters,
``fit`` returns ``self``, learned state ends in ``_``) and answers one question::

    model.fit(tables, as_of=None)                    # canonical tables (DESIGN.md)
    model.recommend(staff_ids, k=10, filters=None)   # staff_id, rank, module_id, score, reason

``fit`` uses only records dated on or before ``as_of`` (``tables_as_of``; ``None`` =
all records); ``fit(..., policy=...)`` also ranks, for people behind on that policy's
requirement, the modules that count toward it first (``models.quota``).  ``recommend`` scores every module for each person, removes the ones
``Filters`` excludes (by default: already completed, or prerequisites not completed),
and returns the ``k`` best per person, ties broken by ``module_id``.  Each person is
scored independently, so a batch call gives the same rows as one call per person.
People unknown at fit time get the model's answer for an empty history.

Subclasses implement two hooks:

``_fit(data, tables)``
    learn from ``data`` (an ``Interactions``: user and item vocabularies and the
    binary person × module matrix of completions) and the as-of tables;
``_scores(batch)``
    a dense ``(len(batch.staff_ids), n_items)`` float array; higher is better,
    ``-inf`` or NaN = never recommend.

and may set the class attribute ``reason`` (the text of the ``reason`` column) or
override ``_reasons``.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from engine.errors import NotFittedError
from engine.policy import Policy

__all__ = [
    "RECOMMEND_COLUMNS",
    "Batch",
    "Filters",
    "Interactions",
    "Recommender",
    "Tables",
    "admissible",
    "build_interactions",
    "shared_preparation",
    "tables_as_of",
]

Tables = dict[str, pd.DataFrame]
RECOMMEND_COLUMNS = ["staff_id", "rank", "module_id", "score", "reason"]

#: Per table: the date that says when a record became known.  ``tables_as_of`` keeps
#: rows dated on or before the as-of date; other dates in a kept row that lie later
#: are treated as not yet known (see ``tables_as_of``).
RECORD_DATES = {
    "staff": "hired_on",
    "sessions": "starts_on",
    "participations": "enrolled_on",
    "assessments": "taken_on",
    "outcomes": "measured_on",
}
_CHUNK = 1024  # people scored per dense block (bounds memory on large catalogues)


@dataclass(frozen=True)
class Filters:
    """Which modules a recommendation may contain.

    exclude_completed : drop modules the person has already completed.
    prerequisites     : keep only modules whose prerequisites the person has completed.
    offer_prerequisites : with ``prerequisites``, a module held back only by unmet
                        prerequisites is not lost: its missing prerequisites that the
                        person can take now are offered in its place, ranked by its
                        score (a prerequisite's own score counts if higher), with the
                        reason "prerequisite for <module>".  Chains are followed (the
                        prerequisite of a prerequisite).  Off by default: the harness
                        scores models on what they recommend directly.
    modes, tiers      : keep only these modes / tiers (None = any).
    exclude_modules   : module ids never to recommend (e.g. retired modules).
    sessions_from, sessions_to : when either is given, keep only modules one can take
                        in that date range (inclusive; an open end is unbounded): a
                        session starting in the range with an open seat, or a
                        self-paced ``online`` module (no sessions needed).  Documented
                        choice: the sessions table is a schedule — every session in the
                        fitted tables counts, including those starting after ``as_of``;
                        seats taken = ``enrolled`` / ``completed`` records known on
                        ``as_of``; no capacity = unlimited.
    """

    exclude_completed: bool = True
    prerequisites: bool = True
    offer_prerequisites: bool = False
    modes: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    exclude_modules: frozenset[str] = field(default_factory=frozenset)
    sessions_from: date | str | None = None
    sessions_to: date | str | None = None


#: While ``shared_preparation`` is active: key → (result, weak references to its inputs),
#: least recently used first.
_SHARED: OrderedDict[tuple, tuple[object, list[weakref.ref]]] | None = None
_SHARED_SIZE = 12


@contextmanager
def shared_preparation(size: int = _SHARED_SIZE) -> Iterator[None]:
    """Reuse the preparation every ``fit`` repeats — ``tables_as_of``, the session
    schedule and ``build_interactions`` — for the same input frames, while active.

    For the experiment harness: every model (and every grid value) of a run fits on
    the same fold tables, so the as-of view and the completion matrix are built once
    per fold, not once per fit.  Inputs are matched by identity (the same DataFrame
    objects), so the results are exactly what a fresh call would return, provided no
    one modifies a frame in place (nothing in ``models`` does: fitting never writes
    to its input tables or to ``Interactions``).  ``tables_as_of`` is idempotent, so
    its result is also recorded as already being as of that date.  At most ``size``
    results are kept (least recently used dropped first), bounding memory; inputs
    are not kept alive (weak references), so a caller can free its full tables.
    ``models.skillgap.Evidence.build`` is shared the same way."""
    global _SHARED, _SHARED_SIZE
    outer, outer_size = _SHARED, _SHARED_SIZE
    if outer is None:
        _SHARED, _SHARED_SIZE = OrderedDict(), size
    try:
        yield
    finally:
        if outer is None:
            _SHARED, _SHARED_SIZE = None, outer_size


def tables_key(tables: Tables) -> tuple:
    return tuple(sorted((name, id(frame)) for name, frame in tables.items()))


def shared(key: tuple, inputs: object, make: Callable[[], object]) -> object:
    """``make()``, reused for the same ``key`` while ``shared_preparation`` is active
    (see there).  ``key`` names ``inputs`` by ``id``; the entry holds weak references
    to them and is used only while they are the same live objects."""
    if _SHARED is None:
        return make()
    hit = _lookup(key)
    if hit is not None:
        return hit
    value = make()
    _remember(key, value, inputs)
    return value


def _objects(inputs: object) -> list[object]:
    if isinstance(inputs, dict):
        return list(inputs.values())
    if isinstance(inputs, tuple):
        return [o for part in inputs for o in _objects(part)]
    return [inputs]


def _lookup(key: tuple) -> object | None:
    assert _SHARED is not None
    hit = _SHARED.get(key)
    if hit is None:
        return None
    value, refs = hit
    if any(ref() is None for ref in refs):  # an input died: its id may be reused
        del _SHARED[key]
        return None
    _SHARED.move_to_end(key)
    return value


def _remember(key: tuple, value: object, inputs: object) -> None:
    assert _SHARED is not None
    _SHARED[key] = (value, [weakref.ref(o) for o in _objects(inputs)])
    while len(_SHARED) > _SHARED_SIZE:
        _SHARED.popitem(last=False)


def _as_ts(value: date | str | pd.Timestamp) -> np.datetime64:
    try:
        return pd.Timestamp(value).normalize().to_datetime64()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"as_of is not a date: {value!r}") from exc


def tables_as_of(tables: Tables, as_of: date | str | pd.Timestamp) -> Tables:
    """The canonical tables as they were known on ``as_of`` (same semantics as
    ``features.snapshot``):

    - staff hired after ``as_of`` are absent; a later ``left_on`` is not yet known (empty);
    - participations enrolled after ``as_of`` are absent; one completed after it is
      still ``enrolled`` (no completion date, 0 hours); dropped / no-show records
      carry no date of their own and count from their enrolment;
    - sessions starting, assessments taken and outcomes measured after it are absent.

    Catalogue tables (organizations, skills, modules, module_skills,
    role_requirements) are kept whole: they carry no dates.
    """
    t = _as_ts(as_of)
    key = ("as_of", tables_key(tables), t)
    if _SHARED is None:
        return _tables_as_of(tables, t)
    hit = _lookup(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    out = _tables_as_of(tables, t)
    _remember(key, out, tables)
    _remember(("as_of", tables_key(out), t), out, out)  # idempotent
    return out


def _tables_as_of(tables: Tables, t: np.datetime64) -> Tables:
    out = dict(tables)
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
        late = p["completed_on"].to_numpy() > t
        if late.any():
            p["status"] = p["status"].astype(object).where(~late, "enrolled")
            p["completed_on"] = p["completed_on"].where(~late)
            p["hours"] = p["hours"].astype(float).where(~late, 0.0)
        out["participations"] = p
    return out


def _schedule(tables: Tables, as_of: date | str | pd.Timestamp | None) -> pd.DataFrame | None:
    """Sessions (all of them: a schedule) with ``free`` seats as of ``as_of``."""
    t = None if as_of is None else _as_ts(as_of)
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
            known = p[(p["enrolled_on"].to_numpy() <= _as_ts(as_of))]
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


def admissible(history: sp.csr_matrix, prereq: sp.csr_matrix) -> np.ndarray:
    """Dense bool (people × modules): not yet completed and every prerequisite completed."""
    need = np.asarray(prereq.sum(axis=1)).ravel()
    have = np.asarray((history @ prereq.T.astype(np.float32)).todense())
    done = np.asarray(history.todense()) > 0
    return (have >= need[None, :]) & ~done


@dataclass
class Batch:
    """One block of people to score: ids, rows in the fitted vocabulary (−1 = unknown)
    and their completion history (CSR, people × modules)."""

    staff_ids: np.ndarray
    rows: np.ndarray
    history: sp.csr_matrix
    prereq: sp.csr_matrix | None = None
    #: True when blocked modules may be offered through their prerequisites: models
    #: that restrict their candidates to admissible modules should also score those
    #: (``candidates()``).
    offer: bool = False
    _adm: np.ndarray | None = field(default=None, repr=False)

    def candidates(self) -> np.ndarray:
        """Modules a model should score: admissible ones, and with ``offer`` also those
        held back only by unmet prerequisites (not completed)."""
        adm = self.admissible()
        if not self.offer:
            return adm
        return adm | ~(np.asarray(self.history.todense()) > 0)

    def admissible(self) -> np.ndarray:
        """``admissible(history, prereq)``, computed once per batch."""
        if self._adm is None:
            self._adm = admissible(self.history, self.prereq)
        return self._adm


def offer_prerequisites(
    scores: np.ndarray, batch: Batch, allowed: np.ndarray, rounds: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Scores with blocked modules' scores passed to their missing prerequisites.

    A module is *blocked* for a person when they have not completed it and some
    prerequisite is missing.  Each missing prerequisite ``p`` of a blocked module ``j``
    (``p`` not completed, ``allowed[p]``) receives ``j``'s score; a blocked ``p``
    passes it on to its own missing prerequisites (up to ``rounds`` links).  Where the
    received score beats the module's own, it replaces it and ``via`` names ``j``
    (the module it unlocks directly); elsewhere ``via`` is −1.  Ties go to the
    blocked module first in catalogue order.  Only admissible modules gain: the
    caller removes the rest as before."""
    adm = batch.admissible()
    done = np.asarray(batch.history.todense()) > 0
    blocked = ~adm & ~done
    prereq = batch.prereq.tocsr()
    n, n_items = scores.shape
    passing = np.where(blocked, scores, -np.inf)
    best = np.full((n, n_items), -np.inf)
    via = np.full((n, n_items), -1, dtype=np.int64)
    needs = np.flatnonzero(np.diff(prereq.indptr))
    for _ in range(rounds):
        changed = False
        for j in needs:
            src = passing[:, j]
            if not np.isfinite(src).any():
                continue
            for p in prereq.indices[prereq.indptr[j] : prereq.indptr[j + 1]]:
                if not allowed[p]:
                    continue
                gain = (src > best[:, p]) & ~done[:, p]
                if gain.any():
                    best[gain, p] = src[gain]
                    via[gain, p] = j
                    changed = True
        passing = np.where(blocked, np.maximum(passing, best), -np.inf)
        if not changed:
            break
    take = adm & (best > scores)
    out = np.where(take, best, scores)
    return out, np.where(take, via, -1)


class Recommender(BaseEstimator):
    """Base class of module recommenders (see the module docstring)."""

    reason: ClassVar[str] = "recommended"

    def fit(
        self,
        tables: Tables,
        as_of: date | str | pd.Timestamp | None = None,
        policy: Policy | str | None = None,
    ) -> Self:
        """Learn from the records known on ``as_of``.  With a ``policy`` (a
        ``Policy`` or a preset name), people behind on its requirement get the modules
        that count toward it first (``models.quota``)."""
        schedule = _schedule(tables, as_of)
        if as_of is not None:
            tables = tables_as_of(tables, as_of)
        self.data_ = build_interactions(tables)
        self.schedule_ = schedule
        self.quota_ = None
        #: the policy fitted for (a ``Policy``; None = none): a saved model's answers
        #: depend on it, so a service checks it before reusing one
        self.policy_ = None
        if policy is not None:
            from engine.policy import load_policy
            from models.quota import quota_state

            self.policy_ = load_policy(policy) if isinstance(policy, str) else policy
            self.quota_ = quota_state(tables, self.data_, self.policy_, as_of)
        self._fit(self.data_, tables)
        return self

    def recommend(
        self, staff_ids: Sequence[str], k: int = 10, filters: Filters | None = None
    ) -> pd.DataFrame:
        if not hasattr(self, "data_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(tables) first")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        filters = filters or Filters()
        ids = np.asarray([str(s) for s in staff_ids], dtype=object)
        static = self._static_mask(filters)
        parts = []
        for lo in range(0, len(ids), _CHUNK):
            chunk = ids[lo : lo + _CHUNK]
            rows = self.data_.rows(chunk)
            offer = filters.prerequisites and filters.offer_prerequisites
            batch = Batch(chunk, rows, self.data_.history(rows), self.data_.prereq, offer)
            scores = np.asarray(self._scores(batch), dtype=np.float64)
            if scores.shape != (len(chunk), len(self.data_.items)):
                raise ValueError(
                    f"{type(self).__name__}._scores returned shape {scores.shape}, "
                    f"expected {(len(chunk), len(self.data_.items))}"
                )
            scores = np.where(np.isnan(scores), -np.inf, scores)
            scores[:, ~static] = -np.inf
            via = None
            if filters.prerequisites:
                if offer:
                    scores, via = offer_prerequisites(scores, batch, static)
                scores[~batch.admissible()] = -np.inf
            elif filters.exclude_completed:
                scores[np.asarray(batch.history.todense()) > 0] = -np.inf
            parts.append(self._top_k(batch, scores, k, self._quota_first(batch), via))
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in RECOMMEND_COLUMNS})
        return pd.concat(parts, ignore_index=True)

    # -- hooks ------------------------------------------------------------------------
    def _fit(self, data: Interactions, tables: Tables) -> None:
        raise NotImplementedError

    def _scores(self, batch: Batch) -> np.ndarray:
        raise NotImplementedError

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        return np.full(len(person), self.reason, dtype=object)

    # -- helpers ----------------------------------------------------------------------
    def _titles(self) -> np.ndarray:
        mods = self.data_.modules
        if "title" in mods:
            return mods["title"].fillna(mods["module_id"]).astype(str).to_numpy(dtype=object)
        return self.data_.items.to_numpy(dtype=object)

    def _static_mask(self, filters: Filters) -> np.ndarray:
        mods = self.data_.modules
        keep = np.ones(len(mods), bool)
        if filters.modes is not None:
            keep &= mods["mode"].isin(filters.modes).to_numpy()
        if filters.tiers is not None:
            keep &= mods["tier"].isin(filters.tiers).to_numpy()
        if filters.exclude_modules:
            keep &= ~self.data_.items.isin(list(filters.exclude_modules))
        if filters.sessions_from is not None or filters.sessions_to is not None:
            keep &= self._bookable(filters.sessions_from, filters.sessions_to)
        return keep

    def _bookable(self, start: date | str | None, end: date | str | None) -> np.ndarray:
        """Per module: self-paced online, or a session starting in [start, end] with a
        free seat (see ``Filters``)."""
        mods = self.data_.modules
        ok = (mods["mode"].astype(str) == "online").to_numpy()
        ses = getattr(self, "schedule_", None)
        if ses is None or ses.empty:
            return ok
        sel = ses["free"].to_numpy() > 0
        if start is not None:
            sel &= ses["starts_on"].to_numpy() >= _as_ts(start)
        if end is not None:
            sel &= ses["starts_on"].to_numpy() <= _as_ts(end)
        return ok | self.data_.items.isin(ses.loc[sel, "module_id"].unique())

    def _quota_first(self, batch: Batch) -> np.ndarray | None:
        """people × modules bool: the module counts toward a requirement the person is
        behind on (None without a policy)."""
        q = getattr(self, "quota_", None)
        if q is None:
            return None
        behind = np.zeros(len(batch.rows), bool)
        known = batch.rows >= 0
        behind[known] = q.behind[batch.rows[known]]
        return behind[:, None] & q.counts[None, :]

    def _top_k(
        self,
        batch: Batch,
        scores: np.ndarray,
        k: int,
        first: np.ndarray | None = None,
        via: np.ndarray | None = None,
    ) -> pd.DataFrame:
        n, n_items = scores.shape
        kk = min(k, n_items)
        # order: modules in ``first`` (quota) before the rest, then score descending,
        # then module id (column order) ascending
        keys = [np.broadcast_to(np.arange(n_items), scores.shape), -scores]
        if first is not None:
            keys.append(~first)
        order = np.lexsort(tuple(keys), axis=1)
        top = order[:, :kk]
        top_scores = np.take_along_axis(scores, top, axis=1)
        person = np.repeat(np.arange(n), kk)
        item = top.ravel()
        val = top_scores.ravel()
        ok = np.isfinite(val)
        person, item, val = person[ok], item[ok], val[ok]
        rank = (np.tile(np.arange(1, kk + 1), n))[ok]
        reasons = self._reasons(batch, person, item)
        if via is not None and len(person):
            titles = self._titles()
            for j in np.flatnonzero(via[person, item] >= 0):
                reasons[j] = f"prerequisite for {titles[via[person[j], item[j]]]}"
        if first is not None and len(person):
            q = self.quota_
            for j in np.flatnonzero(first[person, item]):
                reasons[j] = f"{reasons[j]}; {q.reason(int(batch.rows[person[j]]))}"
        return pd.DataFrame(
            {
                "staff_id": batch.staff_ids[person],
                "rank": rank.astype(np.int64),
                "module_id": self.data_.items.to_numpy()[item],
                "score": val,
                "reason": reasons,
            }
        )
