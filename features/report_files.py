"""The report's files: CSV tables, PNG charts, one workbook and a one-page summary.

``write_report(report, out, as_of, policy)`` writes into the folder ``out``:

- each table as ``<table>.csv`` (codes, with ``<column>_label`` display columns beside
  the enumerations, so a script and a person read the same file);
- the charts (``features.report_charts``) as PNG;
- ``report.xlsx``: a sheet per table (headers people read, codes kept beside labels,
  frozen header, widths and number formats; ``engine.workbook``) and the charts as
  images on their own sheet;
- ``summary.docx``: one page to send upward — the headline figures in sentences, the
  volume chart and the coverage by organization type.

Choice of the summary's format and library: DOCX through ``python-docx`` (maintained,
MIT, pure Python on lxml).  An administrator sends such a page upward as a Word
document — it is edited (文号, wording, letterhead) before it goes — and Word or WPS
draws its Chinese text with the reader's own fonts, where a PDF would have to embed a
CJK font (matplotlib's PDF backend cannot embed the bundled OpenType/CFF Noto font).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.labels import get_lang, label, text
from engine.outputs import atomic_path, write_table
from engine.policy import Policy
from features import plotting
from features.report import Report, coverage, targets_note
from features.report_charts import status_chart, volume_chart

KINDS = {"volume": {"mode": "volume_mode"}, "volume_total": {"mode": "volume_mode"}}


def _period(row: pd.Series, as_of: pd.Timestamp, lang: str) -> str:
    if not bool(row.get("year_to_date", False)):
        return str(int(row["year"]))
    day = text("month_day", lang, month=as_of.month, day=as_of.day)
    return text("year_to_date", lang, year=int(row["year"]), day=day)


def headline(report: Report, policy: Policy, as_of: pd.Timestamp, n_orgs: int, lang=None):  # noqa: ANN001, ANN201
    """The report's headline as lines people read (printed by ``learnmap report`` and
    written into the summary): who is counted, status shares, volumes, what remains."""
    lang = get_lang(lang)
    as_of = pd.Timestamp(as_of)
    day = as_of.date().isoformat()
    head = report.summary.iloc[0]
    unit = label("unit", str(head["unit"]), lang)
    lines = [
        text("report_as_of", lang, day=day)
        + "    "
        + text("report_policy", lang, policy=label("policy", policy.name, lang)),
        text(
            "report_population",
            lang,
            day=day,
            employed=f"{int(head['n_employed']):,}",
            owing=f"{int(head['owing']):,}",
            not_owing=f"{int(head['not_owing']):,}",
        )
        + ("；" if lang == "zh-CN" else "; ")
        + text("report_left", lang, n=f"{int(head['left']):,}"),
    ]
    if int(head["staff"]):
        parts = [
            text(
                "report_status_line",
                lang,
                status=label("status", s, lang),
                n=f"{int(head[f'n_{s}']):,}",  # counted, not share × staff
                share=f"{head[f'share_{s}']:.0%}",
            )
            for s in ("met", "on_track", "at_risk", "overdue")
        ]
        lines.append(("，" if lang == "zh-CN" else ", ").join(parts))
    else:
        lines.append(text("report_nobody", lang, day=day))
    lines.append(
        text("report_remaining", lang, remaining=f"{round(head['remaining']):,}", unit=unit)
    )
    lines.append(targets_note(policy, n_orgs, lang))
    for _, row in report.volume.iterrows():
        cov = coverage(row["person_times"], row["target"], lang)
        if bool(row["year_to_date"]):
            due = text("ytd_due", lang, due=f"{row['target_to_date']:,.0f}")
            cov = f"{cov}{due}"
        lines.append(
            text(
                "report_volume_line",
                lang,
                period=_period(row, as_of, lang),
                mode=label("volume_mode", row["mode"], lang),
                n=f"{int(row['person_times']):,}",
                coverage=cov,
            )
        )
    total = report.volume_total.set_index("mode").loc["all"]
    lines.append(
        text(
            "report_window_total",
            lang,
            n=f"{int(total['person_times']):,}",
            coverage=coverage(total["person_times"], total["target"], lang)
            + text("ytd_due", lang, due=f"{total['target_to_date']:,.0f}"),
        )
    )
    future = [y for y in policy.years if y > as_of.year]
    if future:
        lines.append(text("report_future_year", lang, year="、".join(map(str, future))))
    return lines


def write_report(
    report: Report,
    out: str | Path,
    as_of: pd.Timestamp,
    policy: Policy,
    *,
    lang: str | None = None,
    extra: dict[str, pd.DataFrame] | None = None,
    n_orgs: int | None = None,
) -> list[Path]:
    """Write the report into the folder ``out``; returns the files written.

    ``extra`` (name → table) adds tables written the same way (the organization
    profiles); ``n_orgs`` is the number of organizations in the store (for the summary's
    sentence about targets; default: the summary's ``organizations``)."""
    from engine.workbook import write_workbook

    lang = get_lang(lang)
    out = Path(out)
    if out.exists() and not out.is_dir():
        from engine.errors import LearnmapError

        raise LearnmapError(f"--out {out}: is a file; the report needs a folder (e.g. var/report)")
    out.mkdir(parents=True, exist_ok=True)
    as_of = pd.Timestamp(as_of)
    tables = {**report.tables(), **(extra or {})}
    files = [
        write_table(frame, out / f"{name}.csv", labels=True, lang=lang, kinds=KINDS.get(name))
        for name, frame in tables.items()
    ]
    charts = {"volume_by_year": volume_chart(report.volume, as_of, lang)}
    for name, key in (
        ("coverage_by_role", "role"),
        ("coverage_by_org_type", "org_type"),
        ("coverage_by_region", "region"),
    ):
        charts[f"status_by_{key}"] = status_chart(
            getattr(report, name), key, policy.name, as_of, lang
        )
    pngs = {name: plotting.save(fig, out / f"{name}.png") for name, fig in charts.items()}
    files += list(pngs.values())
    if n_orgs is None:
        n_orgs = int(report.summary["organizations"].iloc[0])
    lines = headline(report, policy, as_of, n_orgs, lang)
    order = ["summary", *[n for n in tables if n != "summary"]]
    sheets = {label("report_table", n, lang): tables[n] for n in order}
    kinds = {label("report_table", n, lang): KINDS.get(n, {}) for n in order}
    files.append(
        write_workbook(
            sheets,
            out / "report.xlsx",
            lang=lang,
            kinds=kinds,
            images={label("report_table", "summary", lang): pngs["volume_by_year"]}
            | {
                text(f"chart_by_{k}", lang): pngs[f"status_by_{k}"]
                for k in ("role", "org_type", "region")
            },
            notes={text("report_title", lang): lines},
        )
    )
    files.append(_summary_docx(out / "summary.docx", lines, report, pngs, lang))
    return files


def _summary_docx(path: Path, lines: list[str], report: Report, pngs, lang: str) -> Path:  # noqa: ANN001
    """One A4 page: title, headline sentences, the volume chart, coverage by type."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Cm(2.2))
    sec.top_margin = sec.bottom_margin = Cm(1.8)
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    style.font.name = "SimSun" if lang == "zh-CN" else "Calibri"
    _east_asian(style.element, "宋体")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(text("report_title", lang))
    run.bold, run.font.size = True, Pt(16)
    _east_asian(run.element, "黑体")
    for line in lines:
        p = doc.add_paragraph(line)
        p.paragraph_format.space_after = Pt(2)
    doc.add_picture(str(pngs["volume_by_year"]), width=Cm(13.5))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    frame = report.coverage_by_org_type
    cols = ["org_type", "staff", "share_met", "share_on_track", "share_at_risk", "share_overdue"]
    from engine.labels import column

    table = doc.add_table(rows=1, cols=len(cols))
    table.style = "Table Grid"
    for j, c in enumerate(cols):
        table.rows[0].cells[j].text = column(c, lang)
    for _, row in frame.iterrows():
        cells = table.add_row().cells
        cells[0].text = label("org_type", str(row["org_type"]), lang)
        cells[1].text = f"{int(row['staff']):,}"
        for j, c in enumerate(cols[2:], 2):
            cells[j].text = f"{row[c]:.0%}" if pd.notna(row[c]) else ""
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


def _east_asian(element, font: str) -> None:  # noqa: ANN001
    """Set the font Word uses for Chinese characters (``w:eastAsia``) on a style or run."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)
