"""Issue 23, "XLSX wherever --out takes a file": every command whose ``--out`` help
offers a table file (.csv, .parquet) offers .xlsx too (risk's and xapi pending's said '.csv or .parquet')."""

from __future__ import annotations

import argparse

from engine.cli import build_parser


def _commands(parser: argparse.ArgumentParser, path: str = "learnmap"):  # noqa: ANN202
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{path} {name}")
    yield path, parser


def test_every_table_output_offers_xlsx() -> None:
    seen = []
    for path, parser in _commands(build_parser()):
        for action in parser._actions:
            offered = action.help or ""
            if "--out" in action.option_strings and ".csv" in offered and ".parquet" in offered:
                seen.append(path)
                assert ".xlsx" in action.help, (path, action.help)
    assert {"learnmap risk", "learnmap recommend", "learnmap allocate"} <= set(seen)
