"""The programme report's charts, drawn for the people who read them.

Titles, categories and legends come from the label catalogue (``engine.labels``:
Chinese by default, ``lang="en"``), never codes; every bar carries its count; legends
sit outside the plotting area (below it), so they never cover a bar.  Each function
returns a matplotlib Figure (``features.plotting.save`` writes it), so tests can inspect
what is drawn.

- ``volume_chart``: person-times per year and mode (offline, online) with the yearly
  targets as dashed lines; the current year, when it has not ended, is labelled as
  year to date (``2026年截至11月21日``) and its pro-rata target is marked on its bars.
- ``status_chart``: per group (role, organization type, region) a bar split into the
  four statuses of staff who owe something, with the number of staff at the bar's end
  and each share written inside its segment when it is wide enough to hold it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.labels import label, text
from features import plotting
from features.compliance import STATUSES

STATUS_COLORS = {
    "met": "#2e7d32",
    "on_track": "#9ccc65",
    "at_risk": "#ffb300",
    "overdue": "#c62828",
}
MODE_COLORS = {"offline": "#1565c0", "online": "#64b5f6"}
#: A status segment narrower than this share gets no percentage inside it.
MIN_SEGMENT_LABEL = 0.07
KEY_KIND = {"role": "role", "org_type": "org_type", "region": "region"}


def _period(year: int, ytd: bool, as_of: pd.Timestamp, lang: str | None) -> str:
    if not ytd:
        return str(year)
    day = text("month_day", lang, month=as_of.month, day=as_of.day)
    return text("year_to_date", lang, year=year, day=day)


def volume_chart(volume: pd.DataFrame, as_of: pd.Timestamp, lang: str | None = None):  # noqa: ANN201
    """Grouped bars of completed person-times per year and mode, with targets."""
    import matplotlib.pyplot as plt

    plotting.setup()
    as_of = pd.Timestamp(as_of)
    years = sorted(volume["year"].unique())
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    x = np.arange(len(years))
    width = 0.38
    top = 1.0
    bars_of_mode = []
    for i, m in enumerate(("offline", "online")):
        rows = volume[volume["mode"] == m].set_index("year").reindex(years)
        vals = rows["person_times"].fillna(0).to_numpy()
        pos = x + (i - 0.5) * width
        mode = label("volume_mode", m, lang)
        bars = ax.bar(
            pos,
            vals,
            width=width * 0.95,
            color=MODE_COLORS[m],
            label=text("chart_volume_bar", lang, mode=mode),
        )
        bars_of_mode.append((bars, vals, m))
        target = float(rows["target"].dropna().iloc[0]) if rows["target"].notna().any() else 0
        ax.axhline(
            target,
            color=MODE_COLORS[m],
            linestyle="--",
            linewidth=1,
            label=text("chart_volume_target", lang, mode=mode, target=f"{target:,.0f}"),
        )
        ytd = rows["year_to_date"].fillna(False).astype(bool).to_numpy()
        if ytd.any():
            due = rows["target_to_date"].to_numpy()[ytd]
            ax.scatter(
                pos[ytd],
                due,
                marker="_",
                s=600,
                linewidths=2,
                color="#424242",
                zorder=3,
                label=text("chart_volume_target_ytd", lang, mode=mode),
            )
        top = max(top, float(np.nanmax(vals)) if len(vals) else 0, target)
    for bars, vals, m in bars_of_mode:  # counts inside the bars, above a short one
        tall = vals >= 0.12 * top
        color = "white" if m == "offline" else "#0d2b4e"
        inside = [f"{int(v):,}" if t else "" for v, t in zip(vals, tall, strict=True)]
        above = [f"{int(v):,}" if not t else "" for v, t in zip(vals, tall, strict=True)]
        ax.bar_label(bars, labels=inside, label_type="center", fontsize=9, color=color)
        ax.bar_label(bars, labels=above, padding=2, fontsize=9)
    ytd_years = set(volume.loc[volume["year_to_date"].astype(bool), "year"])
    ax.set_xticks(x, [_period(int(y), y in ytd_years, as_of, lang) for y in years])
    ax.set_ylim(0, top * 1.18)
    ax.set_ylabel(text("chart_person_times", lang))
    ax.set_title(text("chart_volume_title", lang, day=as_of.date().isoformat()))
    handles, names = ax.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: (_mode_of(names[i], lang), i))
    ax.legend(
        [handles[i] for i in order],
        [names[i] for i in order],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    return fig


def _mode_of(name: str, lang: str | None) -> int:
    """0 for a legend entry about offline, 1 for online (the legend's two columns)."""
    return 0 if name.startswith(label("volume_mode", "offline", lang)) else 1


def _ordered(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Roles and organization types in the catalogue's order (head first); regions as
    the report sorts them (lowest share met first)."""
    from engine.schema import ORG_TYPES, ROLES

    order = {"role": ROLES, "org_type": ORG_TYPES}.get(key)
    if order is None:
        return frame.reset_index(drop=True)
    rank = {v: i for i, v in enumerate(order)}
    ranked = frame.sort_values(key, key=lambda s: s.map(rank).fillna(len(rank)))
    return ranked.reset_index(drop=True)


def status_chart(
    frame: pd.DataFrame,
    key: str,
    policy_name: str,
    as_of: pd.Timestamp,
    lang: str | None = None,
):  # noqa: ANN201
    """Stacked shares of the four statuses per group, with counts."""
    import matplotlib.pyplot as plt

    plotting.setup()
    frame = _ordered(frame, key)
    names = [plotting.label(label(KEY_KIND.get(key, key), str(v), lang)) for v in frame[key]]
    height = max(2.8, 0.32 * len(frame) + 1.8)
    fig, ax = plt.subplots(figsize=(8, height))
    y = np.arange(len(frame))
    left = np.zeros(len(frame))
    for s in STATUSES:
        vals = frame[f"share_{s}"].fillna(0).to_numpy()
        bars = ax.barh(y, vals, left=left, color=STATUS_COLORS[s], label=label("status", s, lang))
        shown = [f"{v:.0%}" if v >= MIN_SEGMENT_LABEL else "" for v in vals]
        ax.bar_label(bars, labels=shown, label_type="center", fontsize=7)
        left += vals
    for yi, n in zip(y, frame["staff"].fillna(0).astype(int), strict=True):
        ax.text(1.01, yi, f"{n:,}", va="center", ha="left", fontsize=8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(text("chart_status_xlabel", lang))
    ax.set_title(
        text(
            "chart_status_title",
            lang,
            policy=label("policy", policy_name, lang),
            by=text(f"chart_by_{key}", lang),
            day=pd.Timestamp(as_of).date().isoformat(),
        ),
        fontsize=10,
    )
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.45 / height * 2.8),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    return fig
