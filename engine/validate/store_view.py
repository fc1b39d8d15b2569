"""What validation reads from the store: the ``StoreView`` protocol, and a view over a
plain ``existing(table, columns)`` function for callers without a store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from engine.schema import TABLES

#: ``existing(table, columns)`` returns rows already stored (for foreign keys).
Existing = Callable[[str, list[str]], pd.DataFrame]


class StoredPlan(Protocol):
    """What ``engine.store.Plan`` offers validation."""

    changed: np.ndarray  # rows whose id is stored with other values
    old: pd.DataFrame  # the stored values of those rows, in the same order


class StoreView(Protocol):
    """What validation reads from the store (``engine.store.Store`` implements it)."""

    def existing(self, table: str, columns: list[str]) -> pd.DataFrame: ...

    def lookup(self, table: str, columns: list[str], by: str, values: object) -> pd.DataFrame: ...

    def plan(self, name: str, frame: pd.DataFrame) -> StoredPlan: ...


def _no_existing(table: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class _CallablePlan:
    changed: np.ndarray
    old: pd.DataFrame


class _FromCallable:
    """A ``StoreView`` over a plain ``existing`` function (whole columns only)."""

    def __init__(self, existing: Existing) -> None:
        self.existing = existing

    def lookup(self, table: str, columns: list[str], by: str, values: object) -> pd.DataFrame:
        frame = self.existing(table, columns)
        return frame[frame[by].isin(list(values))].reset_index(drop=True)  # type: ignore[call-overload]

    def plan(self, name: str, frame: pd.DataFrame) -> _CallablePlan:
        # every stored id counts as changed: the conflict check then compares them all
        spec = TABLES[name]
        key = list(spec.key)
        old = self.existing(name, spec.names)
        both = frame.merge(old, on=key, how="left", suffixes=("", "__old"), indicator=True)
        known = (both["_merge"] == "both").to_numpy()
        rows = both.loc[known, [*key, *(c + "__old" for c in spec.names if c not in key)]]
        rows = rows.rename(columns=lambda c: c.removesuffix("__old")).reset_index(drop=True)
        return _CallablePlan(known, rows)
