"""What a module is and what a person chose, as vectors (for ``models.recommend.content``).

``ItemContent.build(tables, items)`` describes every module from the catalogue alone —
nothing about who took it — so a module nobody has taken yet has a full description:

- ``skill``: the module's skills and their weights (``module_skills``), each row
  scaled to sum 1; with more than ``max_skill_dims`` skills, reduced by a truncated SVD;
- ``text``: the title as character 2–3-grams within word boundaries
  (``TfidfVectorizer(analyzer="char_wb")``: Chinese and English alike, no tokenizer),
  reduced by a truncated SVD to ``text_dims`` (absent when titles share no n-gram);
- ``kind``: tier, mode (one-hot), log hours, has prerequisites, log session length.

``topic`` = [skill, text] and ``vector`` = [topic, kind], each column scaled to unit
standard deviation over the catalogue so that no block dominates by its units.

``choices(tables, users, items)`` is the person × module matrix of *choices* —
participations of any status but ``no_show`` (a choice is an enrolment, whether or not
it was completed); ``roles(tables, users)`` the person × (role, organization type)
one-hot matrix.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from features.asof import Tables

log = logging.getLogger(__name__)

__all__ = ["ItemContent", "choices", "roles"]


def _svd(x: np.ndarray | sp.spmatrix, dims: int, seed: int) -> np.ndarray:
    """Up to ``dims`` SVD dimensions that vary over the catalogue (a dimension every
    module shares, or one that is rounding noise, says nothing and is dropped)."""
    n_comp = min(dims, min(x.shape) - 1)
    if n_comp < 1:
        return np.zeros((x.shape[0], 0))
    out = TruncatedSVD(n_comp, random_state=seed).fit_transform(x)
    return out[:, out.std(axis=0) > 1e-6]


def _z(x: np.ndarray) -> np.ndarray:
    """One column, centred and scaled to unit standard deviation (0 if constant)."""
    sd = x.std()
    return ((x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x))[:, None]


@dataclass
class ItemContent:
    """Per-module content vectors, rows in the order of ``items`` (see module docstring).

    skill_raw : items × skills, weights (rows sum to 1; zero rows = no skill).
    skill_ids : the skills' ids (columns of ``skill_raw``).
    text      : items × n-grams, L2-normalised TF-IDF of the titles (CSR; may have 0 columns).
    topic     : items × t, skill and title dimensions (standardised).
    kind      : items × q, tier / mode / hours / prerequisites / session length (standardised).
    """

    skill_raw: np.ndarray
    skill_ids: pd.Index
    text: sp.csr_matrix
    topic: np.ndarray
    kind: np.ndarray

    @cached_property
    def vector(self) -> np.ndarray:
        return np.hstack([self.topic, self.kind])

    @cached_property
    def text_gram(self) -> np.ndarray:
        """items × items title similarity (dense float32, computed once: scoring one
        person is then a row times it, not a sparse product over the catalogue)."""
        return np.asarray((self.text @ self.text.T).todense(), dtype=np.float32)

    @cached_property
    def skill_any(self) -> np.ndarray:
        """skills × items: 1 where the module has the skill."""
        return (self.skill_raw > 0).T.astype(float)

    @classmethod
    def build(
        cls,
        tables: Tables,
        items: pd.Index,
        max_skill_dims: int = 12,
        text_dims: int = 6,
        random_state: int = 0,
    ) -> ItemContent:
        mods = tables["modules"].assign(module_id=lambda f: f["module_id"].astype(str))
        mods = mods.drop_duplicates("module_id").set_index("module_id").reindex(items)
        skill_raw, skill_ids = _skills(tables, items)
        sums = skill_raw.sum(axis=1, keepdims=True)
        skill_raw = np.divide(skill_raw, sums, out=np.zeros_like(skill_raw), where=sums > 0)
        skill = skill_raw
        if skill.shape[1] > max_skill_dims:
            skill = _svd(skill, max_skill_dims, random_state)
        text = _titles(mods)
        text_vec = (
            _svd(text, text_dims, random_state) if text.shape[1] > 1 else np.zeros((len(items), 0))
        )
        topic = np.hstack([skill, text_vec])
        kind = _kind(tables, mods, items)
        return cls(skill_raw, skill_ids, text, topic, kind)


def _skills(tables: Tables, items: pd.Index) -> tuple[np.ndarray, pd.Index]:
    ms = tables.get("module_skills")
    if ms is None or ms.empty:
        return np.zeros((len(items), 0)), pd.Index([], dtype=object)
    ids = pd.Index(np.unique(ms["skill_id"].astype(str).to_numpy(dtype=object)), dtype=object)
    out = np.zeros((len(items), len(ids)))
    r = items.get_indexer(ms["module_id"].astype(str).to_numpy(dtype=object))
    c = ids.get_indexer(ms["skill_id"].astype(str).to_numpy(dtype=object))
    ok = (r >= 0) & (c >= 0)
    w = pd.to_numeric(ms["weight"], errors="coerce").fillna(1.0).to_numpy(float)
    np.add.at(out, (r[ok], c[ok]), w[ok])
    return out, ids


_DIGITS = re.compile(r"[0-9０-９]+")


def _no_digits(title: str) -> str:
    """Lower-cased, digits removed: numbers (years, codes, ids) say nothing about a topic."""
    return _DIGITS.sub(" ", title.lower())


def _titles(mods: pd.DataFrame) -> sp.csr_matrix:
    titles = mods["title"].fillna("").astype(str).tolist() if "title" in mods else []
    if not titles or not any(t.strip() for t in titles):
        return sp.csr_matrix((len(mods), 0))
    vec = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 3),
        min_df=2,
        sublinear_tf=True,
        preprocessor=_no_digits,
    )
    try:
        return sp.csr_matrix(vec.fit_transform(titles))
    except ValueError:  # no n-gram shared by two titles
        return sp.csr_matrix((len(mods), 0))


def _kind(tables: Tables, mods: pd.DataFrame, items: pd.Index) -> np.ndarray:
    cols = []
    for col in ("tier", "mode"):
        if col in mods:
            cols.append(pd.get_dummies(mods[col].fillna("?").astype(str)).to_numpy(float))
    hours = pd.to_numeric(mods.get("hours"), errors="coerce") if "hours" in mods else None
    if hours is not None:
        cols.append(_z(np.log1p(hours.fillna(hours.median()).fillna(0).to_numpy(float))))
    if "prerequisites" in mods:
        pre = mods["prerequisites"].fillna("").astype(str).str.strip().ne("")
        cols.append(pre.to_numpy(float)[:, None])
    ses = tables.get("sessions")
    if ses is not None and len(ses):
        days = (pd.to_datetime(ses["ends_on"]) - pd.to_datetime(ses["starts_on"])).dt.days
        med = days.groupby(ses["module_id"].astype(str).to_numpy()).median()
        length = med.reindex(items).astype(float)
        cols.append(_z(np.log1p(length.fillna(length.median()).fillna(0).clip(lower=0)).to_numpy()))
    return np.hstack(cols) if cols else np.zeros((len(items), 0))


def choices(
    tables: Tables, users: pd.Index, items: pd.Index, until: pd.Timestamp | None = None
) -> sp.csr_matrix:
    """Person × module, 1 where the person enrolled (any status but ``no_show``),
    optionally only enrolments dated on or before ``until``."""
    p = tables["participations"]
    keep = (p["status"].astype(str) != "no_show").to_numpy().copy()
    if until is not None:
        keep &= (p["enrolled_on"] <= until).to_numpy()
    p = p[keep]
    r = users.get_indexer(p["staff_id"].astype(str).to_numpy(dtype=object))
    c = items.get_indexer(p["module_id"].astype(str).to_numpy(dtype=object))
    ok = (r >= 0) & (c >= 0)
    m = sp.csr_matrix(
        (np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=(len(users), len(items))
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def roles(tables: Tables, users: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Person × (role, organization type) one-hot; columns named ``role:x`` / ``org:y``.
    Constant columns are dropped (no information: e.g. everyone ``other``)."""
    staff = tables["staff"].assign(staff_id=lambda f: f["staff_id"].astype(str))
    staff = staff.drop_duplicates("staff_id").set_index("staff_id").reindex(users)
    parts, names = [], []
    role = staff["role"].fillna("other").astype(str).str.get_dummies(sep="|")
    parts.append(role.to_numpy(float))
    names += [f"role:{c}" for c in role.columns]
    orgs = tables.get("organizations")
    if orgs is not None and "org_type" in orgs and "org_id" in staff:
        ot = orgs.set_index(orgs["org_id"].astype(str))["org_type"].astype(str)
        kind = pd.get_dummies(staff["org_id"].astype(str).map(ot).fillna("?"))
        parts.append(kind.to_numpy(float))
        names += [f"org:{c}" for c in kind.columns]
    x = np.hstack(parts) if parts else np.zeros((len(users), 0))
    varying = x.std(axis=0) > 0 if len(x) else np.zeros(x.shape[1], bool)
    return x[:, varying], [n for n, v in zip(names, varying, strict=True) if v]
