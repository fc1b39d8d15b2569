"""Which engine runs the batch commands, and the Dask cluster the ``dask`` engine uses.

``--engine pandas|dask`` (``LEARNMAP_ENGINE``; default ``pandas``): ``pandas`` computes in
this process from the store; ``dask`` computes per person-partition of the Parquet copy
(``engine.parquet``) on a Dask cluster.

``--scheduler ADDRESS`` (``LEARNMAP_SCHEDULER``): a running Dask scheduler
(``tcp://host:8786``) — every worker must be able to import learnmap and read the
Parquet copy's folder (a shared file system).  Without one, a ``LocalCluster`` sized to
the machine is started for the command and stopped after it: one single-threaded
worker *process* per core (the builders hold the GIL in places; processes also give
each worker its own memory limit), the machine's memory shared equally
(``memory_limit="auto"``).  Its dashboard address is announced (``announce``).

Dask is imported only here and only when the ``dask`` engine runs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from engine.errors import LearnmapError

log = logging.getLogger(__name__)

ENV_ENGINE = "LEARNMAP_ENGINE"
ENV_SCHEDULER = "LEARNMAP_SCHEDULER"
ENGINES = ("pandas", "dask")


def engine_name(value: str | None = None) -> str:
    """The engine asked for (``value``, else ``LEARNMAP_ENGINE``, else ``pandas``)."""
    name = (value or os.environ.get(ENV_ENGINE) or "pandas").strip().lower()
    if name not in ENGINES:
        raise LearnmapError(f"unknown engine {name!r}: choose pandas or dask ({ENV_ENGINE})")
    return name


def local_workers() -> int:
    """Workers of the default local cluster: one per core."""
    return max(1, os.cpu_count() or 1)


def dashboard_note(link: str | None) -> str:
    """The line announcing the dashboard (Dask serves it only with bokeh installed)."""
    if importlib.util.find_spec("bokeh") is None:
        return f"Dask dashboard: {link} (served once bokeh is installed: pip install 'bokeh>=3.1')"
    return f"Dask dashboard: {link}"


@contextmanager
def dask_client(
    address: str | None = None,
    announce: Callable[[str], None] | None = None,
    **local: Any,  # noqa: ANN401 - LocalCluster options (tests: n_workers=2 …)
) -> Iterator[Any]:
    """A ``distributed.Client`` on ``address`` (else ``LEARNMAP_SCHEDULER``, else a
    new ``LocalCluster``), closed on exit; ``announce`` gets the dashboard line."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        raise LearnmapError("the dask engine needs dask[distributed]: pip install it") from exc
    if not logging.getLogger().isEnabledFor(logging.INFO):  # -v shows Dask's own news
        logging.getLogger("distributed").setLevel(logging.WARNING)
    address = address or os.environ.get(ENV_SCHEDULER)
    if address:
        try:
            client = Client(address, timeout="30s")
        except OSError as exc:
            raise LearnmapError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        cluster = None
    else:
        options = {
            "n_workers": local_workers(),
            "threads_per_worker": 1,
            "processes": True,
            "memory_limit": "auto",
            "silence_logs": logging.WARNING,
            "dashboard_address": ":8787",
        }
        options.update(local)
        cluster = LocalCluster(**options)
        client = Client(cluster)
    log.info("dask: %d workers at %s", len(client.scheduler_info()["workers"]), client.scheduler)
    if announce is not None:
        announce(dashboard_note(client.dashboard_link))
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
