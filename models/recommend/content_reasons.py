"""Reasons that name a module's content (``ContentModel`` and the Hybrid's new modules).

The texts are the label catalogue's ``reason_content_*`` messages (``engine.labels``:
Chinese by default, English with ``LEARNMAP_LANG=en``).  Each reason says what
is true of the person and the module, in this order of preference:

1. the person chose modules sharing the module's skill (field): how many, and the field;
2. the module's title is close to one the person chose: which one;
3. a prerequisite the person chose leads to it;
4. otherwise: people of the person's role choose modules like it (when roles are
   known), or simply that it is offered.

A module nobody had enrolled in at fit is marked "新课程" (new course).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.labels import label, text

if TYPE_CHECKING:
    from models.recommend.content import ContentModel
    from models.recommend.filters import Batch

__all__ = ["content_reasons"]


def _t(key: str, **fmt: object) -> str:
    return text(f"reason_content_{key}", **fmt)


def _field_names(model: ContentModel) -> np.ndarray:
    ids = model.content_.skill_ids
    names = dict(zip(ids, ids, strict=True))
    skills = getattr(model, "skill_names_", None)
    if skills:
        names.update(skills)
    return np.asarray([names[s] for s in ids], dtype=object)


def content_reasons(
    model: ContentModel, batch: Batch, person: np.ndarray, item: np.ndarray
) -> np.ndarray:
    """One reason per recommended (person row in ``batch``, module) pair (vectorised:
    every pair's evidence is found with array operations, then formatted)."""
    if len(person) == 0:
        return np.zeros(0, dtype=object)
    titles = model._titles()
    fields = _field_names(model)
    rows = batch.rows[person]
    design = model.design(batch.rows)
    hist = np.asarray(design.hist.todense())[person] > 0  # pairs × modules: chosen before
    done = np.zeros_like(hist)
    known = rows >= 0
    done[known] = np.asarray(model.data_.matrix[rows[known]].todense()) > 0
    skill = model.content_.skill_raw > 0
    same = hist & (skill[item].astype(np.float32) @ skill.T.astype(np.float32) > 0)
    n_same, n_done = same.sum(axis=1), (same & done).sum(axis=1)
    first_skill = np.argmax(skill, axis=1) if skill.shape[1] else np.zeros(len(skill), int)
    text = model.content_.text
    if text.shape[1]:
        sims = np.where(hist, np.asarray((text[item] @ text.T).todense()), 0.0)
        best, best_sim = sims.argmax(axis=1), sims.max(axis=1)
    else:
        best, best_sim = np.zeros(len(item), int), np.zeros(len(item))
    pre = np.asarray(model.data_.prereq[item].todense()) & hist
    pre_first, has_pre = pre.argmax(axis=1), pre.any(axis=1)
    role = _first_roles(model, rows)
    out = np.empty(len(item), dtype=object)
    for n, i in enumerate(item.tolist()):
        head = _t("new" if model.new_[i] else "old", title=titles[i])
        if n_done[n]:
            why = _t("field_done", n=int(n_done[n]), field=fields[first_skill[i]])
        elif n_same[n]:
            why = _t("field_chosen", n=int(n_same[n]), field=fields[first_skill[i]])
        elif best_sim[n] >= 0.2:
            why = _t("title", other=titles[best[n]])
        elif has_pre[n]:
            why = _t("follows", other=titles[pre_first[n]])
        elif role[n] is not None:
            why = _t("role", role=label("role", role[n]))
        else:
            why = _t("offered")
        out[n] = head + _t("sep") + why
    return out


def _first_roles(model: ContentModel, rows: np.ndarray) -> list[str | None]:
    """Per pair: the person's first role among the model's role columns (None if none)."""
    cols = [k for k, name in enumerate(model.role_names_) if name.startswith("role:")]
    out: list[str | None] = [None] * len(rows)
    if not cols:
        return out
    sub = model.roles_[:, cols]
    for n, r in enumerate(rows.tolist()):
        if r >= 0 and sub[r].any():
            out[n] = model.role_names_[cols[int(np.argmax(sub[r]))]].split(":", 1)[1]
    return out
