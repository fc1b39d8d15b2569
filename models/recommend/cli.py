"""``learnmap recommend`` and ``learnmap allocate`` (registered through the
``learnmap.commands`` entry point).

Both read the store (``LEARNMAP_DATABASE_URL``).  ``recommend`` fits the chosen model
(default ``hybrid``) on the records known on ``--as-of`` — or reuses the one saved for
the same data, date and policy (``fitted``) and prints one person's top
modules with reasons, or writes everyone's (``--all --out FILE``, with a progress bar).
``allocate`` assigns the free seats of the offline sessions starting in
``[--from, --to]`` (see ``models.allocate.seats``).

What they say to people (refusals, "wrote …" lines) is the label catalogue's
(``rec_*``, ``alloc_written*``, ``error_line``): Chinese by default, English with
``--lang en`` / ``LEARNMAP_LANG=en``; option names, ids and model names stay as typed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from engine.cli import check_table_output, parse_date, require_store
from engine.errors import LearnmapError
from engine.labels import text
from engine.outputs import write_table
from engine.progress import words as bar_words


def _fail(key: str, **fmt: object) -> int:
    """Say a refusal on stderr in the catalogue's words (``error_line`` around the
    message ``key``) and give the exit status of bad input."""
    print(text("error_line", message=text(key, **fmt)), file=sys.stderr)
    return 2


def _write(frame: pd.DataFrame, out: Path) -> None:
    """CSV, Parquet or XLSX by suffix, atomic and following the umask
    (``engine.outputs``); display columns (``mode_label`` …) beside the codes."""
    write_table(frame, out, labels=True)


def _print_recs(full: pd.DataFrame, args: argparse.Namespace) -> None:
    """One person's recommendations as people read them: title, mode, hours, the
    session to book and the reason."""
    from engine.labels import label

    print(text("rec_header", staff=args.staff_id, day=args.as_of, model=args.model))
    for r in full.itertuples():
        hours = f"{r.hours:g}" if pd.notna(r.hours) else ""
        print(
            text(
                "rec_line",
                rank=r.rank,
                title=r.title,
                module_id=r.module_id,
                mode=label("mode", r.mode),
                hours=hours,
            )
        )
        if r.book_session:
            print(text("rec_book", session=r.book_session))
        print(f"      {r.reason}")


#: Models the registry knows that ``recommend`` cannot serve: the oracle scores with the
#: demo generator's ground truth (``demo-data --truth`` writes it beside the dataset, and
#: it is never ingested), so it exists only for experiments (``experiments.oracle``).
#: Choice: refuse it here with a message saying so, rather than look for a truth folder
#: the store does not know about.  The value is the catalogue message that says why.
EXPERIMENT_ONLY = {"oracle": "rec_model_oracle"}


def recommend_models() -> list[str]:
    """The model names ``learnmap recommend --model`` accepts."""
    from models.registry import available

    return [n for n in available("recommend") if n not in EXPERIMENT_ONLY]


def _codes(kind: str, option: str, values: list[str] | None) -> tuple[str, ...] | None:
    """``--mode`` / ``--tier`` values as codes: the code or the label people read
    (线下, 基础课, Offline …); an unknown value is refused with the choices — a filter
    that matches nothing would answer with an empty list and look like "nothing to
    recommend"."""
    from engine.labels import enum_labels, parse_label

    if not values:
        return None
    out = []
    for v in values:
        code = parse_label(kind, v)
        if code is None:
            known = ", ".join(f"{lab} ({c})" for c, lab in enum_labels(kind).items())
            raise LearnmapError(text("rec_filter_unknown", option=option, value=v, known=known))
        out.append(code)
    return tuple(out)


def _check_model(name: str) -> None:
    models = ", ".join(recommend_models())
    if name in EXPERIMENT_ONLY:
        raise LearnmapError(text(EXPERIMENT_ONLY[name], model=repr(name), models=models))
    if name not in recommend_models():
        raise LearnmapError(text("rec_model_unknown", model=repr(name), models=models))


def _tables() -> dict[str, pd.DataFrame]:
    from engine.store import Store

    require_store()
    tables = Store().load()
    if tables["staff"].empty:
        raise LearnmapError("the store is empty: run `learnmap ingest DIR` first")
    return tables


def fitted(name: str, tables: dict[str, pd.DataFrame], as_of: date, policy: str | None):  # noqa: ANN201
    """Recommender ``name`` fitted on ``tables`` as of ``as_of`` under ``policy``: the
    saved one in the model directory (``LEARNMAP_MODEL_DIR``) when it was fitted on
    these very data, date and policy — by ``learnmap serve`` or an earlier
    ``recommend`` — else fitted now and saved there for the next call.  A Hybrid
    takes about a minute to fit on a 20,000-staff store; an administrator asking for
    one person after another should wait once, not every time."""
    import logging

    from models.artifacts import ArtifactError
    from models.recommend import artifacts
    from models.registry import create

    log = logging.getLogger(__name__)
    from engine.policy import load_policy

    want = None if policy is None else load_policy(policy)
    try:
        model, _ = artifacts.load(name, as_of, tables)
        # as the service does: a model fitted for another policy ranks other modules first
        if getattr(model, "policy_", None) == want:
            return model
        log.info("the saved %s was fitted for another policy: refitting", name)
    except ArtifactError as exc:
        log.info("%s", exc)
    model = create(name)
    model.fit(tables, as_of, policy=policy)
    try:
        artifacts.save(model, name, tables, as_of)
    except OSError as exc:  # a read-only model directory: answer all the same
        log.warning("could not save the fitted %s for reuse: %s", name, exc)
    return model


def _cmd_recommend(args: argparse.Namespace) -> int:
    from features.asof import tables_as_of
    from models.recommend.filters import Filters

    if args.all == (args.staff_id is not None):
        return _fail("rec_staff_or_all")
    if args.all and args.out is None:
        return _fail("rec_all_needs_out")
    if args.k < 1:
        return _fail("rec_k_min", k=args.k)
    if args.all:
        check_table_output(args.out)
    _check_model(args.model)
    filters = Filters(
        modes=_codes("mode", "--mode", args.mode),
        tiers=_codes("tier", "--tier", args.tier),
        sessions_from=args.sessions_from,
        sessions_to=args.sessions_to,
        offer_prerequisites=args.offer_prerequisites,
    )
    policy = None if args.policy in ("", "none") else args.policy
    tables = _tables()
    if (args.date_from is None) != (args.date_to is None):
        return _fail("rec_window_both")
    if args.date_from is not None:
        if args.date_from >= args.date_to:
            return _fail("rec_window_order", start=args.date_from, end=args.date_to)
        from dataclasses import replace

        from features.offerings import offered_module_ids

        offered = offered_module_ids(tables, args.date_from, args.date_to)
        rest = set(tables["modules"]["module_id"].astype(str)) - offered
        filters = replace(filters, exclude_modules=frozenset(rest))
    if not args.all:  # an unknown person is said before the model is fitted
        known = tables_as_of(tables, args.as_of)["staff"]["staff_id"].astype(str)
        if args.staff_id not in set(known):
            return _fail("error_no_staff_as_of", staff_id=repr(args.staff_id), day=args.as_of)
    model = fitted(args.model, tables, args.as_of, policy)
    if not args.all:
        from features.exports import recommendation_export

        recs = model.recommend([args.staff_id], k=args.k, filters=filters)
        full = recommendation_export(recs, tables, args.as_of)
        if args.json:  # title, mode, hours and the session to book, as the API gives
            records = json.loads(full.to_json(orient="records", date_format="iso"))
            for r in records:
                for c in ("session_starts_on", "session_ends_on"):
                    r[c] = r[c][:10] if r.get(c) else None
            json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
            print()
            return 0
        _print_recs(full, args)
        return 0
    from tqdm import tqdm

    from models.recommend.batch import recommend_all

    staff = tables_as_of(tables, args.as_of)["staff"]
    ids = sorted(staff.loc[staff["left_on"].isna(), "staff_id"].astype(str))
    # disable=None: tqdm stays quiet when stderr is not a terminal
    bar = tqdm(
        total=len(ids),
        unit="staff",
        desc=bar_words("recommend"),
        disable=True if args.quiet else None,
    )
    with bar:
        out = recommend_all(
            model, ids, k=args.k, filters=filters, n_jobs=args.jobs, progress=bar.update
        )
    from features.exports import recommendation_export

    _write(recommendation_export(out, tables, args.as_of), args.out)
    rows, n = f"{len(out):,}", f"{len(ids):,}"
    print(text("rec_written", path=args.out, rows=rows, staff=n, model=args.model))
    return 0


def _cmd_allocate(args: argparse.Namespace) -> int:
    from engine.policy import load_policy
    from models.allocate.seats import allocate, by_org, need_scores, settings_from_policy

    check_table_output(args.out)
    if args.by_org is not None:
        check_table_output(args.by_org, "--by-org")
    policy = load_policy(args.policy)
    settings = settings_from_policy(policy, args.seats_per_org, args.seats_per_person)
    if args.no_org_cap:
        settings = type(settings)(None, settings.seats_per_person)
    tables = _tables()
    seats = allocate(tables, args.date_from, args.date_to, policy, settings)
    from features.exports import allocation_export

    _write(allocation_export(seats, tables), args.out)
    n_sessions = f"{seats['session_id'].nunique():,}"
    msg = text("alloc_written", path=args.out, seats=f"{len(seats):,}", sessions=n_sessions)
    if args.by_org is not None:
        from features.exports import with_people

        roll = by_org(seats, need_scores(tables, args.date_from, policy))
        _write(with_people(roll, tables["staff"], tables["organizations"]), args.by_org)
        msg += text("alloc_written_by_org", path=args.by_org)
    print(msg)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    today = date.today()
    p = sub.add_parser(
        "recommend",
        help="next modules for a staff member (with reasons), or for everyone",
        description="Fit a recommender on the records known on --as-of and list a "
        "person's best next modules with the reason for each; --all writes everyone's "
        "(columns staff_id, rank, module_id, score, reason).",
    )
    p.add_argument("staff_id", nargs="?")
    p.add_argument("--k", type=int, default=10, help="modules per person (default 10)")
    p.add_argument("--as-of", type=parse_date, default=today, help="date (default today)")
    p.add_argument("--model", default="hybrid", help="hybrid (default), skillgap, itemknn, ...")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="everyone employed on --as-of")
    p.add_argument("--out", type=Path, help="output .csv, .parquet or .xlsx (with --all)")
    p.add_argument(
        "--jobs",
        type=int,
        default=-1,
        help="worker processes for --all (default -1: every CPU; 1 = this process only)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--policy",
        default="national-2025",
        help="requirement whose laggards get counting modules first (preset or file; "
        "'none' = off; default national-2025)",
    )
    p.add_argument("--mode", action="append", help="only this mode (repeatable)")
    p.add_argument("--tier", action="append", help="only this tier (repeatable)")
    p.add_argument(
        "--sessions-from",
        type=parse_date,
        help="only modules with an open seat in a session starting on or after this date "
        "(self-paced online modules always qualify)",
    )
    p.add_argument("--sessions-to", type=parse_date, help="... and on or before this date")
    p.add_argument(
        "--from",
        dest="date_from",
        type=parse_date,
        help="only modules offered in [--from, --to): a session opening for enrolment "
        "then, or a self-paced module available then (features.offerings)",
    )
    p.add_argument("--to", dest="date_to", type=parse_date, help="end of that window (excluded)")
    p.add_argument(
        "--offer-prerequisites",
        action="store_true",
        help="offer the missing prerequisite of a module one cannot take yet, in its place "
        '("prerequisite for ...") instead of leaving it out',
    )
    p.set_defaults(func=_cmd_recommend)

    p = sub.add_parser(
        "allocate",
        help="assign offline class seats to the staff who need them most (名额分配)",
        description="Assign the free seats of the offline sessions starting in "
        "[--from, --to] so that the total need of the people seated is largest "
        "(behind on the requirement and near the deadline, long-term untrained, "
        "remedial; heads first when equally behind), at most --seats-per-org seats per "
        "organization per session; nobody gets a module they completed.",
    )
    p.add_argument("--from", dest="date_from", type=parse_date, required=True)
    p.add_argument("--to", dest="date_to", type=parse_date, required=True)
    p.add_argument("--policy", default="national-2025", help="preset name or policy file")
    p.add_argument("--out", type=Path, required=True, help="output .csv, .parquet or .xlsx")
    p.add_argument("--by-org", type=Path, help="also write the roll-up per organization")
    p.add_argument(
        "--seats-per-org", type=int, help="seats per organization per session (default 2)"
    )
    p.add_argument("--no-org-cap", action="store_true", help="no per-organization cap")
    p.add_argument(
        "--seats-per-person", type=int, help="seats per person in the period (default 1)"
    )
    p.set_defaults(func=_cmd_allocate)
