"""The programme report: how the plan is progressing, as tables and PNG charts.

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
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.outputs import write_table
from engine.policy import Policy
from features import plotting
from features.compliance import STATUSES
from features.snapshot import Snapshot

#: The plan's yearly national volumes (source 001); the policy's ``[targets]`` decide
#: how they apply to a store (``engine.policy.Targets``).
TARGETS = {"offline": 2000, "online": 6500}
#: Above this share of its target a volume is worded as a multiple ("12.5× the target").
MULTIPLE_FROM = 2.0
#: What ``remaining`` counts under each kind of policy.
UNITS = {"person_times": "person-times", "hours": "hours", "credits": "credits"}
STATUS_COLORS = {
    "met": "#2e7d32",
    "on_track": "#9ccc65",
    "at_risk": "#ffb300",
    "overdue": "#c62828",
}


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
    policy's, scaled to the store's organizations when its scope says so)."""
    if targets is None:
        targets = policy.targets.yearly(len(snap.orgs))
    done = snap.done()
    years = policy.years
    c = done["completed_on"]
    inwin = (c >= pd.Timestamp(policy.start)) & (c <= pd.Timestamp(policy.end))
    done = done[inwin.to_numpy()]
    mode = np.where(done["offline"].to_numpy(), "offline", "online")
    got = pd.crosstab(done["completed_on"].dt.year.to_numpy(), mode)
    rows = []
    for y in years:
        for m in ("offline", "online"):
            n = int(got.at[y, m]) if (y in got.index and m in got.columns) else 0
            rows.append(
                {
                    "year": y,
                    "mode": m,
                    "person_times": n,
                    "target": targets[m],
                    "share_of_target": round(n / targets[m], 4) if targets[m] else np.nan,
                }
            )
    return pd.DataFrame(rows)


def volume_total(volume: pd.DataFrame) -> pd.DataFrame:
    """Window totals per mode and overall (the plan: about 25,500 over three years)."""
    per_mode = volume.groupby("mode", as_index=False)[["person_times", "target"]].sum()
    both = pd.DataFrame(
        {
            "mode": ["all"],
            "person_times": [per_mode["person_times"].sum()],
            "target": [per_mode["target"].sum()],
        }
    )
    out = pd.concat([per_mode, both], ignore_index=True)
    out["share_of_target"] = (out["person_times"] / out["target"].where(out["target"] > 0)).round(4)
    return out


def coverage(done: float, target: float) -> str:
    """A volume against its target in words: "85% of 2,000", or, far beyond it,
    "179.7× the target of 2,000" (never "17968% of 2,000")."""
    if not target:
        return f"{done:,.0f} (no target)"
    share = done / target
    if share >= MULTIPLE_FROM:
        return f"{share:,.1f}× the target of {target:,.0f}"
    return f"{share:.0%} of {target:,.0f}"


def targets_note(policy: Policy, n_orgs: int) -> str:
    """One sentence saying what the report's volume targets are."""
    t = policy.targets
    plan = (
        f"the plan's {t.offline:,} offline / {t.online:,} online person-times a year "
        f"for about {t.organizations:,} organizations"
    )
    if t.scope == "national":
        return (
            f"targets: {plan}, as national totals; this store holds {n_orgs:,} "
            'organizations (policy [targets] scope = "national")'
        )
    y = t.yearly(n_orgs)
    return (
        f"targets: {plan}, scaled to the {n_orgs:,} in this store (×{t.scale(n_orgs):.3g}): "
        f"{y['offline']:,} offline / {y['online']:,} online a year "
        '(policy [targets] scope = "scaled")'
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
    """The headline: status shares and the amount still needed, over everyone."""
    everyone = pd.Series("all", index=status.index, name="scope")
    out = _coverage(status, everyone, employed).set_index("scope").reindex(["all"])
    out["staff"] = out["staff"].fillna(0).astype(int)  # a row even when nobody owes
    out["remaining"] = out["remaining"].fillna(0).round(2)
    out = out.reset_index().rename(columns={"index": "scope"})
    out.insert(1, "unit", UNITS[policy.kind])
    return out


def _with_targets(head: pd.DataFrame, total: pd.DataFrame, policy: Policy, n_orgs: int):  # noqa: ANN202
    """The headline with the window's volume against its target and what that is."""
    t = total.set_index("mode").loc["all"]
    return head.assign(
        person_times=int(t["person_times"]),
        target=int(t["target"]),
        share_of_target=t["share_of_target"],
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
    total = volume_total(vol)
    return Report(
        volume=vol,
        volume_total=total,
        coverage_by_role=_coverage(per_role, role, emp[per_role.index.to_numpy()]),
        coverage_by_org_type=_coverage(status, org_type, emp),
        coverage_by_region=_coverage(status, region, emp).sort_values("share_met"),
        summary=_with_targets(summary(status, emp, policy), total, policy, len(snap.orgs)),
    )


def _stacked(ax, frame: pd.DataFrame, key: str, labels: list[str]) -> None:  # noqa: ANN001
    left = np.zeros(len(frame))
    for s in STATUSES:
        vals = frame[f"share_{s}"].fillna(0).to_numpy()
        ax.barh(labels, vals, left=left, color=STATUS_COLORS[s], label=s)
        left += vals
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of staff")
    ax.legend(loc="lower right", fontsize=8)


def write_report(
    report: Report, out: str | Path, as_of: pd.Timestamp, policy: Policy
) -> list[Path]:
    """Write the tables as CSV and four PNG charts into ``out``; returns the files."""
    import matplotlib.pyplot as plt

    plotting.setup()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, frame in report.tables().items():
        files.append(write_table(frame, out / f"{name}.csv"))
    day = as_of.date().isoformat()

    v = report.volume.pivot(index="year", columns="mode", values="person_times")
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(v.index))
    target = report.volume.groupby("mode")["target"].first()
    scope = str(report.summary["target_scope"].iloc[0]) if "target_scope" in report.summary else ""
    for i, (m, color) in enumerate((("offline", "#1565c0"), ("online", "#90caf9"))):
        ax.bar(x + (i - 0.5) * 0.4, v[m], width=0.4, color=color, label=f"{m} person-times")
        ax.axhline(
            target[m],
            color=color,
            linestyle="--",
            linewidth=1,
            label=f"{m} target {target[m]:,}/year" + (f" ({scope})" if scope else ""),
        )
    ax.set_xticks(x, [str(y) for y in v.index])
    ax.set_title(f"Completed person-times per year vs plan (as of {day})")
    ax.legend(fontsize=8)
    files.append(plotting.save(fig, out / "volume_by_year.png"))

    for name, key in (
        ("coverage_by_role", "role"),
        ("coverage_by_org_type", "org_type"),
        ("coverage_by_region", "region"),
    ):
        frame = getattr(report, name)
        labels = [plotting.label(str(v)) for v in frame[key]]
        fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(frame) + 1)))
        _stacked(ax, frame, key, labels)
        ax.set_title(f"{policy.name} status by {key.replace('_', ' ')} (as of {day})")
        files.append(plotting.save(fig, out / f"status_by_{key}.png"))
    return files
