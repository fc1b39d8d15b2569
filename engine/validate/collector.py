"""The problem collector: every check adds its problems here (file, row, column, value,
rule), so one ``ValidationError`` can list them all."""

from __future__ import annotations

import pandas as pd

from engine.errors import Problem
from engine.readers import ROW, RawTable


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def cells(
        self,
        raw: RawTable,
        mask: pd.Series,
        column: str,
        rule: str,
        values: pd.Series | None = None,
    ) -> None:
        if not mask.any():
            return
        frame = raw.frame
        vals = (values if values is not None else frame[column])[mask].astype(str)
        for row, val in zip(frame.loc[mask, ROW].tolist(), vals.tolist(), strict=True):
            self.problems.append(Problem(raw.source, int(row), column, val, rule))

    def whole(self, raw: RawTable, column: str, rule: str) -> None:
        self.problems.append(Problem(raw.source, 0, column, "", rule))
