"""Content: scores a module from what it is, so a module nobody has taken yet gets a
real score.

A module is described by its catalogue entry alone (``content_features.ItemContent``:
skills and weights, title character n-grams in Chinese or English, tier / mode / hours /
prerequisites / session length).  A person is described by the modules they chose
before (the mean content vector of their enrolments of any status but ``no_show`` —
a choice is an enrolment), by their roles and organization type, and by whether they
have any history.  What connects the two is learned, not assumed: a logistic
regression on (person, module) pairs whose features are

- ``share``: the weighted share of the person's past choices that share a skill with
  the module (what ``content-affinity`` ranks by), and ``text``: the title similarity
  to their past choices;
- ``related``: the person's skills carried to the skills chosen with them
  (``skill_links``: EASE on people's skill shares) and read on the module's skills —
  a topic spans several skills, and a new module's skill may be one the person has
  not had yet;
- ``follows``: the module has a prerequisite the person chose;
- the module's content vector, separately for people with and without a history
  (which kinds of modules are chosen at all);
- person profile ⊗ module content (which kinds of modules people with which histories
  choose — e.g. discipline A → discipline B) and role ⊗ module content.

Training rows come from time windows inside the fitted data (never after it): for
``w`` in ``0 … windows − 1`` the window is ``(t, t + holdout_days]`` with
``t = newest − (w + 1) · holdout_days``; the person's history is their choices up to
``t``; the positives are the modules they enrolled in during the window; the negatives
are up to ``n_negatives`` other modules *offered* in the window (a session starting in
it; every module when the window has no sessions).  The model is linear in those
features, so scoring is a few matrix products (person profile × learned matrix ×
module content), fast for one person and for everyone.

Measured on Canvas Network (real learners; the courses offered next quarter, all
new; tuned on the 2014-07-01 cut only): see ``README.md`` and the closing note of
issue 20 for the figures and for what did not win (demographics; content only
through the share).

Parameters
----------
holdout_days : int, default 90
    Length of each training window (days).
windows : int, default 2
    Number of training windows, newest first.
C : float, default 0.1
    Inverse L2 strength of the logistic regression.
max_train_people : int, default 3000
    People sampled per window (those with a choice in it).
n_negatives : int, default 30
    Offered-but-not-chosen modules sampled per person and window.
max_skill_dims, text_dims : int
    Sizes of the skill and title blocks of a module's content vector.
random_state : int, default 0

Attributes
----------
content_ : ItemContent
    Per-module content vectors (``models.recommend.content_features``).
choices_ : scipy.sparse.csr_matrix
    Person × module enrolments known at fit (the people's histories).
roles_ : numpy.ndarray
    Person × role / organization-type one-hot.
weights_ : dict[str, numpy.ndarray] or None
    The learned weights in bilinear form (None: too little data to learn; the model
    then ranks by ``share`` + ``text``).
new_ : numpy.ndarray
    Per module, True when nobody had enrolled in it at fit.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from features.asof import Tables
from features.offerings import offered_module_ids
from models.recommend.base import Recommender
from models.recommend.content_features import ItemContent, choices, roles
from models.recommend.content_reasons import content_reasons
from models.recommend.data import Interactions
from models.recommend.ease import ease_weights
from models.recommend.filters import Batch

log = logging.getLogger(__name__)

__all__ = ["ContentModel", "PairDesign", "offered_between"]


class PairDesign:
    """The person-side arrays of the pair features for a block of people."""

    def __init__(
        self,
        content: ItemContent,
        hist: sp.csr_matrix,
        role: np.ndarray,
        prereq,  # noqa: ANN001
        related: np.ndarray | None = None,
    ) -> None:
        self.hist = hist
        n = np.asarray(hist.sum(axis=1)).ravel()
        self.has = (n > 0).astype(float)
        inv = sp.diags(np.divide(1.0, n, out=np.zeros_like(n, dtype=float), where=n > 0))
        mean = inv @ hist
        self.vec = np.asarray(mean @ content.vector)
        skill = content.skill_raw
        profile = np.asarray(mean @ skill)  # the person's share of choices per skill
        self.share = profile @ content.skill_any
        # skills that go with the person's skills (``skill_links``), then the module's
        if related is None:
            self.related = np.zeros(hist.shape)
        else:
            self.related = (profile @ related) @ skill.T
        if content.text.shape[1]:
            self.text = np.asarray(mean @ content.text_gram, dtype=float)
        else:
            self.text = np.zeros(hist.shape)
        self.follows = np.asarray((hist @ prereq.T.astype(np.float32)).todense()) > 0
        self.role = role

    def rows(self, content: ItemContent, p: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Design matrix of pairs (person row ``p`` of this block, module ``i``)."""
        x = content.vector[i]
        has = self.has[p][:, None]
        cross = (self.vec[p][:, :, None] * x[:, None, :]).reshape(len(p), -1)
        rcross = (self.role[p][:, :, None] * x[:, None, :]).reshape(len(p), -1)
        simple = np.column_stack(
            [self.share[p, i], self.text[p, i], self.follows[p, i], self.related[p, i]]
        )
        return np.hstack([simple, has * x, (1 - has) * x, cross, rcross]).astype(np.float32)


class ContentModel(Recommender):
    reason = "content"

    def __init__(
        self,
        holdout_days: int = 90,
        windows: int = 2,
        C: float = 0.1,  # noqa: N803 - scikit-learn's name
        max_train_people: int = 3000,
        n_negatives: int = 30,
        max_skill_dims: int = 12,
        text_dims: int = 6,
        random_state: int = 0,
        cold_share: float = 0.33,
        min_scale: float = 0.05,
        skill_l2: float = 0.1,
    ) -> None:
        self.skill_l2 = skill_l2
        self.min_scale = min_scale
        self.cold_share = cold_share
        self.holdout_days = holdout_days
        self.windows = windows
        self.C = C
        self.max_train_people = max_train_people
        self.n_negatives = n_negatives
        self.max_skill_dims = max_skill_dims
        self.text_dims = text_dims
        self.random_state = random_state

    # -- fit --------------------------------------------------------------------------
    def _fit(self, data: Interactions, tables: Tables) -> None:
        if self.holdout_days < 1:
            raise ValueError(f"holdout_days must be at least 1, got {self.holdout_days}")
        if self.windows < 1:
            raise ValueError(f"windows must be at least 1, got {self.windows}")
        self.content_ = ItemContent.build(
            tables, data.items, self.max_skill_dims, self.text_dims, self.random_state
        )
        self.choices_ = choices(tables, data.users, data.items)
        self.roles_, self.role_names_ = roles(tables, data.users)
        sk = tables.get("skills")
        self.skill_names_ = (
            dict(zip(sk["skill_id"].astype(str), sk["name"].astype(str), strict=True))
            if sk is not None and "name" in sk
            else {}
        )
        self.new_ = np.asarray(self.choices_.sum(axis=0)).ravel() == 0
        self.related_ = skill_links(self.choices_, self.content_.skill_raw, self.skill_l2)
        self.weights_ = self._learn(data, tables)

    def _learn(self, data: Interactions, tables: Tables) -> dict[str, np.ndarray] | None:
        p = tables["participations"]
        p = p[(p["status"].astype(str) != "no_show").to_numpy()]
        newest = p["enrolled_on"].max()
        if pd.isna(newest):
            return None
        rng = np.random.default_rng(self.random_state)
        xs, ys = [], []
        for w in range(self.windows):
            t = newest - pd.Timedelta(days=(w + 1) * self.holdout_days)
            part = self._window(data, tables, p, t, rng)
            if part is not None:
                xs.append(part[0])
                ys.append(part[1])
        if not xs:
            log.info("content: no training window with choices; ranking by similarity only")
            return None
        x, y = np.vstack(xs), np.concatenate(ys)
        if y.all() or not y.any():
            return None
        # standardised for the L2 penalty, with a floor on the scale: a cross term that
        # few people have must not earn a huge weight from a tiny spread
        mean, sd = x.mean(axis=0), np.maximum(x.std(axis=0), self.min_scale)
        lr = LogisticRegression(C=self.C, max_iter=1000)
        lr.fit((x - mean) / sd, y)
        coef = lr.coef_.ravel() / sd
        log.info("content: trained on %d pairs (%d chosen)", len(y), int(y.sum()))
        return self._unpack(coef)

    def _window(self, data, tables, p, t, rng):  # noqa: ANN001, ANN202
        end = t + pd.Timedelta(days=self.holdout_days)
        inside = p[((p["enrolled_on"] > t) & (p["enrolled_on"] <= end)).to_numpy()]
        rows = data.rows(inside["staff_id"].astype(str).to_numpy(dtype=object))
        cols = data.items.get_indexer(inside["module_id"].astype(str).to_numpy(dtype=object))
        ok = (rows >= 0) & (cols >= 0)
        if not ok.any():
            return None
        pos = sp.csr_matrix(
            (np.ones(int(ok.sum())), (rows[ok], cols[ok])), shape=(len(data.users), len(data.items))
        )
        before = choices(tables, data.users, data.items, until=t)
        people = np.unique(rows[ok])
        warm = np.diff(before.indptr)[people] > 0
        # people with a history teach the person × module terms: all of them (up to
        # the cap); people without one only the module terms: a third as many
        people = np.sort(
            np.r_[
                _sample(people[warm], self.max_train_people, rng),
                _sample(people[~warm], int(self.max_train_people * self.cold_share), rng),
            ]
        )
        offered = offered_between(tables, data.items, t, end)
        hist = before[people]
        related = skill_links(before, self.content_.skill_raw, self.skill_l2)
        design = PairDesign(self.content_, hist, self.roles_[people], data.prereq, related)
        chosen = np.asarray(pos[people].todense()) > 0
        seen = np.asarray(hist.todense()) > 0
        pi, ii = [], []
        for k in range(len(people)):
            yes = np.flatnonzero(chosen[k] & ~seen[k])
            no = np.flatnonzero(offered & ~chosen[k] & ~seen[k])
            if len(yes) == 0 or len(no) == 0:
                continue
            if len(no) > self.n_negatives:
                no = rng.choice(no, self.n_negatives, replace=False)
            both = np.r_[yes, no]
            pi.append(np.full(len(both), k))
            ii.append(both)
        if not pi:
            return None
        pi, ii = np.concatenate(pi), np.concatenate(ii)
        return design.rows(self.content_, pi, ii), chosen[pi, ii]

    def _unpack(self, coef: np.ndarray) -> dict[str, np.ndarray]:
        d = self.content_.vector.shape[1]
        nr = self.roles_.shape[1]
        sizes = {"simple": 4, "warm": d, "cold": d, "cross": d * d, "role": nr * d}
        out, at = {}, 0
        for name, size in sizes.items():
            out[name] = coef[at : at + size]
            at += size
        out["cross"] = out["cross"].reshape(d, d)
        out["role"] = out["role"].reshape(nr, d)
        return out

    # -- score ------------------------------------------------------------------------
    def design(self, rows: np.ndarray) -> PairDesign:
        """The person side of ``rows`` (−1 = unknown person: no history, no role)."""
        known = rows >= 0
        hist = sp.csr_matrix((len(rows), len(self.data_.items)), dtype=np.float32)
        role = np.zeros((len(rows), self.roles_.shape[1]))
        if known.any():
            hist = (
                sp.vstack(
                    [
                        self.choices_[r] if r >= 0 else sp.csr_matrix((1, hist.shape[1]))
                        for r in rows
                    ]
                ).tocsr()
                if not known.all()
                else self.choices_[rows]
            )
            role[known] = self.roles_[rows[known]]
        return PairDesign(self.content_, hist, role, self.data_.prereq, self.related_)

    def content_scores(self, rows: np.ndarray) -> np.ndarray:
        """people × modules: the learned content score (log-odds up to a constant)."""
        d = self.design(rows)
        w = self.weights_
        if w is None:
            return d.share + d.text
        x = self.content_.vector
        s = w["simple"][0] * d.share + w["simple"][1] * d.text + w["simple"][2] * d.follows
        s = s + w["simple"][3] * d.related
        s = s + d.has[:, None] * (x @ w["warm"])[None, :]
        s = s + (1 - d.has)[:, None] * (x @ w["cold"])[None, :]
        s = s + (d.vec @ w["cross"]) @ x.T + (d.role @ w["role"]) @ x.T
        return s

    def _scores(self, batch: Batch) -> np.ndarray:
        return np.round(self.content_scores(batch.rows), 10)

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        return content_reasons(self, batch, person, item)


def skill_links(hist: sp.csr_matrix, skill: np.ndarray, l2: float) -> np.ndarray | None:
    """skills × skills: which skills people choose together — EASE (zero diagonal) on
    each person's share of choices per skill, the ridge ``l2`` × the mean of the Gram
    diagonal.  A module nobody has taken is then related to a person through the skills
    that go with theirs (a topic spans several skills), not only the very same skills
    (``share``).  None where no one has chosen a module with skills."""
    if skill.shape[1] == 0:
        return None
    n = np.asarray(hist.sum(axis=1)).ravel()
    inv = sp.diags(np.divide(1.0, n, out=np.zeros_like(n, dtype=float), where=n > 0))
    profile = np.asarray((inv @ hist) @ skill)
    diag = (profile**2).sum(axis=0)
    if not diag.any():
        return None
    return ease_weights(sp.csr_matrix(profile), l2 * float(diag.mean()))


def _sample(ids: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(ids, n, replace=False) if len(ids) > n else ids


def offered_between(
    tables: Tables, items: pd.Index, start: pd.Timestamp, end: pd.Timestamp
) -> np.ndarray:
    """Per module: offered in the training window ``(start, end]`` by the product's one
    definition (``features.offerings``: a session opening for enrolment then, or
    self-paced and available then); every module when nothing is (a catalogue without
    a schedule).  Sessions alone would leave self-paced modules out of the negatives
    while their choices stay positives: the model would learn that self-paced is
    always chosen.

    One exception, for windows in the past: a module self-paced only by the fallback
    rule ("online, no session at all", no ``offered_from`` / ``offered_to``) has no
    dates, and in an as-of view that is also what a course whose classes start after
    the as-of date looks like (``tables_as_of`` drops those sessions).  Counted as
    offered in every past window it would be a negative in all of them — the model
    would learn that exactly the courses it is about to rank are never chosen.  Such a
    module counts from its first enrolment on."""
    from features.offerings import self_paced

    day = pd.Timedelta(days=1)
    out = items.isin(list(offered_module_ids(tables, start + day, end + day)))
    mods = tables["modules"]
    undated = self_paced(mods, tables.get("sessions"))
    for col in ("offered_from", "offered_to"):
        if col in mods:
            undated &= pd.to_datetime(mods[col], errors="coerce").isna().to_numpy()
    if undated.any():
        p = tables["participations"]
        first = p.groupby(p["module_id"].astype(str))["enrolled_on"].min()
        ids = mods["module_id"].astype(str)[undated]
        seen = first.reindex(ids)
        late = ids[~(seen <= end).to_numpy()]
        out &= ~items.isin(late)
    return out if out.any() else np.ones(len(items), bool)
