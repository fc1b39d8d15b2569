"""Issue 23, finding 7: ``--as-of 2026/11/21`` and ``2026年11月21日`` were refused by the
command line although ingest reads both.  Every command's date options now read a date
written as ingest reads it, and give the same day."""

from __future__ import annotations

import argparse
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli import build_parser
from engine.cli_options import parse_date
from engine.coerce import parse_date as ingest_dates

FORMS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
    # full-width digits and slashes, as a Chinese input method types them
    lambda d: f"{d.year}/{d.month}/{d.day}".translate(
        str.maketrans("0123456789/", "０１２３４５６７８９／")
    ),
]


@settings(max_examples=60, deadline=None)
@given(st.dates(date(1900, 1, 1), date(2199, 12, 31)), st.sampled_from(FORMS))
def test_the_command_line_reads_a_date_as_ingest_does(day: date, form) -> None:  # noqa: ANN001
    written = form(day)
    assert parse_date(written) == day, written
    values, bad = ingest_dates(pd.Series([written.translate(str.maketrans("／", "/"))]))
    assert not bad.any() and values.iloc[0].date() == day


COMMANDS = [
    ["status", "--out", "s.csv"],
    ["report", "--out", "r"],
    ["profile", "S1"],
    ["risk", "--out", "r.csv"],
    ["train"],
    ["recommend", "S1"],
]


@pytest.mark.parametrize("written", ["2026/11/21", "2026年11月21日", "2026.11.21", "20261121"])
@pytest.mark.parametrize("command", COMMANDS)
def test_as_of_options_take_office_forms(command: list[str], written: str) -> None:
    args = build_parser().parse_args([*command, "--as-of", written])
    assert args.as_of == date(2026, 11, 21)


@pytest.mark.parametrize("written", ["2026-02-30", "21/11/2026", "11月21日", "45000", "soon"])
def test_what_is_not_a_date_is_refused_saying_how_to_write_one(written: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="2026年11月21日"):
        parse_date(written)
