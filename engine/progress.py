"""Progress bars for long steps, shared by every layer.

``bar(...)`` is a ``tqdm`` bar and ``spinner(desc)`` a bar without a total for a step
that reports nothing while it runs (its elapsed time ticks once a second, so a long
step never looks like a hang).  Both are quiet when

- ``configure(quiet=True)`` was called (the CLI does that for ``--quiet``), or
- standard error is not a terminal (a log file, a pipe, a cron job), or
- the caller passes ``enabled=False``.

Bars write to standard error, never to standard output, so a command's output stays
machine-readable.  Library code creates bars only through this module.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tqdm (and asyncio with tqdm.auto) load on the first bar, not at import
    from tqdm import tqdm

__all__ = ["active", "bar", "configure", "spinner", "words"]

_state = {"quiet": False}
#: seconds between redraws of a spinner
TICK = 1.0


def words(key: str, **fmt: object) -> str:
    """A bar's text in the reader's language: the catalogue's ``bar_<key>``
    (``engine/labels``); numbers are written with thousands separators."""
    from engine.labels import text

    shown = {k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v
             for k, v in fmt.items()}  # fmt: skip
    return text(f"bar_{key}", **shown)


def configure(quiet: bool) -> None:
    """Silence (or allow) every bar of this process."""
    _state["quiet"] = bool(quiet)


def active(enabled: bool | None = None) -> bool:
    """Whether a bar would show: not quiet, stderr a terminal, and ``enabled`` not False."""
    if enabled is False or _state["quiet"]:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def bar(
    total: float | None = None,
    desc: str = "",
    unit: str = "row",
    enabled: bool | None = None,
    **kwargs: object,
) -> tqdm:
    """A ``tqdm`` bar on stderr, disabled unless ``active(enabled)``."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        disable=not active(enabled),
        file=sys.stderr,
        dynamic_ncols=True,
        **kwargs,  # type: ignore[arg-type]
    )


@contextmanager
def spinner(desc: str, total: int | None = None, enabled: bool | None = None) -> Iterator[tqdm]:
    """A bar whose elapsed time is redrawn every ``TICK`` seconds while the block runs,
    for steps that report nothing themselves: without ``total`` it shows the step and
    the time; with ``total`` (a number of steps) also how many are done.
    ``set_description`` on it names the current sub-step, ``update(1)`` counts one."""
    fmt = "{desc}: {elapsed}" if total is None else "{desc}: {n_fmt}/{total_fmt} steps {elapsed}"
    b = bar(total, desc, unit="step", enabled=enabled, bar_format=fmt)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(TICK):
            b.refresh()

    thread = None
    if not b.disable:
        thread = threading.Thread(target=tick, name="learnmap-spinner", daemon=True)
        thread.start()
    try:
        yield b
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        b.close()
