"""Reuse of the preparation every model ``fit`` repeats, for the same input frames.

``shared_preparation()`` is a context manager for the experiment harness: every model
(and every grid value) of a run fits on the same fold tables, so the as-of view
(``features.asof.tables_as_of``), the session schedule, the completion matrix
(``models.recommend.data``) and the recommenders' evidence
(``models.recommend.evidence.Evidence.build``) are built once per fold, not once per
fit.  Inputs are matched by identity (the same DataFrame objects), so the results are
exactly what a fresh call would return, provided no one modifies a frame in place
(nothing in ``features`` or ``models`` does: fitting never writes to its input tables
or to what it shares).  At most ``size`` results are kept (least recently used dropped
first), bounding memory; inputs are not kept alive (weak references), so a caller can
free its full tables.  Outside the context nothing is cached.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd

__all__ = ["lookup", "remember", "shared", "shared_preparation", "tables_key"]

#: While ``shared_preparation`` is active: key → (result, weak references to its inputs),
#: least recently used first.
_SHARED: OrderedDict[tuple, tuple[object, list[weakref.ref]]] | None = None
_SHARED_SIZE = 12


@contextmanager
def shared_preparation(size: int = _SHARED_SIZE) -> Iterator[None]:
    """While active, ``shared`` reuses results for the same inputs (module docstring)."""
    global _SHARED, _SHARED_SIZE
    outer, outer_size = _SHARED, _SHARED_SIZE
    if outer is None:
        _SHARED, _SHARED_SIZE = OrderedDict(), size
    try:
        yield
    finally:
        if outer is None:
            _SHARED, _SHARED_SIZE = None, outer_size


def tables_key(tables: dict[str, pd.DataFrame]) -> tuple:
    """A key naming a dict of tables by the identity of its frames."""
    return tuple(sorted((name, id(frame)) for name, frame in tables.items()))


def shared(key: tuple, inputs: object, make: Callable[[], object]) -> object:
    """``make()``, reused for the same ``key`` while ``shared_preparation`` is active.
    ``key`` names ``inputs`` by ``id``; the entry holds weak references to them and is
    used only while they are the same live objects."""
    if _SHARED is None:
        return make()
    hit = lookup(key)
    if hit is not None:
        return hit
    value = make()
    remember(key, value, inputs)
    return value


def remember(key: tuple, value: object, inputs: object) -> None:
    """Record ``value`` under ``key`` (a no-op outside ``shared_preparation``)."""
    if _SHARED is None:
        return
    _SHARED[key] = (value, [weakref.ref(o) for o in _objects(inputs)])
    while len(_SHARED) > _SHARED_SIZE:
        _SHARED.popitem(last=False)


def _objects(inputs: object) -> list[object]:
    if isinstance(inputs, dict):
        return list(inputs.values())
    if isinstance(inputs, tuple):
        return [o for part in inputs for o in _objects(part)]
    return [inputs]


def lookup(key: tuple) -> object | None:
    """The result recorded under ``key`` whose inputs are still alive, else None."""
    if _SHARED is None:
        return None
    hit = _SHARED.get(key)
    if hit is None:
        return None
    value, refs = hit
    if any(ref() is None for ref in refs):  # an input died: its id may be reused
        del _SHARED[key]
        return None
    _SHARED.move_to_end(key)
    return value
