"""The programme report: how the plan is progressing, as tables (charts:
``features.report_charts``; files: ``features.report_files``).

- ``volume``: completed person-times per year and mode (offline = offline/blended,
  online = online/live) against the plan's yearly targets (source 001: about 2,000
  offline and 6,500 online a year, about 25,500 over the three years, for about 2,300
  organizations), up to the as-of date.  The policy's ``[targets]`` say whether those
  are national totals or a rate scaled to the organizations in the store (default;
  see ``engine.policy``); ``summary`` records which (``target_scope``,
  ``target_factor``) and ``targets_note`` / ``coverage`` word it for people;
- ``coverage_by_role`` / ``_by_org_type`` / ``_by_region``: staff employed on the date
  who owe something, their status shares, the share trained at least once in the
  window, and the person-times still needed for full coverage — the equity view the
  source documents ask for (regional imbalance, classification by organization type);
- ``summary``: one row with the same figures over everyone — the report's headline.
  The amount still needed (``remaining``, in ``unit``) is owed by staff employed on the
  as-of date only: staff who have left can no longer be trained.  It equals the sum of
  ``remaining`` over ``coverage_by_org_type`` or ``coverage_by_region`` (the role table
  counts a person with several roles under each of them, so its sum is larger).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.labels import text
from engine.policy import Policy
from features.compliance import STATUSES
from features.snapshot import Snapshot

#: The plan's yearly national volumes (source 001); the policy's ``[targets]`` decide
#: how they apply to a store (``engine.policy.Targets``).
TARGETS = {"offline": 2000, "online": 6500}
#: Above this share of its target a volume is worded as a multiple ("12.5× the target").
MULTIPLE_FROM = 2.0
#: What ``remaining`` counts under each kind of policy.
UNITS = {"person_times": "person-times", "hours": "hours", "credits": "credits"}


@dataclass
class Report:
    volume: pd.DataFrame
    volume_total: pd.DataFrame
    coverage_by_role: pd.DataFrame
    coverage_by_org_type: pd.DataFrame
    coverage_by_region: pd.DataFrame
    summary: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def volume(snap: Snapshot, policy: Policy, targets: dict[str, int] | None = None) -> pd.DataFrame:
    """Completed person-times per year and mode against ``targets`` (default: the
    policy's, scaled to the store's organizations when its scope says so).

    Only years that have begun by the as-of date are reported (a year that has not
    begun has nothing to show).  The as-of year, when it has not ended, is marked
    ``year_to_date`` and carries ``target_to_date``: the yearly target times the share of
    the year (within the policy window) elapsed by the as-of date, so a partial year is
    compared with what is due by now as well as with the full-year target."""
    if targets is None:
        targets = policy.targets.yearly(len(snap.orgs))
    done = snap.done()
    as_of = pd.Timestamp(snap.as_of).normalize()
    years = [y for y in policy.years if y <= as_of.year]
    c = done["completed_on"]
    inwin = (c >= pd.Timestamp(policy.start)) & (c <= pd.Timestamp(policy.end))
    done = done[inwin.to_numpy()]
    mode = np.where(done["offline"].to_numpy(), "offline", "online")
    got = pd.crosstab(done["completed_on"].dt.year.to_numpy(), mode)
    rows = []
    for y in years:
        first = max(pd.Timestamp(f"{y}-01-01"), pd.Timestamp(policy.start))
        last = min(pd.Timestamp(f"{y}-12-31"), pd.Timestamp(policy.end))
        elapsed = min(1.0, max(0.0, ((as_of - first).days + 1) / ((last - first).days + 1)))
        for m in ("offline", "online"):
            n = int(got.at[y, m]) if (y in got.index and m in got.columns) else 0
            rows.append(
                {
                    "year": y,
                    "mode": m,
                    "person_times": n,
                    "target": targets[m],
                    "share_of_target": round(n / targets[m], 4) if targets[m] else np.nan,
                    "year_to_date": bool(elapsed < 1.0),
                    "target_to_date": round(targets[m] * elapsed, 1),
                }
            )
    cols = ["year", "mode", "person_times", "target", "share_of_target"]
    return pd.DataFrame(rows, columns=[*cols, "year_to_date", "target_to_date"])


def volume_total(
    volume: pd.DataFrame, policy: Policy | None = None, targets: dict[str, int] | None = None
) -> pd.DataFrame:
    """Window totals per mode and overall, against the whole window's target (the plan:
    about 25,500 over three years) and against what is due by the as-of date
    (``target_to_date``: the years begun, the current one pro rata)."""
    per_mode = volume.groupby("mode", as_index=False)[
        ["person_times", "target", "target_to_date"]
    ].sum()
    if policy is not None and targets is not None:  # the whole window, future years too
        n_years = len(policy.years)
        per_mode["target"] = [targets[m] * n_years for m in per_mode["mode"]]
    both = pd.DataFrame(
        {
            "mode": ["all"],
            "person_times": [per_mode["person_times"].sum()],
            "target": [per_mode["target"].sum()],
            "target_to_date": [per_mode["target_to_date"].sum()],
        }
    )
    out = pd.concat([per_mode, both], ignore_index=True)
    out["share_of_target"] = (out["person_times"] / out["target"].where(out["target"] > 0)).round(4)
    out["target_to_date"] = out["target_to_date"].round(1)
    return out[["mode", "person_times", "target", "share_of_target", "target_to_date"]]


def coverage(done: float, target: float, lang: str | None = None) -> str:
    """A volume against its target in words: "为目标 2,000 的 85%" / "85% of 2,000", or,
    far beyond it, "179.7× the target of 2,000" (never "17968% of 2,000")."""
    if not target:
        return text("coverage_no_target", lang, done=f"{done:,.0f}")
    share = done / target
    if share >= MULTIPLE_FROM:
        return text("coverage_multiple", lang, multiple=f"{share:,.1f}", target=f"{target:,.0f}")
    return text("coverage_share", lang, share=f"{share:.0%}", target=f"{target:,.0f}")


def targets_note(policy: Policy, n_orgs: int, lang: str | None = None) -> str:
    """One sentence saying what the report's volume targets are."""
    t = policy.targets
    common = {"offline": f"{t.offline:,}", "online": f"{t.online:,}"}
    common |= {"orgs": f"{t.organizations:,}", "n": f"{n_orgs:,}"}
    if t.scope == "national":
        return text("targets_national", lang, **common)
    y = t.yearly(n_orgs)
    return text(
        "targets_scaled",
        lang,
        **common,
        factor=f"{t.scale(n_orgs):.3g}",
        y_offline=f"{y['offline']:,}",
        y_online=f"{y['online']:,}",
    )


def _owing(status: pd.DataFrame, employed: np.ndarray) -> pd.DataFrame:
    """The staff every coverage figure is about: employed on the date, owing something."""
    st = status[employed]
    return st[st["required"] > 0]


def _coverage(status: pd.DataFrame, group: pd.Series, employed: np.ndarray) -> pd.DataFrame:
    """Status shares per group over employed staff who owe something."""
    st = _owing(status.assign(_group=group.to_numpy()), employed)
    counts = st.groupby(["_group", "status"], observed=True).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0)
    out = pd.DataFrame({"staff": counts.sum(axis=1)})
    for s in STATUSES:
        out[f"share_{s}"] = (counts[s] / out["staff"]).round(4)
    out["share_trained"] = (st["done"] > 0).groupby(st["_group"]).mean().round(4)
    out["remaining"] = st.groupby("_group")["remaining"].sum()
    return out.reset_index().rename(columns={"_group": group.name})


def summary(status: pd.DataFrame, employed: np.ndarray, policy: Policy) -> pd.DataFrame:
    """The headline: status shares and the amount still needed, over everyone.

    ``staff`` (= ``owing``) are the staff employed on the date who owe something — the
    people every share is about; ``not_owing`` are employed but owe nothing (无要求);
    ``left`` have left by the date and are not counted.  ``n_employed`` = owing +
    not_owing, the population ``learnmap status`` and ``risk`` list.  ``n_<status>``
    count the owing staff per status — the numbers the headline prints, equal to what
    ``status`` counts (shares are rounded to 4 places: share × staff is off by up to
    staff / 20,000 people)."""
    everyone = pd.Series("all", index=status.index, name="scope")
    out = _coverage(status, everyone, employed).set_index("scope").reindex(["all"])
    out["staff"] = out["staff"].fillna(0).astype(int)  # a row even when nobody owes
    out["remaining"] = out["remaining"].fillna(0).round(2)
    out = out.reset_index().rename(columns={"index": "scope"})
    out.insert(1, "unit", UNITS[policy.kind])
    n_emp = int(np.asarray(employed, dtype=bool).sum())
    out.insert(3, "n_employed", n_emp)
    out.insert(4, "owing", out["staff"])
    out.insert(5, "not_owing", n_emp - out["staff"])
    out.insert(6, "left", len(status) - n_emp)
    counts = _owing(status, employed)["status"].astype(str).value_counts()
    for i, s in enumerate(STATUSES):
        out.insert(7 + i, f"n_{s}", int(counts.get(s, 0)))
    return out


def _with_targets(head: pd.DataFrame, total: pd.DataFrame, policy: Policy, n_orgs: int):  # noqa: ANN202
    """The headline with the window's volume against its target and what that is."""
    t = total.set_index("mode").loc["all"]
    return head.assign(
        person_times=int(t["person_times"]),
        target=int(t["target"]),
        share_of_target=t["share_of_target"],
        target_to_date=t["target_to_date"],
        target_scope=policy.targets.scope,
        organizations=n_orgs,
        target_factor=round(policy.targets.scale(n_orgs), 6),
    )


def _split_roles(roles: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each "a|b" role combination split: the row of each part and the part (Arrow's
    string kernels, no Python string per row)."""
    values = roles.to_numpy(dtype=object) if roles.dtype == object else roles
    arr = pa.array(values, type=pa.string())  # typed: an empty frame is not null-typed
    parts = pc.split_pattern(arr, "|")
    owner = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    role = pd.Series(pc.list_flatten(parts).to_pandas(), name="role")
    return owner, role


def programme_report(snap: Snapshot, status: pd.DataFrame, policy: Policy) -> Report:
    emp = snap.employed
    # a person with several roles is counted under each of them
    owner, role = _split_roles(status["role"])
    per_role = status.iloc[owner]
    org = snap.orgs.set_index("org_id")
    org_type = status["org_id"].map(org["org_type"]).rename("org_type")
    region = status["org_id"].map(org["region"]).rename("region")
    vol = volume(snap, policy)
    total = volume_total(vol, policy, policy.targets.yearly(len(snap.orgs)))
    return Report(
        volume=vol,
        volume_total=total,
        coverage_by_role=_coverage(per_role, role, emp[per_role.index.to_numpy()]),
        coverage_by_org_type=_coverage(status, org_type, emp),
        coverage_by_region=_coverage(status, region, emp).sort_values("share_met"),
        summary=_with_targets(summary(status, emp, policy), total, policy, len(snap.orgs)),
    )


def write_report(report: Report, out, as_of, policy, lang=None):  # noqa: ANN001, ANN201
    """Write the report's files (``features.report_files.write_report``)."""
    from features.report_files import write_report as _write

    return _write(report, out, as_of, policy, lang=lang)
