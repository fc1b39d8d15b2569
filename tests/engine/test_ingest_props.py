"""Property: whatever bytes arrive, ``ingest`` either loads them or raises a clean error
(``ValidationError`` with problems naming file/row/column/value/rule, or
``InputFileError``) — never another exception, and never writes anything on error.

Inputs: staff files of random shape (title and blank rows, header spellings and order,
delimiters, quoting, trailing delimiters, line endings, encodings, office-style and
arbitrary values), the same with random bytes spliced in, raw random bytes, and
workbooks with random cell types (numbers, dates, formulas, text).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.errors import InputFileError, ValidationError
from engine.ingest import ingest
from engine.store import Store
from tests.helpers import TINY, write_rows

#: Examples per property (bounded so the suite stays fast); raise it to hunt, e.g.
#: ``LEARNMAP_PROP_EXAMPLES=1000 pytest tests/engine/test_ingest_props.py``.
EXAMPLES = int(os.environ.get("LEARNMAP_PROP_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADERS = {
    "staff_id": ["staff_id", "人员编号", "*人员编号", "工号（必填）", "ＳＴＡＦＦ＿ＩＤ"],
    "org_id": ["org_id", "机构编号", "组织编号*"],
    "role": ["role", "岗位", "岗位（必填）", "职务"],
    "hired_on": ["hired_on", "入职日期", "入职日期(yyyy-mm-dd)"],
    "left_on": ["left_on", "离职日期", "离职日期（选填）"],
    "name": ["name", "姓名"],
    "备注": ["备注", "remark", ""],
}
VALUES = {
    "staff_id": ["S1", "S2", "Ｓ３", " S4 ", "10001", ""],
    "org_id": ["O1", "O2", "Ｏ１", "O9", ""],
    "role": ["head", "会长", "财务、人力资源", "会长/新闻发言人", "司机", "head|finance", ""],
    "hired_on": [
        "2020-01-01",
        "2025/1/5",
        "2025/1/5 0:00",
        "2025年1月5日",
        "20250105",
        "45662",
        "2025-02-30",
        "",
    ],
    "left_on": ["", "2026-06-30", "2019-01-01", "１９９９－０１－０１"],
    "name": ["张三", "Li, Si", 'A "quoted" name', "", "李\n四"],
    "备注": ["", "x", "第一行;第二行", "a\tb"],
}
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"]
TITLES = ["2025年度从业人员名册", "", "填报单位：甲协会", "单位：人"]


def _template() -> Path:
    """A store holding the tiny dataset's organizations, copied for each example."""
    folder = Path(tempfile.mkdtemp(prefix="learnmap-props-"))
    write_rows(folder / "organizations.csv", TINY["organizations"])
    ingest(folder / "organizations.csv", Store(f"sqlite:///{folder / 'base.db'}"))
    return folder / "base.db"


@pytest.fixture(scope="module")
def template() -> Path:
    path = _template()
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


def _check(
    template: Path, name: str, payload: bytes, rows: int | None = None, must_load: bool = False
) -> None:
    """Ingest ``payload`` as ``name`` into a copy of the template store; ``rows``: how many
    non-blank data rows it holds, all of which must arrive when it loads."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "x.db"
        shutil.copy(template, db)
        store = Store(f"sqlite:///{db}")
        before = store.counts()
        (Path(tmp) / name).write_bytes(payload)
        try:
            counts = ingest(Path(tmp) / name, store)
        except ValidationError as exc:
            event("rejected: problems")
            assert not must_load, f"a valid file was rejected: {exc}"
            assert exc.problems, "a ValidationError must list its problems"
            for p in exc.problems:
                assert p.file.startswith(name) and isinstance(p.row, int) and p.row >= 0
                assert isinstance(p.column, str) and isinstance(p.value, str) and p.rule
            assert store.counts() == before, "nothing may be written on error"
        except InputFileError as exc:
            event("rejected: unreadable file")
            assert not must_load, f"a valid file was rejected: {exc}"
            assert str(exc)
            assert store.counts() == before, "nothing may be written on error"
        else:
            event("loaded")
            after = store.counts()
            assert after["staff"] - before["staff"] == counts["staff"].new
            if rows is not None:
                assert counts["staff"].new == rows, "a row was lost or invented"
            assert after["organizations"] == before["organizations"]
        finally:
            store.engine.dispose()


class _Writer:
    """CSV as office software writes it: a cell is quoted when it holds the delimiter, a
    quote or any line break (``csv.writer`` leaves a bare LF unquoted in CR files)."""

    def __init__(self, out: io.StringIO, delimiter: str, ending: str) -> None:
        self.out, self.delimiter, self.ending = out, delimiter, ending

    def _cell(self, cell: str) -> str:
        if any(ch in cell for ch in (self.delimiter, '"', "\r", "\n")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    def writerow(self, cells: list[str]) -> None:
        self.out.write(self.delimiter.join(map(self._cell, cells)) + self.ending)


VALID = {
    "org_id": ["O1", "O2", "Ｏ１", " O2 "],
    "role": ["head", "会长", "理事长", "财务、人力资源", "会长/新闻发言人", "head|finance"],
    "hired_on": ["2020-01-01", "2025/1/5", "2025/1/5 0:00", "2025年1月5日", "20250105", "45662"],
    "left_on": ["", "2026-06-30", "２０２６－０６－３０"],
}
REQUIRED = ["staff_id", "org_id", "role", "hired_on", "left_on"]


def _valid_row(draw: st.DrawFn, cols: list[str], i: int) -> list[str]:
    """A row that must load (unique id, valid values; free text anywhere it is allowed)."""
    row = []
    for c in cols:
        if c == "staff_id":
            row.append(draw(st.sampled_from([f"S{i}", f"ST-{i:04d}", f"Ｓ{i}", f" {i}号 "])))
        elif c in VALID:
            row.append(draw(st.sampled_from(VALID[c])))
        else:
            row.append(draw(st.text(max_size=8)))
    return row


@st.composite
def staff_csv(draw: st.DrawFn) -> tuple[bytes, int, bool]:
    """A staff file and the number of non-blank data rows in it: either of random shape
    and values, or one that must load (all required columns, valid values)."""
    n = draw(st.integers(0, 4))
    valid = draw(st.booleans())
    if valid:
        cols = draw(
            st.permutations(REQUIRED + sorted(draw(st.sets(st.sampled_from(["name", "备注"])))))
        )
        rows = [
            _valid_row(draw, cols, i) if draw(st.integers(0, 5)) else [""] * len(cols)
            for i in range(n)
        ]
    else:
        cols = draw(st.permutations(list(HEADERS)))
        cols = cols[: draw(st.integers(3, len(cols)))]
        free = st.text(max_size=8)
        rows = [[draw(st.one_of(st.sampled_from(VALUES[c]), free)) for c in cols] for _ in range(n)]
    header = [draw(st.sampled_from(HEADERS[c])) for c in cols]
    delim = draw(st.sampled_from([",", ";", "\t"]))
    out = io.StringIO()
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    writer = _Writer(out, delim, ending)
    for _ in range(draw(st.integers(0, 3))):
        title = draw(st.sampled_from(TITLES))
        writer.writerow([title] + [""] * draw(st.integers(0, len(cols))))
    writer.writerow(header)
    trailing = draw(st.booleans())
    for r in rows:
        writer.writerow(r + ([""] if trailing else []))
    enc = draw(st.sampled_from(ENCODINGS))

    def kept(cell: str) -> str:  # the cell as the file holds it
        return cell.encode(enc, errors="replace").decode(enc).strip()

    filled = sum(any(kept(c) for c in r) for r in rows)
    return out.getvalue().encode(enc, errors="replace"), filled, valid


@SETTINGS
@given(shaped=staff_csv())
def test_csv_shapes_and_encodings_load_or_fail_cleanly(
    template: Path, shaped: tuple[bytes, int, bool]
) -> None:
    _check(template, "staff.csv", *shaped)


@SETTINGS
@given(shaped=staff_csv(), noise=st.binary(min_size=1, max_size=12), where=st.floats(0, 1))
def test_csv_with_spliced_bytes_loads_or_fails_cleanly(
    template: Path, shaped: tuple[bytes, int, bool], noise: bytes, where: float
) -> None:
    payload = shaped[0]
    at = int(where * len(payload))
    _check(template, "staff.csv", payload[:at] + noise + payload[at:])


@SETTINGS
@given(payload=st.binary(max_size=600))
def test_raw_bytes_load_or_fail_cleanly(template: Path, payload: bytes) -> None:
    _check(template, "staff.csv", payload)


CELLS = st.one_of(
    st.none(),
    st.sampled_from(["S1", "O1", "O2", "会长", "财务", "2025/1/5", "=1+1", "=A1", "#N/A"]),
    st.integers(-10, 100_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2200, 1, 1)),
    st.booleans(),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=6).filter(
        lambda s: not s.startswith("=")
    ),
)


HIRED = [datetime(2020, 1, 1), datetime(2025, 1, 5, 9, 30), 45662, 45662.5, "2025/1/5"]


@st.composite
def staff_book(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A workbook and whether it must load (valid values as Excel types) or is random."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = draw(st.sampled_from(["Sheet1", "填表说明", "staff"]))
    for _ in range(draw(st.integers(0, 2))):
        ws.append([draw(st.sampled_from(TITLES))])
    valid = draw(st.booleans())
    if valid:
        cols = draw(st.permutations(REQUIRED))
        ws.append([draw(st.sampled_from(HEADERS[c])) for c in cols])
        for i in range(draw(st.integers(0, 3))):
            cell = {
                "staff_id": draw(st.sampled_from([10000 + i, f"S{i}"])),
                "org_id": draw(st.sampled_from(VALID["org_id"])),
                "role": draw(st.sampled_from(VALID["role"])),
                "hired_on": draw(st.sampled_from(HIRED)),
                "left_on": draw(st.sampled_from([None, date(2026, 6, 30), 46203])),
            }
            ws.append([cell[c] for c in cols])
    else:
        cols = draw(st.permutations(list(HEADERS)))[: draw(st.integers(3, len(HEADERS)))]
        ws.append([draw(st.sampled_from(HEADERS[c])) for c in cols])
        for _ in range(draw(st.integers(0, 3))):
            ws.append([draw(st.one_of(st.sampled_from(VALUES[c]), CELLS)) for c in cols])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), valid


@settings(SETTINGS, max_examples=max(1, EXAMPLES * 5 // 8))
@given(book=staff_book())
def test_workbooks_with_random_cells_load_or_fail_cleanly(
    template: Path, book: tuple[bytes, bool]
) -> None:
    _check(template, "staff.xlsx", book[0], must_load=book[1])
