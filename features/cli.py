"""Feature commands added to ``learnmap``: profile, status, learning-map, report.

All read the store (``LEARNMAP_DATABASE_URL``) and work as of a date (default today).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from engine import progress as bars
from engine.cli import add_quiet, parse_date
from engine.errors import LearnmapError, Rule
from engine.outputs import write_table, write_text
from engine.store import Store
from features.engine_options import add_engine_options, report_inputs, status_frame, status_tables

# ``engine.policy`` (pydantic), ``features.graph`` (networkx) and the feature modules are
# imported by the commands that use them: ``profile`` and ``learning-map`` start in a
# fraction of a second and never import networkx (tests/test_imports.py).


def _snapshot(as_of: date, policy_kind: str):  # noqa: ANN202
    """The snapshot ``status`` and ``report`` work on, reading only the columns their
    builders use (``features.snapshot.status_columns``), typed through Arrow."""
    from features.snapshot import snapshot

    tables = status_tables(policy_kind)
    with bars.spinner(bars.words("snapshot")):
        return snapshot(tables, as_of)


def _jsonable(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        return value.item()  # numpy scalar
    return value


def profile_record(snap, staff_id: str, policy: str, mastery=None) -> dict | None:  # noqa: ANN001
    """The ``profile`` command's record for one staff member of ``snap`` (None if absent).

    ``snap`` may hold everyone or only that person (``features.person``); ``mastery``
    must then carry the population's priors.  Both give the same record."""
    from engine.policy import load_policy
    from features.compliance import compliance
    from features.learning_map import person_map, skill_gaps
    from features.mastery import skill_mastery
    from features.profile import learner_profiles

    mastery = mastery or skill_mastery(snap)
    prof = learner_profiles(snap, mastery=mastery)
    hit = prof[prof["staff_id"] == staff_id]
    if hit.empty:
        return None
    status = compliance(snap, load_policy(policy))
    st = status[status["staff_id"] == staff_id].iloc[0]
    record = {k: _jsonable(v) for k, v in hit.iloc[0].items()}
    record["status"] = {
        k: _jsonable(st[k])
        for k in ("policy", "required", "done", "remaining", "deadline", "status")
    }
    record["skill_gaps"] = skill_gaps(person_map(snap, staff_id, mastery, modules=False))
    return record


def _person(staff_id: str, as_of: date):  # noqa: ANN202
    """One person's snapshot and mastery, read by targeted queries (None if unknown)."""
    from engine.errors import NotFoundError
    from features.person import person_view

    try:
        return person_view(Store(), staff_id, as_of)
    except NotFoundError:
        return None


def _store_exists() -> None:
    """Reading a store that does not exist must not create one (engine.cli.require_store)."""
    from engine.cli import require_store

    require_store()


def _cmd_profile(args: argparse.Namespace) -> int:
    _store_exists()
    view = _person(args.staff_id, args.as_of)
    record = (
        None
        if view is None
        else profile_record(view.snap, args.staff_id, args.policy, view.mastery)
    )
    if record is None:
        return _fail("error_no_staff_as_of", staff_id=repr(args.staff_id), day=args.as_of)
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=1))
        return 0
    _print_profile(record, args)
    return 0


def _shown(value: object) -> str:
    """A profile value as people read it: 是/否, — for nothing, numbers rounded."""
    from engine.labels import label

    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, bool):
        return label("bool", value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _profile_value(key: str, value: object, record: dict) -> str:
    """A profile field as people read it: shares as percentages (结业率 100%, not 1),
    the required skills' mastery with how much of it is estimated."""
    if key == "mastery_required":
        return _mastery_shown(record)
    if key in ("completion_rate", "required_coverage") and isinstance(value, (int, float)):
        return f"{value:.0%}"
    return _shown(value)


def _mastery_shown(record: dict) -> str:
    """The mean mastery of the required skills, saying how much of it is the population
    estimate: skills never assessed count at the prior (``features.profile``)."""
    from engine.labels import text

    value, n = record["mastery_required"], record.get("required_skills", 0)
    seen = record.get("required_assessed", n)
    if not n or seen >= n or value is None:
        return _shown(value)
    if seen == 0:
        return text("profile_mastery_prior", mastery=_shown(value))
    return text("profile_mastery_partly", mastery=_shown(value), seen=seen, n=n)


def _print_profile(record: dict, args: argparse.Namespace) -> None:
    from engine.labels import column, label, label_many, text

    s = record["status"]
    print(
        f"{args.staff_id}  {column('org_id')} {record['org_id']}  "
        f"{column('role')} {label_many('role', record['role'])}  {column('as_of')} {args.as_of}"
    )
    print(
        "  "
        + text(
            "profile_status",
            policy=label("policy", s["policy"]),
            status=label("status", s["status"]),
            done=_shown(s["done"]),
            required=_shown(s["required"]),
            remaining=_shown(s["remaining"]),
            deadline=s["deadline"],
        )
    )
    skip = {"staff_id", "org_id", "role", "status", "skill_gaps", "required_skills"}
    for k, v in record.items():
        if k not in skip:
            print(f"  {column(k):<16} {_profile_value(k, v, record)}")
    if record["skill_gaps"]:
        print("  " + text("profile_gaps"))
        for gap in record["skill_gaps"][:5]:
            key = "profile_gap_prior" if gap.get("evidence") == "prior" else "profile_gap"
            print(
                "    " + text(key, skill=gap["skill"], mastery=gap["mastery"], target=gap["target"])
            )


def _fail(key: str, **fmt: object) -> int:
    """A refusal on stderr in the catalogue's words (``error_line``); exit status 2."""
    from engine.labels import text

    print(text("error_line", message=text(key, **fmt)), file=sys.stderr)
    return 2


def _write_table(frame: pd.DataFrame, out: Path) -> None:
    """CSV or Parquet by suffix, atomic and following the umask (``engine.outputs``)."""
    if out.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        raise LearnmapError(Rule("output_suffix", name=out.name))
    write_table(frame, out, labels=True)


def _with_names(status: pd.DataFrame) -> pd.DataFrame:
    """The status file stands alone: names beside the ids (``features.exports``), read
    from the store's staff and organization tables (two columns each)."""
    from engine.store import Store
    from features.exports import with_people

    store = Store()
    staff = store.load_table("staff", ["staff_id", "name"])
    orgs = store.load_table("organizations", ["org_id", "name"])
    return with_people(status, staff, orgs)


def _cmd_status(args: argparse.Namespace) -> int:
    _store_exists()
    from engine.labels import label, text
    from engine.policy import load_policy

    policy = load_policy(args.policy)
    status = status_frame(args, policy)
    if args.org:
        status = status[status["org_id"] == args.org]
        if status.empty:
            return _fail("status_no_org", org=repr(args.org))
    left = int((~status["employed"]).sum())
    if not args.include_left:  # the population of report, risk and the API
        status = status[status["employed"].to_numpy(dtype=bool)]
    with bars.spinner(bars.words("writing_file", name=args.out.name)):
        _write_table(_with_names(status), args.out)
    emp = status[status["employed"].to_numpy(dtype=bool)]
    counts = emp["status"].astype(str).value_counts()
    owing = emp[emp["required"] > 0]
    sep = "、" if text("yes") == "是" else ", "
    shares = sep.join(
        f"{label('status', k)} {counts.get(k, 0):,}"
        for k in ("met", "on_track", "at_risk", "overdue")
    )
    print(
        text(
            "status_written",
            path=args.out,
            n=f"{len(status):,}",
            policy=label("policy", policy.name),
            day=args.as_of,
        )
    )
    print(
        "  "
        + text(
            "status_population",
            employed=f"{len(emp):,}",
            owing=f"{len(owing):,}",
            shares=shares,
            not_owing=f"{counts.get('none', 0):,}",
        )
    )
    if left:
        key = "status_left_included" if args.include_left else "status_left_excluded"
        print("  " + text(key, n=f"{left:,}"))
    return 0


def _cmd_learning_map(args: argparse.Namespace) -> int:
    _store_exists()
    from features.learning_map import node_link, person_map

    suffix = args.out.suffix.lower()
    if suffix not in (".json", ".png"):
        return _fail("map_out_suffix", name=args.out.name)
    view = _person(args.staff_id, args.as_of)
    if view is None:
        return _fail("error_no_staff_as_of", staff_id=repr(args.staff_id), day=args.as_of)
    g = person_map(view.snap, args.staff_id, view.mastery)
    if suffix == ".png":
        from features.map_draw import draw_map  # matplotlib: for the PNG only

        draw_map(node_link(g), args.out)
    else:
        write_text(args.out, json.dumps(node_link(g), ensure_ascii=False, indent=1, default=str))
    skills = sum(1 for _, d in g.nodes(data=True) if d["kind"] == "skill")
    mods = sum(1 for _, d in g.nodes(data=True) if d["kind"] == "module")
    from engine.labels import text

    print(text("map_written", path=args.out, skills=skills, modules=mods))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    _store_exists()
    from engine.labels import label, text
    from engine.policy import load_policy
    from features.compliance import compliance
    from features.org import org_profiles, role_status
    from features.report import programme_report
    from features.report_files import headline, write_report

    if args.out.exists() and not args.out.is_dir():
        raise LearnmapError(Rule("report_out_is_file", path=args.out))
    policy = load_policy(args.policy)
    dask_inputs = report_inputs(args, policy)
    snap = _snapshot(args.as_of, policy.kind) if dask_inputs is None else dask_inputs[1]
    with bars.spinner(bars.words("report"), total=4) as step:
        step.set_description(bars.words("report_status", policy=label("policy", policy.name)))
        status = compliance(snap, policy) if dask_inputs is None else dask_inputs[0]
        step.update(1)
        step.set_description(bars.words("report_volume"))
        report = programme_report(snap, status, policy)
        step.update(1)
        step.set_description(bars.words("report_orgs"))
        extra = {
            "organizations": org_profiles(snap, status, policy),
            "organizations_by_role": role_status(snap, status),
        }
        step.update(1)
        step.set_description(bars.words("report_files"))
        files = write_report(
            report, args.out, snap.as_of, policy, extra=extra, n_orgs=len(snap.orgs)
        )
        step.update(1)
    print(f"{text('report_title')} → {args.out}  ({label('policy', policy.name)})")
    for line in headline(report, policy, snap.as_of, len(snap.orgs)):
        print(f"  {line}")
    print(f"  {text('files')}: {', '.join(f.name for f in files)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the feature commands to the ``learnmap`` parser."""
    today = date.today()
    p = sub.add_parser(
        "profile",
        help="one staff member's learner profile and status",
        description="Person-times, hours, credits, engagement, scores, skill "
        "mastery, coverage and outcome gains of one staff member as of a date, "
        "with their status under a policy and their largest skill gaps.",
    )
    p.add_argument("staff_id")
    p.add_argument("--as-of", type=parse_date, default=today, help="date (default today)")
    p.add_argument("--policy", default="national-2025", help="preset name or policy file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_profile)

    p = sub.add_parser(
        "status",
        help="compliance status of every staff member (CSV/Parquet)",
        description="One row per staff member employed on the date with required, "
        "done, remaining, deadline and status (met 达标, on_track 进度正常, at_risk 有风险, "
        "overdue 逾期; none 无要求 for staff who owe nothing) under a policy as of a "
        "date, with display columns (status_label …) beside the codes.",
    )
    p.add_argument("--as-of", type=parse_date, default=today, help="date (default today)")
    p.add_argument(
        "--policy",
        default="national-2025",
        help="preset (national-2025, cadre-hours, credits) or a policy file",
    )
    p.add_argument("--org", help="only this organization's staff")
    p.add_argument(
        "--include-left",
        action="store_true",
        help="also list staff who had left by the date (default: staff employed on it, "
        "the people report, risk and the API count)",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output .csv, .parquet or .xlsx (Chinese headers; --lang en)",
    )
    add_engine_options(p)
    add_quiet(p)
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser(
        "learning-map",
        help="a staff member's learning map as JSON or PNG",
        description="The skills a person's roles require, their mastery of "
        "each, and the modules that teach them (done / enrolled / not taken).",
    )
    p.add_argument("staff_id")
    p.add_argument("--as-of", type=parse_date, default=today, help="date (default today)")
    p.add_argument("--out", type=Path, required=True, help="output .json (node-link) or .png")
    p.set_defaults(func=_cmd_learning_map)

    p = sub.add_parser(
        "report",
        help="programme report: tables, charts, a workbook and a one-page summary",
        description="Person-times per year and mode against the plan's "
        "targets (the current year to date), and coverage by role, organization type "
        "and region, as CSV tables and PNG charts, organization profiles, all of it in "
        "report.xlsx, and summary.docx: one page to send upward.",
    )
    p.add_argument("--as-of", type=parse_date, default=today, help="date (default today)")
    p.add_argument("--policy", default="national-2025", help="preset name or policy file")
    p.add_argument("--out", type=Path, required=True, help="folder to write into")
    add_engine_options(p)
    add_quiet(p)
    p.set_defaults(func=_cmd_report)
