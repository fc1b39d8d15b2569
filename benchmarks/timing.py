"""Shared by the start-up benchmarks (bench_person.py, bench_imports.py): wall and CPU
seconds, their median, and the horizontal wall-vs-CPU bar chart both draw."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import NamedTuple


class Secs(NamedTuple):
    """Wall-clock and CPU seconds (this process and its finished children): on a
    shared machine the wall time follows the load, the CPU time much less."""

    wall: float
    cpu: float


def median(xs: list[Secs]) -> Secs:
    return Secs(statistics.median(x.wall for x in xs), statistics.median(x.cpu for x in xs))


def wall_cpu_chart(
    rows: list[tuple[str, Secs]],
    path: Path,
    title: str,
    load: tuple[float, ...],
    *,
    width: float = 9,
    row_height: float = 0.45,
    log: bool = False,
    target: float | None = None,
) -> Path:
    """One pair of bars (wall, CPU) per row, first row on top; ``target`` draws a
    dashed line at that many seconds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, row_height * len(rows) + 1.5))
    ypos = list(range(len(rows)))[::-1]
    ax.barh([y + 0.2 for y in ypos], [r[1].wall for r in rows], 0.4, color="#4c72b0", label="wall")
    ax.barh([y - 0.2 for y in ypos], [r[1].cpu for r in rows], 0.4, color="#dd8452", label="CPU")
    ax.set_yticks(ypos, [r[0] for r in rows], fontsize=8)
    if target is not None:
        ax.axvline(target, color="red", lw=1, ls="--", label=f"{target:g} s target")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel("seconds (log)" if log else "seconds (median)")
    ax.set_title(f"{title} (load average {', '.join(f'{x:.1f}' for x in load)})", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
