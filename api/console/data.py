"""What the console's pages show, computed from the service's whole-store views.

Nothing here reads the store: every function starts from ``Service.view(as_of)`` (the
statuses, staff risk and organization scores the API already caches per date) and
memoizes its own roll-ups *on that view* (``memo``), so the first page of a date pays
for a roll-up once and later pages are lookups.  A write to the store (``Service.wrote``)
or a new risk model drops the views, and these roll-ups with them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import numpy as np
import pandas as pd

from api.service import Service, View
from engine.policy import load_policy
from features.compliance import compliance
from features.mastery import MasteryTable, skill_mastery

T = TypeVar("T")
_memo_lock = threading.RLock()  # builders call other memoized builders
#: no completed training in this many days before the date: long-term untrained (长期不训)
UNTRAINED_DAYS = 365


def memo(v: View, name: str, build: Callable[[], T]) -> T:
    """``build()`` once per view (kept on the view, dropped with it)."""
    store: dict[str, object] = v.__dict__.setdefault("_console", {})
    if name in store:
        return store[name]  # type: ignore[return-value]
    with _memo_lock:
        if name not in store:
            store[name] = build()
    return store[name]  # type: ignore[return-value]


def staff_frame(v: View) -> pd.DataFrame:
    """Staff known on the date, by staff_id: org, role, name (if the data has one),
    last completion, status, p_miss, drivers."""

    def build() -> pd.DataFrame:
        snap = v.snap
        st = snap.staff
        done = snap.done()
        last = pd.Series(pd.NaT, index=np.arange(len(st)), dtype="datetime64[ns]")
        if len(done):
            got = done.groupby("s")["completed_on"].max()
            last.iloc[got.index.to_numpy()] = got.to_numpy()
        out = pd.DataFrame(
            {
                "staff_id": st["staff_id"].astype(str).to_numpy(),
                "org_id": st["org_id"].astype(str).to_numpy(),
                "name": st["name"].fillna("").astype(str).to_numpy() if "name" in st else "",
                "hired_on": st["hired_on"].to_numpy(),
                "last_completed": last.to_numpy(),
                "employed": snap.employed,
            }
        ).set_index("staff_id", drop=False)
        out.index.name = None
        s = v.status
        for c in ("role", "required", "done", "remaining", "deadline", "status"):
            out[c] = s[c].reindex(out.index).to_numpy()
        if v.risk is not None:
            out["p_miss"] = v.risk["p_miss"].reindex(out.index).to_numpy()
            out["drivers"] = v.risk["drivers"].reindex(out.index).to_numpy()
        else:
            out["p_miss"] = np.nan
            out["drivers"] = None
        cut = snap.as_of - pd.Timedelta(days=UNTRAINED_DAYS)
        lc = out["last_completed"]
        out["untrained"] = out["employed"] & (lc.isna() | (lc < cut))
        out["remedial"] = out["employed"] & (out["status"] == "overdue")
        return out

    return memo(v, "staff", build)


def by_org_index(v: View) -> dict[str, np.ndarray]:
    """Row positions of ``staff_frame`` per organization (one pass per view)."""
    return memo(
        v,
        "by_org",
        lambda: {
            str(k): np.asarray(g, dtype=np.int64)
            for k, g in pd.Series(np.arange(len(staff_frame(v)))).groupby(
                staff_frame(v)["org_id"].to_numpy()
            )
        },
    )


def org_staff(v: View, org_id: str) -> pd.DataFrame:
    rows = by_org_index(v).get(org_id)
    frame = staff_frame(v)
    return frame.iloc[rows] if rows is not None else frame.iloc[:0]


def org_table(v: View) -> pd.DataFrame:
    """One row per organization: name, region, type, rating, staff, owing, behind,
    expected_missing, p_unit_rule, expected_shortfall, rank (risk columns empty without
    a risk model)."""

    def build() -> pd.DataFrame:
        orgs = v.snap.orgs
        out = pd.DataFrame(
            {
                "org_id": orgs["org_id"].astype(str).to_numpy(),
                "name": orgs["name"].astype(str).to_numpy(),
                "region": orgs["region"].astype(str).to_numpy(),
                "org_type": orgs["org_type"].astype(str).to_numpy(),
                "rating": pd.to_numeric(orgs["rating"], errors="coerce").to_numpy(),
            }
        ).set_index("org_id", drop=False)
        out.index.name = None
        sf = staff_frame(v)
        emp = sf[sf["employed"].to_numpy(bool)]
        g = emp.groupby("org_id")
        out["staff"] = g.size().reindex(out.index).fillna(0).astype(int)
        out["owing"] = (
            (emp["required"] > 0).groupby(emp["org_id"]).sum().reindex(out.index).fillna(0)
        ).astype(int)
        behind = emp["status"].isin(["at_risk", "overdue"])
        out["behind"] = behind.groupby(emp["org_id"]).sum().reindex(out.index).fillna(0)
        out["behind"] = out["behind"].astype(int)
        for c in ("expected_missing", "p_unit_rule", "expected_shortfall", "rank"):
            out[c] = v.orgs[c].reindex(out.index).to_numpy() if v.orgs is not None else np.nan
        return out.sort_values(["rank", "org_id"], na_position="last")

    return memo(v, "orgs", build)


def status_under(v: View, policy_name: str) -> pd.DataFrame:
    """Compliance of everyone under another preset (hours, credits), by staff_id."""
    return memo(
        v,
        f"status:{policy_name}",
        lambda: (
            compliance(v.snap, load_policy(policy_name))
            .set_index("staff_id", drop=False)
            .rename_axis(None)
        ),
    )


def mode_hours(v: View, year: int) -> pd.DataFrame:
    """Completed hours per staff_id in ``year``, split online / offline."""

    def build() -> pd.DataFrame:
        done = v.snap.done()
        done = done[(done["completed_on"].dt.year == year).to_numpy()]
        ids = v.snap.staff["staff_id"].astype(str).to_numpy()
        frame = pd.DataFrame(
            {
                "staff_id": ids[done["s"].to_numpy()],
                "offline": np.where(done["offline"].to_numpy(), done["hours"].to_numpy(float), 0),
                "online": np.where(done["offline"].to_numpy(), 0, done["hours"].to_numpy(float)),
            }
        )
        return frame.groupby("staff_id")[["online", "offline"]].sum()

    return memo(v, f"mode_hours:{year}", build)


def trend(v: View) -> pd.DataFrame:
    """Completed person-times per month and mode up to the date."""

    def build() -> pd.DataFrame:
        done = v.snap.done()
        month = done["completed_on"].dt.to_period("M").astype(str).to_numpy()
        mode = np.where(done["offline"].to_numpy(), "offline", "online")
        got = pd.crosstab(month, mode)
        for m in ("offline", "online"):
            if m not in got:
                got[m] = 0
        return got[["offline", "online"]].sort_index()

    return memo(v, "trend", build)


def effect(v: View, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per module: mean post − pre and follow-up − pre gains with bootstrap 95 %
    intervals (``features.effect.gains``) and the module's title and mode."""
    from features.effect import gains

    def build() -> pd.DataFrame:
        o = v.snap.outcomes
        ids = v.snap.modules["module_id"].astype(str).to_numpy()
        frame = pd.DataFrame(
            {
                "staff_id": o["s"].to_numpy(),
                "module_id": ids[o["m"].to_numpy()],
                "kind": o["kind"].astype(str).to_numpy(),
                "value": o["value"].to_numpy(float),
            }
        )
        g = gains(frame, seed=seed, n_boot=n_boot)
        if g.empty:
            return g
        mods = v.snap.modules.set_index(v.snap.modules["module_id"].astype(str))
        g["title"] = g["module_id"].map(mods["title"]).astype(str)
        g["mode"] = g["module_id"].map(mods["mode"]).astype(str)
        return g.sort_values("gain_post", ascending=False, na_position="last")

    return memo(v, "effect", build)


_PEOPLE = 64  # learning maps kept per view (a page and its map chart share one)


def mastery(v: View) -> MasteryTable:
    """Everyone's skill mastery on the view's date (what the API's profile warm-up
    computes; a fraction of a second at national scale), once per view."""
    return memo(v, "mastery", lambda: skill_mastery(v.snap))


def person_map(v: View, staff_id: str) -> tuple[dict, list[dict]]:
    """One person's learning map (node-link data) and skill gaps, from the view's
    whole-store snapshot and mastery — equal to the person's own targeted read
    (``features.person``; ``tests/features/test_person.py``), without a store read per
    request.  The last ``_PEOPLE`` people's maps are kept on the view (dropped with it
    when the data change): the person page and its map chart read one.
    ``NotFoundError`` if the person was not hired by the view's date."""
    from features.learning_map import node_link, skill_gaps
    from features.learning_map import person_map as build

    cache: OrderedDict = memo(v, "maps", OrderedDict)
    with _memo_lock:
        got = cache.get(staff_id)
        if got is not None:
            cache.move_to_end(staff_id)
            return got
    g = build(v.snap, staff_id, mastery(v))
    got = (node_link(g), skill_gaps(g))
    with _memo_lock:
        cache[staff_id] = got
        while len(cache) > _PEOPLE:
            cache.popitem(last=False)
    return got


def as_of_or(service: Service, value: date | None) -> date:
    return value or service.settings.as_of
