"""Targeted reads from the store: what one person's profile needs, without loading
every table (issue 6, item 11).

``person_tables(store, staff_id)`` returns the canonical tables restricted to one
staff member — their ``staff`` row, their organization, the catalogue (skills,
modules, module_skills, role_requirements), and their own sessions, participations,
assessments and outcomes — with the dtypes ``Store.load`` gives, so
``features.snapshot.snapshot`` works on it unchanged.  Reading by ``staff_id`` uses
indexes on the three event tables, created here on first use if the store lacks them
(``CREATE INDEX IF NOT EXISTS``; ``engine/store/`` does not declare them).

Population statistics a person's answer depends on (the score facts of
``engine.stats`` and, per as-of date, the mastery priors and context offsets computed
from them in ``features.person``) are cached on disk by ``cached_frame``, keyed by
the store's data version (``fingerprint``): the SQLite file's size
and modification time (and its WAL's), or PostgreSQL's current transaction snapshot
(which moves whenever a write transaction starts or commits anywhere in the cluster:
more invalidation than needed, never a stale answer).  Any write to the store changes
the version, so a stale statistic is never used; other back ends are not cached.  Writing a version's file removes the same statistic's files of older versions.  The cache lives in ``LEARNMAP_CACHE_DIR``, else next to a SQLite file
(``<dir>/.learnmap-cache``), else ``~/.cache/learnmap``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from engine.outputs import atomic_path
from engine.schema import TABLE_ORDER, TABLES
from engine.store import METADATA, Store, _restore_types

log = logging.getLogger(__name__)

ENV_CACHE = "LEARNMAP_CACHE_DIR"
CATALOGUE = ("skills", "modules", "module_skills", "role_requirements")
EVENTS = ("participations", "assessments", "outcomes")


def ensure_person_indexes(store: Store) -> None:
    """Indexes on ``staff_id`` of the event tables (idempotent; skipped if read-only)."""
    store.create()
    try:
        with store.engine.begin() as conn:
            for name in EVENTS:
                conn.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS ix_{name}_staff_id ON {name} (staff_id)"
                )
    except sa.exc.SQLAlchemyError as exc:  # read-only database: reads still work
        log.warning("could not create staff_id indexes: %s", exc)


def _read(conn: sa.Connection, name: str, where: sa.ColumnElement | None = None) -> pd.DataFrame:
    table = METADATA.tables[name]
    query = sa.select(*[table.c[c] for c in TABLES[name].names])  # not ``row_hash``
    if where is not None:
        query = query.where(where)
    return _restore_types(name, pd.read_sql(query, conn))


def person_tables(store: Store, staff_id: str) -> dict[str, pd.DataFrame] | None:
    """The canonical tables restricted to ``staff_id`` (None if no such person)."""
    ensure_person_indexes(store)
    t = METADATA.tables
    with store.engine.connect() as conn:
        staff = _read(conn, "staff", t["staff"].c.staff_id == staff_id)
        if staff.empty:
            return None
        out = {"staff": staff}
        out["organizations"] = _read(
            conn, "organizations", t["organizations"].c.org_id == staff["org_id"].iloc[0]
        )
        for name in CATALOGUE:
            out[name] = _read(conn, name)
        for name in EVENTS:
            out[name] = _read(conn, name, t[name].c.staff_id == staff_id)
        ids = [s for s in out["participations"]["session_id"].dropna().unique() if s]
        out["sessions"] = _read(conn, "sessions", t["sessions"].c.session_id.in_(ids))
    return {name: out[name] for name in TABLE_ORDER if name in out}


def fingerprint(store: Store) -> str | None:
    """A string that changes whenever the store's data changes (None: unknown)."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        db = url.database
        if not db or db == ":memory:":
            return None
        parts = []
        for path in (Path(db), Path(db + "-wal")):
            if path.exists():
                st = path.stat()
                parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
        return "|".join(parts) or None
    if url.get_backend_name() == "postgresql":
        # the cluster's transaction snapshot (xmin:xmax:in-progress xids) moves with
        # every write transaction that starts or ends, and not with reads
        try:
            with store.engine.connect() as conn:
                snap = conn.execute(sa.text("SELECT txid_current_snapshot()::text")).scalar_one()
        except sa.exc.SQLAlchemyError:
            return None
        return f"pg:{snap}"
    return None


def cache_dir(store: Store) -> Path:
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / ".learnmap-cache"
    return Path.home() / ".cache" / "learnmap"


def cached_frame(
    store: Store,
    name: str,
    as_of: date | None,
    compute: Callable[[Store, date | None], pd.DataFrame],
) -> pd.DataFrame:
    """``compute(store, as_of)``, a population statistic, cached on disk under ``name``
    by the store's data version (see the module docstring) and ``as_of`` (None: a
    statistic of the data version alone); columns come back with their dtypes (text as
    object, categorical as categorical)."""
    version = fingerprint(store)
    if version is None:
        return compute(store, as_of)
    day = "" if as_of is None else pd.Timestamp(as_of).date()
    owner = _digest(f"{name}|{store.url}")  # one statistic of one store
    path = cache_dir(store) / f"{owner}-{_digest(version)}-{_digest(str(day))}.npz"
    if path.exists():
        try:
            return _read_npz(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            # a damaged file is recomputed
            log.warning("ignoring unreadable cache %s: %s", path, exc)
    frame = compute(store, as_of)
    try:
        _write_npz(frame, path)
        _prune(path)
    except (OSError, ValueError) as exc:
        log.warning("could not write cache %s: %s", path, exc)
    return frame


def _write_npz(frame: pd.DataFrame, path: Path) -> None:
    """A frame as plain numpy arrays (no pickles; loads in milliseconds, with no
    Parquet reader to import): categorical columns as codes + categories, text as
    fixed-width unicode, everything else as is."""
    arrays: dict[str, np.ndarray] = {"__columns__": np.array(list(frame.columns), dtype=str)}
    for i, c in enumerate(frame.columns):
        s = frame[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            arrays[f"c{i}"] = s.cat.codes.to_numpy()
            arrays[f"k{i}"] = np.asarray(s.cat.categories, dtype=str)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            if s.isna().any():
                raise ValueError(f"column {c!r}: missing text is not cached")
            arrays[f"t{i}"] = s.to_numpy(dtype=str)
        else:
            arrays[f"v{i}"] = s.to_numpy()
    with atomic_path(path, private=True) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _read_npz(path: Path) -> pd.DataFrame:
    with np.load(path, allow_pickle=False) as z:
        cols = {}
        for i, c in enumerate(z["__columns__"].tolist()):
            if f"c{i}" in z:
                cols[c] = pd.Categorical.from_codes(
                    z[f"c{i}"], categories=z[f"k{i}"].astype(object)
                )
            elif f"t{i}" in z:
                cols[c] = z[f"t{i}"].astype(object)
            else:
                cols[c] = z[f"v{i}"]
    return pd.DataFrame(cols)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prune(path: Path) -> None:
    """Remove the files of the same statistic and store from older data versions (they
    can never be read again), so the cache does not grow with every ingest."""
    owner, version, _ = path.stem.split("-")
    for old in path.parent.glob(f"{owner}-*.npz"):
        if old.stem.split("-")[1] != version:
            old.unlink(missing_ok=True)
