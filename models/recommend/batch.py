"""Everyone's top k (``learnmap recommend --all``): blocks of people, optionally scored
in parallel worker processes.

Each block is an ordinary ``model.recommend(block, k, filters)`` call, so the result is
the same as one serial pass (and the same as per-person calls; blocks are concatenated
in input order).  With ``n_jobs > 1`` the blocks go to ``n_jobs`` processes started with
``fork`` *after* the model is fitted: the workers share the fitted model copy-on-write
(nothing is pickled but the block's ids and its result).

Choice: each worker limits the compiled libraries (OpenMP of scikit-learn's tree
predictor, BLAS) to one thread.  Measured on the 100k cadre demo (2 cores, one of them
busy): the predictor's OpenMP threads spent ~17 of 44 CPU-s waiting for little wall
time gained; with one process per core and one thread each, the cores do only work.
Without ``fork`` (not Linux / macOS) the blocks run serially in this process.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence

import pandas as pd
from threadpoolctl import threadpool_limits

from models.recommend.base import Recommender
from models.recommend.filters import Filters
from models.recommend.ranking import RECOMMEND_COLUMNS

log = logging.getLogger(__name__)

__all__ = ["BLOCK", "default_jobs", "recommend_all"]

#: People per block handed to ``recommend`` (and to a worker).
BLOCK = 2048

# the fitted model of the running ``recommend_all``, inherited by forked workers
_MODEL: Recommender | None = None
_ARGS: tuple[int, Filters | None] = (10, None)


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _block(ids: list[str]) -> pd.DataFrame:
    assert _MODEL is not None
    with threadpool_limits(1):
        return _MODEL.recommend(ids, k=_ARGS[0], filters=_ARGS[1])


def recommend_all(
    model: Recommender,
    staff_ids: Sequence[str],
    k: int = 10,
    filters: Filters | None = None,
    n_jobs: int = 1,
    block: int = BLOCK,
    progress: Callable[[int], object] | None = None,
) -> pd.DataFrame:
    """``model.recommend(staff_ids, k, filters)`` block by block, on ``n_jobs``
    processes (``-1`` = every CPU available); ``progress(n)`` is called after each block
    of ``n`` people (e.g. ``tqdm.update``)."""
    global _MODEL, _ARGS
    if block < 1:
        raise ValueError(f"block must be at least 1, got {block}")
    ids = [str(s) for s in staff_ids]
    blocks = [ids[lo : lo + block] for lo in range(0, len(ids), block)]
    if n_jobs < 0:
        n_jobs = default_jobs()
    n_jobs = max(1, min(n_jobs, len(blocks)))
    if n_jobs > 1 and "fork" not in mp.get_all_start_methods():
        log.info("recommend_all: no fork start method here; scoring serially")
        n_jobs = 1
    parts = []
    if n_jobs == 1:
        for chunk in blocks:
            parts.append(model.recommend(chunk, k=k, filters=filters))
            if progress is not None:
                progress(len(chunk))
    else:
        _MODEL, _ARGS = model, (k, filters)
        try:
            with mp.get_context("fork").Pool(n_jobs) as pool:
                for chunk, part in zip(blocks, pool.imap(_block, blocks), strict=True):
                    parts.append(part)
                    if progress is not None:
                        progress(len(chunk))
                pool.close()
                pool.join()
        finally:
            _MODEL, _ARGS = None, (10, None)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RECOMMEND_COLUMNS})
    return pd.concat(parts, ignore_index=True)
