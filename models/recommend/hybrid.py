"""Hybrid: candidates from several signals, re-ranked by a learned model.

Signals per (person, module) — ``_features``: EASE score, item-kNN score, "followed-by"
transition score from the person's last modules, cohort share (role × organization
type), colleagues' uptake in the same organization (overall and last 60 days), global
and recent popularity, the person's enrolment state (open enrolment, dropped / no-show),
prerequisites completed in the last 90 days, the person's affinity for the module's
primary skill, tenure, skill-gap score, foundation flag, module quality
(outcomes), mode fit (the person's share of completions in the module's mode), the
person's history length and the module's hours.  None of them needs skills or roles:
on plain collaborative data the side-information columns are constant and the model
learns from the collaborative ones.

Training (``fit``): the signals are built from the data up to ``holdout_days`` before
the newest record (the *inner cut*); the labels are the modules each person completed
after it.  For up to ``max_train_people`` of those people, every admissible candidate
(see below) is a row; a ``HistGradientBoostingClassifier`` learns P(completed).  The
evaluation cut is never seen: ``fit`` only receives data up to it.  The signals are
then rebuilt on all the data for recommending.

Several windows (``windows`` > 1): the rows of ``windows`` consecutive windows of
``holdout_days`` each, newest first (window ``w`` ends ``w · holdout_days`` before the
newest record), each with its signals as of its own start, are learned together.  In a
catalogue that renews, the newest window may hold no launch (modules launched on a
quarter's first day, a 30-day window in its last month): then no training row shows a
module without history being chosen, and the re-ranker learns that no history means
not chosen — it never ranks a new module.  Windows that together span a launch period
show it.  ``max_train_people`` is shared between the windows.

New modules without a launch in the window (``cold_dropout`` > 0): in each training
window a random ``cold_dropout`` share of the modules is shown to the re-ranker as if
nobody had taken them (their ``HISTORY`` signals 0, before candidates are drawn), with
their real labels — so the trees learn how often a module with no history but this
content, skills, mode and hours is chosen, beside the same person's other candidates
(the input dropout of DropoutNet, Volkovs et al. 2017, for a tree model).  It needs no
launch in the window.

Content (``content=True``, the default): a ``ContentModel`` (``models.recommend.content``)
is fitted beside the signals — on the inner-cut data for training, on all of it for
recommending — and its score is one more signal (``content``) and one more source of
candidates, so a module nobody has taken yet is ranked by what it is.  Where no module
has content to learn from (no skills, titles or roles), the column is close to
constant and the re-ranker falls back on the collaborative signals.

What a label is (``events``): ``"completed"`` (default) — the modules completed after
the inner cut, every admissible candidate a row; ``"enrolled"`` — a choice is an
enrolment (any status but ``no_show``, as in ``[split] truth = "enrolled"``), and the
negatives are only the modules a person *could* have chosen in the window: those
offered in it (``features.offerings``: a session opening for enrolment then, or a
self-paced module available then; every module when nothing is).  A module that
did not run then was not turned down; counting it as a negative teaches the re-ranker
that whatever ran earlier is unwanted.

``use_enrolments=False`` hides open enrolments (enrolled by the cut, not yet completed)
from the features and candidates — an ablation: the collaborative peers see completions
only.

Candidates: the ``n_candidates`` best admissible modules by each of EASE, item-kNN,
transitions, cohort share, skill gap and colleagues' uptake (union); everything else scores −inf.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from features.asof import Tables, tables_as_of
from models.recommend.base import Recommender
from models.recommend.content import ContentModel, offered_between
from models.recommend.content_reasons import content_reasons
from models.recommend.data import Interactions, build_interactions
from models.recommend.ease import ease_weights
from models.recommend.evidence import Evidence, cohort_reason
from models.recommend.filters import Batch, admissible
from models.recommend.forest import predict_proba1
from models.recommend.itemknn import cosine_neighbours
from models.recommend.reason_text import percent, words

log = logging.getLogger(__name__)

__all__ = ["FEATURES", "Hybrid"]

FEATURES = [
    "ease",
    "knn",
    "next",
    "cohort",
    "pop",
    "recent",
    "gap",
    "foundation",
    "quality",
    "mode_fit",
    "history",
    "hours",
    "org",
    "org_recent",
    "open",
    "dropped",
    "pred_recent",
    "affinity",
    "tenure",
    "content",
]


class _Signals:
    def __init__(
        self,
        tables: Tables,
        data: Interactions,
        l2: float,
        k: int,
        enrolments: bool = True,
        content: ContentModel | None = None,
    ) -> None:
        self.use_enrolments = enrolments
        self.data = data
        self.content = content
        self.ev = Evidence.build(tables, data)
        self.ease = ease_weights(data.matrix, l2)
        self.knn = cosine_neighbours(data.matrix, k, 10.0)
        self.pop = np.log1p(np.asarray(data.matrix.sum(axis=0)).ravel())
        self.hours = data.modules["hours"].to_numpy(float)
        self.prereq_t = np.asarray(data.prereq.T.todense(), dtype=float)

    def features(self, rows: np.ndarray, history) -> dict[str, np.ndarray]:  # noqa: ANN001
        ev, n, ni = self.ev, len(rows), len(self.pop)
        h = history
        n_hist = np.asarray(h.sum(axis=1)).ravel()
        return {
            "ease": np.asarray(h @ self.ease),
            "knn": np.asarray(h @ self.knn),
            "next": ev.next_scores(rows),
            "cohort": ev.cohort_scores(rows),
            "pop": np.broadcast_to(self.pop, (n, len(self.pop))),
            "recent": np.broadcast_to(ev.recent_pop, (n, len(self.pop))),
            "gap": ev.gap_scores(rows),
            "foundation": np.broadcast_to(ev.foundation.astype(float), (n, len(self.pop))),
            "quality": np.broadcast_to(ev.quality, (n, len(self.pop))),
            "mode_fit": ev.mode_fit(rows),
            "history": np.broadcast_to(np.log1p(n_hist)[:, None], (n, len(self.pop))),
            "hours": np.broadcast_to(self.hours, (n, len(self.pop))),
            "org": ev.org_scores(rows),
            "org_recent": ev.org_scores(rows, recent=True),
            "open": ev.user_rows(ev.open_, rows) if self.use_enrolments else np.zeros((n, ni)),
            "dropped": ev.user_rows(ev.dropped, rows),
            "pred_recent": ev.user_rows(ev.recent_done, rows) @ self.prereq_t,
            "affinity": ev.affinity_scores(rows),
            "tenure": np.broadcast_to(
                np.where(rows >= 0, ev.tenure[np.maximum(rows, 0)], 0.0)[:, None],
                (n, len(self.pop)),
            ),
            "content": self._content(rows, n, ni),
        }

    def _content(self, rows: np.ndarray, n: int, ni: int) -> np.ndarray:
        if self.content is None:
            return np.zeros((n, ni))
        cm = self.content
        ids = np.where(rows >= 0, self.data.users.to_numpy()[np.maximum(rows, 0)], None)
        crow = cm.data_.rows([str(i) if i is not None else "\0" for i in ids])
        raw = np.asarray(cm.content_scores(crow), dtype=float)
        # per person, in standard units over the catalogue: the content model's score is
        # a log-odds up to a constant whose scale differs between fits (the inner cut's
        # model and the final one), and only its order within a person means anything
        sd = raw.std(axis=1, keepdims=True)
        return np.divide(
            raw - raw.mean(axis=1, keepdims=True), sd, out=np.zeros_like(raw), where=sd > 0
        )


#: the signals that come from a module's history: a module nobody has taken has 0 in each
#: (``Evidence``: no transitions, cohort or colleagues' share, popularity or outcomes)
HISTORY = ("ease", "knn", "next", "cohort", "pop", "recent", "quality", "org", "org_recent")


def _as_new(feats: dict[str, np.ndarray], cols: np.ndarray) -> dict[str, np.ndarray]:
    """``feats`` with modules ``cols`` shown as nobody has taken them (``HISTORY`` 0)."""
    out = dict(feats)
    for name in HISTORY:
        f = np.array(feats[name], dtype=float)  # broadcast views become arrays
        f[:, cols] = 0.0
        out[name] = f
    return out


def _candidates(feats: dict[str, np.ndarray], adm: np.ndarray, n_cand: int) -> np.ndarray:
    mask = np.zeros_like(adm)
    n_items = adm.shape[1]
    c = min(n_cand, n_items)
    sources = ("ease", "next", "cohort", "gap", "knn", "org", "org_recent", "open", "affinity")
    for name in (*sources, "content"):
        s = np.where(adm, feats[name], -np.inf)
        top = np.argpartition(-s, c - 1, axis=1)[:, :c] if c < n_items else np.argsort(-s, axis=1)
        np.put_along_axis(mask, top, True, axis=1)
    return mask & adm


def _matrix(feats: dict[str, np.ndarray], p: np.ndarray, i: np.ndarray) -> np.ndarray:
    return np.column_stack([feats[f][p, i] for f in FEATURES])


class Hybrid(Recommender):
    def __init__(
        self,
        holdout_days: int = 30,
        n_candidates: int = 40,
        max_train_people: int = 4000,
        l2: float = 2000.0,
        k: int = 50,
        random_state: int = 0,
        use_enrolments: bool = True,
        content: bool = True,
        events: str = "completed",
        max_iter: int = 200,
        max_leaf_nodes: int = 31,
        learning_rate: float = 0.1,
        windows: int = 1,
        cold_dropout: float = 0.0,
    ) -> None:
        self.windows = windows
        self.cold_dropout = cold_dropout
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.learning_rate = learning_rate
        self.content = content
        self.events = events
        self.use_enrolments = use_enrolments
        self.holdout_days = holdout_days
        self.n_candidates = n_candidates
        self.max_train_people = max_train_people
        self.l2 = l2
        self.k = k
        self.random_state = random_state

    # -- fit --------------------------------------------------------------------------
    def _fit(self, data: Interactions, tables: Tables) -> None:
        if self.holdout_days < 1:
            raise ValueError(f"holdout_days must be at least 1, got {self.holdout_days}")
        if not 0.0 <= self.cold_dropout < 1.0:
            raise ValueError(f"cold_dropout must be in [0, 1), got {self.cold_dropout}")
        if self.windows < 1:
            raise ValueError(f"windows must be at least 1, got {self.windows}")
        if self.events not in ("completed", "enrolled"):
            raise ValueError(f"events must be 'completed' or 'enrolled', got {self.events!r}")
        self.model_ = self._learn(tables)
        self.content_ = self._content_model(tables)
        self.signals_ = _Signals(tables, data, self.l2, self.k, self.use_enrolments, self.content_)

    def _content_model(self, tables: Tables) -> ContentModel | None:
        if not self.content:
            return None
        return ContentModel(random_state=self.random_state).fit(tables)

    def _labels(
        self, p: pd.DataFrame, inner: pd.Timestamp, end: pd.Timestamp | None
    ) -> pd.DataFrame:
        """The choices in ``(inner, end]`` (``end`` None: everything after ``inner``):
        completions, or enrolments (``events``)."""
        if self.events == "completed":
            p = p[(p["status"] == "completed").to_numpy()]
            on = p["completed_on"]
        else:
            p = p[(p["status"].astype(str) != "no_show").to_numpy()]
            on = p["enrolled_on"]
        keep = on > inner if end is None else (on > inner) & (on <= end)
        return p[keep.to_numpy()]

    def _learn(self, tables: Tables) -> HistGradientBoostingClassifier | None:
        p = tables["participations"]
        newest = p["enrolled_on"].max()
        if pd.isna(newest):
            return None
        rng = np.random.default_rng(self.random_state)
        per_window = max(1, self.max_train_people // self.windows)
        xs, ys = [], []
        for w in range(self.windows):
            end = newest - pd.Timedelta(days=w * self.holdout_days)
            rows = self._window_rows(tables, end, per_window, rng)
            if rows is not None:
                xs.append(rows[0])
                ys.append(rows[1])
        if not ys:
            log.info("hybrid: too few people after the inner cut; ranking by signals only")
            return None
        x, y = np.vstack(xs), np.concatenate(ys)
        if y.all() or not y.any():
            return None
        # more content, more likely chosen: the one signal that ranks a new module may
        # only raise its score (the trees cannot learn it backwards from a few courses)
        monotonic = [1 if f == "content" else 0 for f in FEATURES]
        model = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            monotonic_cst=monotonic,
            random_state=self.random_state,
        )
        model.fit(x, y)
        log.info(
            "hybrid: re-ranker trained on %d rows (%d positive) from %d window(s)",
            len(y),
            int(y.sum()),
            len(ys),
        )
        return model

    def _window_rows(
        self, tables: Tables, end: pd.Timestamp, n_people: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Training rows of one window ``(end − holdout_days, end]``: the signals as of
        its start, a row per candidate of each sampled person who chose in it."""
        inner = end - pd.Timedelta(days=self.holdout_days)
        past = tables_as_of(tables, inner)
        pdata = build_interactions(past)
        # the newest window keeps every later completion (one finished after the last
        # enrolment); older windows end where the next one starts
        newest = end == tables["participations"]["enrolled_on"].max()
        after = self._labels(tables["participations"], inner, None if newest else end)
        rows = pdata.rows(after["staff_id"].astype(str).to_numpy(dtype=object))
        cols = pdata.items.get_indexer(after["module_id"].astype(str))
        ok = (rows >= 0) & (cols >= 0)
        labels = pd.DataFrame({"r": rows[ok], "c": cols[ok]}).drop_duplicates()
        people = np.unique(labels["r"].to_numpy())
        if len(people) < 10:
            return None
        if len(people) > n_people:
            people = np.sort(rng.choice(people, n_people, replace=False))
        sig = _Signals(past, pdata, self.l2, self.k, self.use_enrolments, self._content_model(past))
        # "enrolled": only what ran in the window can have been chosen in it (docstring)
        ran = (
            offered_between(tables, pdata.items, inner, end)
            if self.events == "enrolled"
            else np.ones(len(pdata.items), bool)
        )
        # modules shown as new in this window (``cold_dropout``; see the docstring)
        hide = np.flatnonzero(rng.random(len(pdata.items)) < self.cold_dropout)
        xs, ys = [], []
        for lo in range(0, len(people), 1024):
            rws = people[lo : lo + 1024]
            hist = pdata.history(rws)
            feats = sig.features(rws, hist)
            if len(hide):
                feats = _as_new(feats, hide)
            adm = admissible(hist, pdata.prereq)
            pos = np.zeros(adm.shape, bool)
            lab = labels[labels["r"].isin(rws)]
            pos[np.searchsorted(rws, lab["r"].to_numpy()), lab["c"].to_numpy()] = True
            cand = _candidates(feats, adm & ran[None, :], self.n_candidates)
            pi, ii = np.nonzero(cand)
            xs.append(_matrix(feats, pi, ii))
            ys.append(pos[pi, ii])
        return np.vstack(xs), np.concatenate(ys)

    # -- score ------------------------------------------------------------------------
    def _scores(self, batch: Batch) -> np.ndarray:
        sig = self.signals_
        feats = sig.features(batch.rows, batch.history)
        adm = (
            batch.candidates()
            if batch.prereq is not None
            else admissible(batch.history, self.data_.prereq)
        )
        cand = _candidates(feats, adm, self.n_candidates)
        out = np.full(adm.shape, -np.inf)
        pi, ii = np.nonzero(cand)
        if len(pi) == 0:
            return out
        if self.model_ is None:
            val = feats["ease"][pi, ii] + feats["cohort"][pi, ii] + feats["next"][pi, ii]
        else:
            x = _matrix(feats, pi, ii)
            val = predict_proba1(self.model_, x)
            # the trees' scores are steps: equal ones are ordered by the content score
            val = np.round(val, 10) + 1e-12 * np.tanh(feats["content"][pi, ii])
        out[pi, ii] = val
        return out

    def _reasons(self, batch: Batch, person: np.ndarray, item: np.ndarray) -> np.ndarray:
        sig = self.signals_
        ev = sig.ev
        # the EASE signal of the recommended pairs, recomputed (nothing is kept from
        # ``_scores``: scoring writes no state, so concurrent calls need no lock)
        ease = np.asarray(batch.history @ sig.ease)[person, item] if len(person) else None
        titles = self.data_.modules["title"].astype(str).to_numpy()
        out = []
        for n, (p, i) in enumerate(zip(person.tolist(), item.tolist(), strict=True)):
            r = int(batch.rows[p])
            text = None
            if r >= 0 and ev.last[r]:
                prev = ev.last[r][0]
                share = ev.transitions[prev, i]
                if share >= 0.05:
                    text = words("next", prev=titles[prev], share=percent(share), title=titles[i])
            if text is None and r >= 0 and ev.org_recent[ev.org[r], i] >= 0.1:
                text = words("colleagues", share=percent(ev.org_recent[ev.org[r], i]))
            if text is None and ev.foundation[i] and r >= 0:
                text = words("foundation_open")
            if text is None:
                text = ev.gap_reason(r, i)
            if text is None and ease is not None and ease[n] > 0.05:
                text = words("similar")
            out.append(text or cohort_reason(ev, r, i))
        out = np.asarray(out, dtype=object)
        return self._new_module_reasons(batch, person, item, out)

    def _new_module_reasons(
        self, batch: Batch, person: np.ndarray, item: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        """A module nobody had taken at fit is explained by its content ("新课程：…")."""
        cm = self.content_
        if cm is None or not len(item):
            return out
        new = cm.new_[item]
        if new.any():
            ids = batch.staff_ids
            sub = Batch(ids, cm.data_.rows(ids), batch.history, batch.prereq)
            out[new] = content_reasons(cm, sub, person[new], item[new])
        return out
