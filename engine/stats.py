"""Score facts: every assessment in the store with what the population statistics of
the mastery estimate need, read once per data version (issue 6, item 11).

One person's profile needs the population's skill priors and context offsets as of
a date (``features.mastery.population_statistics``).  Those depend on every score,
so computing them from the store for each new date would read the whole assessments
and participations tables.  ``score_facts(store)`` reads them once per data version
(``engine.reads.fingerprint``) into one row per assessment that does not depend on
the as-of date, cached on disk (``engine.reads.cached_frame``):

``staff``       the person as an integer code: the rank of ``staff_id`` among the
                staff with scores (the fit only groups and orders by person)
``module_id``   categorical
``score``, ``taken_on``
``hired_on``    the person's (a score counts as of a date only once they are staff)
``rel``         1 if one of the person's roles requires a skill the module teaches
``ready_from``  the first as-of date on which every prerequisite of the module counts
                as completed by the person strictly before ``taken_on``: the latest,
                over the prerequisites, of the earliest enrolment date among such
                completions (a snapshot sees a participation from its enrolment
                date); NaT if some prerequisite was not completed before the attempt
                or the module has none.  For valid data (completed on or after
                enrolment) it is before ``taken_on``.

As of a date *t*, the population's scores are the rows with ``taken_on ≤ t`` and
``hired_on ≤ t``, with context indicators ``rel`` and ``ready_from ≤ t`` — exactly
``features.mastery.context_flags`` on the snapshot as of *t* (tested field by field in
``tests/engine/test_stats.py``).  Columns read: four of the assessments, three of the
staff, five of the participations, and the catalogue.

Reads are column-pruned Arrow scans (``engine.scan``; ADBC on SQLite), joined on
integer codes.

``warm(store)`` is meant to run right after a write (``learnmap ingest``): it creates
the ``staff_id`` indexes the targeted reads use (a schema change, so it comes first)
and then builds the facts of the new data version, so that the next one-person call
reads no whole table at all.
"""

from __future__ import annotations

import logging
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from engine import scan
from engine.reads import cached_frame, ensure_person_indexes
from engine.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

#: bump when the facts' definition changes (part of the cache key)
FACTS = "score_facts|v1"


def score_facts(store: Store) -> pd.DataFrame:
    """Every assessment with its as-of-independent context (module docstring), cached
    by data version."""
    return cached_frame(store, FACTS, None, lambda st, _: _score_facts_sql(st))


def warm(store: Store) -> None:
    """Prepare the store for one-person reads after a write: indexes, then score facts.
    Never fails the write it follows: on an error the facts are left to the first call
    that needs them (logged)."""
    try:
        ensure_person_indexes(store)
        score_facts(store)
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
        log.warning("score facts not prepared (built on first use instead): %s", exc)


def after_write(store: Store, result: T) -> T:
    """``warm(store)``, then ``result``: the one-line hook for a write path, e.g.
    ``return after_write(store, store.write(typed, progress=progress))``."""
    warm(store)
    return result


def _score_facts_sql(store: Store) -> pd.DataFrame:
    """Column-pruned reads (``engine.scan``: Arrow, ADBC on SQLite), joined on integer
    codes."""
    store.create()
    f = scan.read(store, "assessments", ["staff_id", "module_id", "score", "taken_on"])
    staff = scan.read(store, "staff", ["staff_id", "hired_on", "role"])
    modules = scan.read(store, "modules", ["module_id", "prerequisites"])
    ms = scan.read(store, "module_skills", ["module_id", "skill_id"])
    rr = scan.read(store, "role_requirements", ["role", "skill_id"])
    cols = ["staff_id", "module_id", "enrolled_on", "completed_on", "status"]
    done = scan.read(store, "participations", cols)
    mods = pd.Index(sorted(modules["module_id"].astype(str)))
    people = _sorted_keys(staff["staff_id"])
    order = _codes(staff["staff_id"], people)
    hired = np.empty(len(people), dtype="datetime64[ns]")
    hired[order] = staff["hired_on"].to_numpy()
    roles, role_names = pd.factorize(staff["role"].fillna("").astype(str))
    role_of = np.empty(len(people), dtype=np.int64)
    role_of[order] = roles
    s = _codes(f["staff_id"], people)
    m = _codes(f["module_id"], mods)
    ok = (s >= 0) & (m >= 0)  # every assessment has both (foreign keys)
    s, m, f = s[ok], m[ok], f[ok]
    taken = f["taken_on"].to_numpy().astype("datetime64[ns]")
    # the canonical order of ``features.mastery.population_statistics`` (person, date,
    # module, score): the per-date fit then need not sort
    order = np.lexsort((f["score"].to_numpy(float), m, taken.view(np.int64), s))
    s, m, taken, f = s[order], m[order], taken[order], f.iloc[order]
    prereq = _prerequisites(modules, mods)
    done = done[
        (done["status"] == "completed").to_numpy() & done["completed_on"].notna().to_numpy()
    ]
    out = pd.DataFrame(
        {
            "staff": pd.factorize(s, sort=True)[0].astype(np.int32),
            "module_id": pd.Categorical.from_codes(m, categories=mods),
            "score": f["score"].to_numpy(float),
            "taken_on": taken,
            "hired_on": hired[s],
            "rel": _relevance(role_of[s], role_names, m, mods, ms, rr),
            "ready_from": _ready_from(s, m, taken, prereq, done, people, mods),
        }
    )
    log.info("score facts: %d assessments", len(out))
    return out


def _sorted_keys(values: pd.Series) -> pa.Array:
    """The distinct ``values`` as text, sorted (code-point order, as ``sorted``)."""
    keys = pc.unique(pa.array(values).cast(pa.large_string()))
    return keys.take(pc.sort_indices(keys))


def _codes(values: pd.Series, keys: pa.Array | pd.Index) -> np.ndarray:
    """Position of each of ``values`` in ``keys`` (−1 if absent): ``Index.get_indexer``
    by Arrow's hash kernel, ~10× faster on millions of ids."""
    if isinstance(keys, pd.Index):
        keys = pa.array(keys.to_numpy(dtype=object)).cast(pa.large_string())
    found = pc.index_in(pa.array(values).cast(pa.large_string()), value_set=keys)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _prerequisites(modules: pd.DataFrame, mods: pd.Index) -> pd.DataFrame:
    """(module code ``m`` → prerequisite code ``p``) pairs, as ``context_flags`` reads
    them; a prerequisite missing from the catalogue is ``p = −1`` (never completed)."""
    pre = pd.Series(
        modules["prerequisites"].fillna("").astype(str).to_numpy(),
        index=mods.get_indexer(modules["module_id"].astype(str)),
    )
    pairs = pre.str.split("|").explode()
    pairs = pairs[pairs.to_numpy() != ""]
    out = pd.DataFrame(
        {"m": pairs.index.to_numpy(np.int64), "p": mods.get_indexer(pairs.astype(str))}
    )
    return out.drop_duplicates().reset_index(drop=True)


def _relevance(
    role: np.ndarray,
    role_names: pd.Index,
    m: np.ndarray,
    mods: pd.Index,
    ms: pd.DataFrame,
    rr: pd.DataFrame,
) -> np.ndarray:
    """1 where one of the person's roles requires a skill the module teaches."""
    rm = rr.merge(ms, on="skill_id")
    relevant = set(zip(rm["role"].astype(str), rm["module_id"].astype(str), strict=True))
    hit = np.zeros((max(len(role_names), 1), len(mods)), dtype=np.int8)
    for i, combined in enumerate(role_names):
        for name in set(str(combined).split("|")):
            for k, mod in enumerate(mods):
                hit[i, k] = hit[i, k] or (name, mod) in relevant
    return hit[role, m]


def _ready_from(
    s: np.ndarray,
    m: np.ndarray,
    taken: np.ndarray,
    prereq: pd.DataFrame,
    done: pd.DataFrame,
    people: pa.Array,
    mods: pd.Index,
) -> np.ndarray:
    """Per fact row, the ``ready_from`` date (module docstring); NaT where never."""
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    if prereq.empty or len(s) == 0:
        return out
    need = np.bincount(prereq["m"].to_numpy(), minlength=len(mods))
    j = np.flatnonzero(need[m] > 0)
    rows = pd.DataFrame({"j": j, "m": m[j], "s": s[j]}).merge(prereq, on="m")
    cs = _codes(done["staff_id"], people)
    cp = _codes(done["module_id"], mods)
    keep = (cs >= 0) & (cp >= 0)
    comp = pd.DataFrame(
        {
            "key": cs[keep].astype(np.int64) * len(mods) + cp[keep],
            "enrolled_on": done["enrolled_on"].to_numpy()[keep],
            "completed_on": done["completed_on"].to_numpy()[keep],
        }
    )
    rows = rows[rows["p"].to_numpy() >= 0]
    rows = rows.assign(key=rows["s"].to_numpy(np.int64) * len(mods) + rows["p"].to_numpy())
    hits = rows.merge(comp, on="key")
    hits = hits[hits["completed_on"].to_numpy() < taken[hits["j"].to_numpy()]]
    first = hits.groupby(["j", "p"], as_index=False)["enrolled_on"].min()
    per = first.groupby("j").agg(n=("p", "size"), ready=("enrolled_on", "max"))
    jj = per.index.to_numpy()
    ok = per["n"].to_numpy() == need[m[jj]]
    out[jj[ok]] = per["ready"].to_numpy()[ok]
    return out
