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
``tests/engine/test_stats.py``).  SQL reads only: the assessments joined with their
staff, and the completions of modules that are someone's prerequisite.

``warm(store)`` is meant to run right after a write (``learnmap ingest``): it creates
the ``staff_id`` indexes the targeted reads use (a schema change, so it comes first)
and then builds the facts of the new data version, so that the next one-person call
reads no whole table at all.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import sqlalchemy as sa

from engine.reads import cached_frame, ensure_person_indexes
from engine.store import METADATA, Store, _fetch

log = logging.getLogger(__name__)

#: bump when the facts' definition changes (part of the cache key)
FACTS = "score_facts|v1"


def score_facts(store: Store) -> pd.DataFrame:
    """Every assessment with its as-of-independent context (module docstring), cached
    by data version."""
    return cached_frame(store, FACTS, None, lambda st, _: _score_facts_sql(st))


def warm(store: Store) -> None:
    """Prepare the store for one-person reads after a write: indexes, then score facts."""
    ensure_person_indexes(store)
    score_facts(store)


def _dates(values: pd.Series) -> np.ndarray:
    """SQLite gives ISO text, PostgreSQL ``date`` objects: both to datetime64[ns]."""
    return pd.to_datetime(values, format="ISO8601").to_numpy().astype("datetime64[ns]")


def _frame(conn: sa.Connection, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    """A query's rows through the driver's own cursor (``engine.store._fetch``: several
    times faster than SQLAlchemy rows); the only literals are catalogue ids."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    rows = _fetch(conn, sql)
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(columns, cols, strict=True)})


def _score_facts_sql(store: Store) -> pd.DataFrame:
    store.create()
    t = METADATA.tables
    a, s, p = t["assessments"], t["staff"], t["participations"]
    mt, mst, rrt = t["modules"], t["module_skills"], t["role_requirements"]
    with store.engine.connect() as conn:
        cols = ["staff_id", "module_id", "score", "taken_on"]
        f = _frame(conn, sa.select(*[a.c[c] for c in cols]), cols)
        staff = _frame(
            conn, sa.select(s.c.staff_id, s.c.hired_on, s.c.role), ["staff_id", "hired_on", "role"]
        )
        modules = _frame(
            conn, sa.select(mt.c.module_id, mt.c.prerequisites), ["module_id", "prerequisites"]
        )
        ms = _frame(conn, sa.select(mst.c.module_id, mst.c.skill_id), ["module_id", "skill_id"])
        rr = _frame(conn, sa.select(rrt.c.role, rrt.c.skill_id), ["role", "skill_id"])
        prereq = _prerequisites(modules)
        needed = sorted(set(prereq["p"]) & set(modules["module_id"]))
        cols = ["staff_id", "module_id", "enrolled_on", "completed_on"]
        done = _frame(
            conn,
            sa.select(*[p.c[c] for c in cols]).where(
                p.c.status == "completed",
                p.c.completed_on.is_not(None),
                p.c.module_id.in_(needed or [""]),
            ),
            cols,
        )
    f = f[f["module_id"].isin(modules["module_id"])]
    f = f.merge(staff, on="staff_id")  # every assessment has its person (foreign key)
    f = f.sort_values(["staff_id", "taken_on", "module_id", "score"], kind="stable")
    f = f.reset_index(drop=True)
    taken = _dates(f["taken_on"])
    out = pd.DataFrame(
        {
            "staff": pd.factorize(f["staff_id"], sort=True)[0].astype(np.int32),
            "module_id": pd.Categorical(f["module_id"], categories=sorted(modules["module_id"])),
            "score": f["score"].to_numpy(float),
            "taken_on": taken,
            "hired_on": _dates(f["hired_on"]),
            "rel": _relevance(f, ms, rr),
            "ready_from": _ready_from(f, taken, prereq, done),
        }
    )
    log.info("score facts: %d assessments", len(out))
    return out


def _prerequisites(modules: pd.DataFrame) -> pd.DataFrame:
    """(module ``m`` → prerequisite ``p``) pairs, as ``context_flags`` reads them."""
    pre = modules.set_index("module_id")["prerequisites"].fillna("").astype(str)
    pairs = pre.str.split("|").explode()
    out = pd.DataFrame({"m": pairs.index.to_numpy(), "p": pairs.to_numpy()})
    return out[out["p"] != ""].drop_duplicates().reset_index(drop=True)


def _relevance(f: pd.DataFrame, ms: pd.DataFrame, rr: pd.DataFrame) -> np.ndarray:
    """1 where one of the person's roles requires a skill the module teaches."""
    rm = rr.merge(ms, on="skill_id")[["role", "module_id"]].drop_duplicates()
    codes, roles = pd.factorize(f["role"].fillna("").astype(str))
    mcodes, mods = pd.factorize(f["module_id"])
    hit = np.zeros((len(roles), len(mods)), dtype=np.int8)
    relevant = set(zip(rm["role"], rm["module_id"], strict=True))
    for i, combined in enumerate(roles):
        for role in set(combined.split("|")):
            for jm, mod in enumerate(mods):
                if (role, mod) in relevant:
                    hit[i, jm] = 1
    return hit[codes, mcodes]


def _ready_from(
    f: pd.DataFrame, taken: np.ndarray, prereq: pd.DataFrame, done: pd.DataFrame
) -> np.ndarray:
    """Per fact row, the ``ready_from`` date (module docstring); NaT where never."""
    out = np.full(len(f), np.datetime64("NaT"), dtype="datetime64[ns]")
    if prereq.empty or f.empty:
        return out
    need = prereq.groupby("m").size()
    rows = pd.DataFrame(
        {"j": np.arange(len(f)), "staff_id": f["staff_id"].to_numpy(), "m": f["module_id"]}
    )
    rows = rows[rows["m"].isin(need.index)].merge(prereq, on="m")
    done = pd.DataFrame(
        {
            "staff_id": done["staff_id"].to_numpy(),
            "p": done["module_id"].to_numpy(),
            "enrolled_on": _dates(done["enrolled_on"]),
            "completed_on": _dates(done["completed_on"]),
        }
    )
    hits = rows.merge(done, on=["staff_id", "p"])
    hits = hits[hits["completed_on"].to_numpy() < taken[hits["j"].to_numpy()]]
    first = hits.groupby(["j", "p"], as_index=False)["enrolled_on"].min()
    per = first.groupby("j").agg(n=("p", "size"), ready=("enrolled_on", "max"))
    m_of = f["module_id"].to_numpy()[per.index.to_numpy()]
    ok = per["n"].to_numpy() == need.reindex(m_of).to_numpy()
    out[per.index.to_numpy()[ok]] = per["ready"].to_numpy()[ok]
    return out
