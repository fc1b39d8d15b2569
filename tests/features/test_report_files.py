"""Issue 23, "Tests": the report's workbook read back with openpyxl against its CSVs
(headers people read, codes kept, the same values), its charts and headline inside,
and the one-page summary (DOCX) saying what the CSVs say."""

from __future__ import annotations

import datetime as dt
import math

import openpyxl
import pandas as pd
import pytest

from engine.labels import ENUM_OF_COLUMN, column, label, text
from engine.policy import load_policy
from features.compliance import compliance
from features.org import org_profiles, role_status
from features.report import programme_report
from features.report_files import KINDS, headline, write_report
from features.snapshot import snapshot

AS_OF = "2026-06-30"
PLAN = load_policy("national-2025")


@pytest.fixture(scope="module")
def written(small_tables: dict, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    snap = snapshot(small_tables, AS_OF)
    status = compliance(snap, PLAN)
    report = programme_report(snap, status, PLAN)
    out = tmp_path_factory.mktemp("report")
    # the organization tables as `learnmap report` adds them
    extra = {
        "organizations": org_profiles(snap, status, PLAN),
        "organizations_by_role": role_status(snap, status),
    }
    write_report(report, out, snap.as_of, PLAN, lang="zh-CN", extra=extra)
    return out, report, snap


def _same(got: object, want: object) -> bool:
    """A workbook cell against the CSV's text of the same value."""
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got in (None, "")
    if isinstance(got, dt.datetime):
        return got.date().isoformat() == str(want)[:10]
    if isinstance(got, bool) or isinstance(want, bool):
        return str(got) == str(want) or {got, want} <= {"是", True} or {got, want} <= {"否", False}
    if isinstance(got, int | float) and not isinstance(got, bool):
        return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)
    return str(got) == str(want)


def test_every_csv_is_a_sheet_with_the_same_values(written) -> None:  # noqa: ANN001
    out, report, _ = written
    wb = openpyxl.load_workbook(out / "report.xlsx")
    names = [*report.tables(), "organizations", "organizations_by_role"]
    sheets = [label("report_table", n, "zh-CN") for n in names]
    assert set(sheets) <= set(wb.sheetnames)
    for name in names:
        ws = wb[label("report_table", name, "zh-CN")]
        assert ws.freeze_panes == "A2", name
        rows = list(ws.iter_rows(values_only=True))
        head, body = list(rows[0]), rows[1:]
        csv = pd.read_csv(out / f"{name}.csv")
        assert len(body) == len(csv), name
        kinds = {**ENUM_OF_COLUMN, **KINDS.get(name, {})}
        for c in csv.columns:
            if c.endswith("_label"):
                h, src = column(c[: -len("_label")], "zh-CN"), c  # the labels people read
            elif c in kinds:
                h, src = column(c, "zh-CN") + text("code_suffix", "zh-CN"), c  # the codes
            else:
                h, src = column(c, "zh-CN"), c
            assert h in head, (name, c, head)
            assert h != c or not c.isascii() or c in ("year",), (name, c)  # a header people read
            got = [r[head.index(h)] for r in body]
            want = csv[src].tolist()
            bad = [(g, w) for g, w in zip(got, want, strict=True) if not _same(g, w)]
            assert not bad, (name, c, bad[:3])


def test_the_workbook_holds_the_headline_and_every_chart(written) -> None:  # noqa: ANN001
    out, report, snap = written
    wb = openpyxl.load_workbook(out / "report.xlsx")
    lines = headline(report, PLAN, snap.as_of, len(snap.orgs), "zh-CN")
    notes = wb[wb.sheetnames[0]]
    shown = [r[0] for r in notes.iter_rows(values_only=True) if r and r[0]]
    assert all(line in shown for line in lines)
    images = sum(len(ws._images) for ws in wb.worksheets)
    assert images == len(list(out.glob("*.png"))) == 4


def test_the_summary_page_says_what_the_csvs_say(written) -> None:  # noqa: ANN001
    from docx import Document

    out, report, snap = written
    doc = Document(str(out / "summary.docx"))
    paras = [p.text for p in doc.paragraphs]
    assert paras[0] == text("report_title", "zh-CN")
    for line in headline(report, PLAN, snap.as_of, len(snap.orgs), "zh-CN"):
        assert line in paras
    assert len(doc.inline_shapes) == 1 and len(doc.sections) == 1
    (table,) = doc.tables
    by_type = pd.read_csv(out / "coverage_by_org_type.csv")
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0][:2] == [column("org_type", "zh-CN"), column("staff", "zh-CN")]
    assert [r[0] for r in rows[1:]] == by_type["org_type_label"].tolist()
    assert [int(r[1].replace(",", "")) for r in rows[1:]] == by_type["staff"].tolist()
