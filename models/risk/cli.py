"""Model commands added to ``learnmap``: ``import oulad``, ``import cnpc``, ``train``, ``risk``.

Registered through the ``learnmap.commands`` entry point (``models = models.risk.cli:register``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli import _print_problems, add_quiet, check_table_output, parse_date, require_store
from engine.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd


def _cmd_import_oulad(args: argparse.Namespace) -> int:
    from engine.importers.oulad import import_oulad

    return _run_import(import_oulad, args)


def _cmd_import_cnpc(args: argparse.Namespace) -> int:
    from engine.importers.cnpc import import_cnpc

    return _run_import(import_cnpc, args)


def _run_import(importer, args: argparse.Namespace) -> int:  # noqa: ANN001
    t0 = time.perf_counter()
    try:
        counts = importer(args.src, args.out)
    except ValidationError as exc:
        _print_problems(exc, as_json=False)
        return 2
    from engine.cli_commands import _print_counts
    from engine.labels import text

    print(text("demo_written", path=args.out, seconds=f"{time.perf_counter() - t0:.1f}"))
    _print_counts(counts)
    return 0


def _load_store() -> dict:
    """Every table of the store (``learnmap ingest`` first; an empty store is an error)."""
    from engine.errors import LearnmapError
    from engine.store import Store

    tables = Store().load()
    if tables["staff"].empty:
        raise LearnmapError("the store is empty: run `learnmap ingest DIR` first")
    return tables


def _cmd_train(args: argparse.Namespace) -> int:
    from engine.policy import load_policy
    from models.risk.artifacts import save
    from models.risk.estimator import StaffRisk

    t0 = time.perf_counter()
    policy = load_policy(args.policy)
    require_store()
    tables = _load_store()
    model = StaffRisk().fit(tables, args.as_of, policy)
    folder = save(model, tables)
    m = model.backtest_metrics_
    from engine.labels import label, text

    seconds = f"{time.perf_counter() - t0:.0f}"
    name = label("policy", policy.name)
    print(text("train_done", day=args.as_of, policy=name, seconds=seconds))
    print(text("train_backtest", rows=f"{m['rows']:,}", n=len(m["snapshots"])))
    print(
        text(
            "train_check",
            brier=f"{m['brier_calibrated']:.4f}",
            raw=f"{m['brier_raw']:.4f}",
            auc=f"{m['auc']:.4f}",
            base=f"{m['base_rate']:.3f}",
        )
    )
    print(text("train_saved", folder=folder))
    return 0


def _cmd_risk(args: argparse.Namespace) -> int:
    from engine.labels import text
    from engine.outputs import write_table
    from engine.policy import load_policy
    from models.risk.artifacts import STAFF_COLUMNS, load
    from models.risk.features import UNIT_WORDS
    from models.risk.org import rollup, score_orgs, unit_share

    check_table_output(args.out)
    policy = load_policy(args.policy)
    model, manifest = load(policy)
    require_store()
    f, tables = _staff_forecasts(args, model)
    if args.level == "staff":
        cols = STAFF_COLUMNS + ["forecast_vs_status", "required", "done", "remaining", "deadline"]
        labels = args.out.suffix.lower() != ".xlsx"  # a workbook shows labels itself
        write_table(_standing_alone(f[cols], tables, labels), args.out)
        print(text("risk_written_staff", n=f"{len(f):,}", path=args.out, trained=manifest["as_of"]))
        print(_reading(f["forecast_vs_status"]))
        return 0
    sigma = float(getattr(model, "unit_sigma_", 0.0))
    orgs = score_orgs(
        f, tables["organizations"], unit_share(policy), UNIT_WORDS[policy.kind], sigma
    )
    shown = orgs
    if args.out.suffix.lower() == ".xlsx" and "name" in orgs:  # a workbook is read by people:
        rest = [c for c in orgs.columns if c not in ("org_id", "name")]  # the name up front
        shown = orgs[["org_id", "name", *rest]]
    write_table(shown, args.out, labels=True)
    out = args.out
    for by, tag in (("region", "by-region"), ("org_type", "by-type")):
        if by in orgs:
            roll = rollup(orgs, by)
            write_table(roll, out.with_name(f"{out.stem}-{tag}{out.suffix}"), labels=True)
    print(text("risk_written_orgs", n=f"{len(orgs):,}", path=out))
    for r in orgs.nsmallest(5, "rank").itertuples():
        org = f"{r.org_id} {r.name}" if isinstance(getattr(r, "name", None), str) else r.org_id
        print(text("risk_org_line", rank=r.rank, org=org, reason=r.reason))
    return 0


def _staff_forecasts(args: argparse.Namespace, model) -> tuple[pd.DataFrame, dict]:  # noqa: ANN001
    """Everyone's forecast on the engine asked for (``models.risk.partitioned``; the
    dask engine returns only what ``--level org`` reads) and the tables the files
    name people and units from."""
    from engine.cluster import dask_client, engine_name
    from features.engine_options import fresh_copy, parquet_dir
    from models.risk.partitioned import ORG_INPUTS, risk_dask, risk_pandas, staff_names

    if engine_name(args.engine) == "pandas":
        tables = _load_store()
        bar = not args.quiet and sys.stderr.isatty()  # quiet in pipes, logs and cron
        return risk_pandas(tables, args.as_of, model, chunk=args.chunk, progress=bar), tables
    directory = fresh_copy(parquet_dir(args.parquet))
    cols = ORG_INPUTS if args.level == "org" else None
    bar = None if not args.quiet else False  # on a terminal only (engine.progress)
    with dask_client(args.scheduler, announce=print) as client:
        f = risk_dask(directory, args.as_of, model, client, columns=cols, progress=bar)
    return f, staff_names(directory)


def _standing_alone(staff: pd.DataFrame, tables: dict, labels: bool = True) -> pd.DataFrame:
    """The staff file a colleague reads without a data dictionary: after its columns
    (``STAFF_COLUMNS`` first, as scripts read them), the person's name, organization
    and role (``features.exports.with_people``) and the labels of the codes
    (``status_label`` 有风险 …, ``forecast_vs_status_label``, ``role_label``; not for
    a workbook, which puts its own labels beside the codes)."""
    from engine.labels import display_frame
    from features.exports import with_people

    out = with_people(staff, tables["staff"], tables["organizations"], beside=False)
    if not labels:
        return out
    codes = [c for c in ("role", "status", "forecast_vs_status") if c in out]
    shown = display_frame(out[codes], rename=False)
    for c in codes:
        out[f"{c}_label"] = shown[f"{c}_label"].to_numpy()
    return out


def _reading(agreement) -> str:  # noqa: ANN001 - a Series of forecast_vs_status codes
    """How to read the staff file, with the count of rows where the two disagree (the
    file's columns keep their names, so the text names them)."""
    from engine.labels import column, label, text

    n = agreement.value_counts()
    worse, better = int(n.get("worse_than_pace", 0)), int(n.get("better_than_pace", 0))
    return text(
        "risk_reading",
        n=f"{worse + better:,}",
        worse=f"{worse:,}",
        better=f"{better:,}",
        status=column("status"),
        p_miss=column("p_miss"),
        agreement=column("forecast_vs_status"),
        worse_label=label("forecast_vs_status", "worse_than_pace"),
        better_label=label("forecast_vs_status", "better_than_pace"),
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from features.engine_options import add_engine_options

    p = sub.add_parser("import", help="convert another system's files to a canonical dataset")
    isub = p.add_subparsers(dest="import_format", metavar="FORMAT", required=True)
    q = isub.add_parser(
        "oulad",
        help="the Open University Learning Analytics Dataset's original files",
        description="Map OULAD's original CSV files (courses, assessments, studentInfo, "
        "studentRegistration, studentAssessment; vle and studentVle optional) for any "
        "module-presentations onto the canonical tables. Invalid input is listed "
        "(file, row, column, value, rule) and nothing is written. The mapping is "
        "documented in engine/importers/oulad.py.",
    )
    q.add_argument("src", type=Path, help="directory with OULAD's CSV files")
    q.add_argument("--out", type=Path, required=True, help="new dataset directory")
    add_quiet(q)  # accepted like every long command's; the import shows no bar
    q.set_defaults(func=_cmd_import_oulad)
    q = isub.add_parser(
        "cnpc",
        help="Canvas Network person-course files (one CSV or a folder of them)",
        description="Map Canvas Network person-course rows (any quarters, any years) onto "
        "the canonical tables: learners → staff of one organization, disciplines → "
        "skills, courses → modules with one session (first day of the start quarter to "
        "the last day of the end quarter), each row → a registration (completed where "
        "course_reqs or grade_reqs is 1, else enrolled). Invalid rows are listed (file, "
        "row, column, value, rule) and nothing is written. The mapping is documented in "
        "engine/importers/cnpc.py.",
    )
    q.add_argument("src", type=Path, help="a person-course CSV, or a folder of them")
    q.add_argument("--out", type=Path, required=True, help="new dataset directory")
    add_quiet(q)
    q.set_defaults(func=_cmd_import_cnpc)

    p = sub.add_parser(
        "train",
        help="fit the staff risk model as of a date and save it",
        description="Fit the staff risk model on the store's records dated on or before "
        "--as-of (backtests at earlier snapshot dates) and save it with a manifest under "
        "LEARNMAP_MODEL_DIR (default var/models).",
    )
    p.add_argument("--as-of", type=parse_date, required=True, help="training date YYYY-MM-DD")
    p.add_argument("--policy", default="national-2025", help="policy preset or file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "risk",
        help="score staff or organizations with the saved risk model",
        description="Score every employed staff member (or organization) as of --as-of "
        "with the model saved by `learnmap train`; refuses a model trained for another "
        "policy or feature set. In the staff file, status is today's pace (pro-rata rule) "
        "and p_miss the forecast for the deadline; forecast_vs_status flags the rows "
        "where they disagree (worse_than_pace: on track but p_miss >= 0.5; "
        "better_than_pace: at risk but p_miss < 0.5).",
    )
    p.add_argument("--as-of", type=parse_date, required=True, help="scoring date YYYY-MM-DD")
    p.add_argument("--policy", default="national-2025", help="policy preset or file")
    p.add_argument("--level", choices=("staff", "org"), default="staff")
    p.add_argument("--out", type=Path, required=True, help="output .csv, .parquet or .xlsx")
    p.add_argument("--chunk", type=int, default=200_000, help="staff per scoring chunk")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar (none when not a tty either)"
    )
    add_engine_options(p)
    p.set_defaults(func=_cmd_risk)


def main() -> None:  # pragma: no cover - convenience for `python -m models.cli`
    from engine.cli import main as engine_main

    sys.exit(engine_main())
