"""*Organization* (``/console/organizations/{org_id}``) and *Person*
(``/console/people/{staff_id}``): the API's scope checks first (403 whatever exists),
then 404; a person's page is audited as the API's person reads are."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.console import data
from api.console.tables import Table
from api.console.views_overview import Fmt, choice, filters_text, pick
from api.console.web import PREFIX, ConsoleDep
from api.deps import check_org, check_person
from engine.policy import load_policy
from features.map_layout import map_layout
from features.org import unit_rule

router = APIRouter(prefix=PREFIX, include_in_schema=False)
LISTS = ("all", "behind", "untrained", "remedial")
STATUSES = ("met", "on_track", "at_risk", "overdue")
CALLUPS = 10
#: profile fields shown as cards on the person page (when the profile has them)
FACTS = [
    ("org_id", "text"),
    ("hired_on", "date"),
    ("person_times", "int"),
    ("last_completed_on", "date"),
]


def _org_page(c, org_id: str, d: date, status, show: str, page: int):  # noqa: ANN001, ANN202
    v = c.service.view(d)
    orgs = data.org_table(v)
    if org_id not in orgs.index:
        raise HTTPException(404, f"organization {org_id!r} has no staff on {d}")
    org = orgs.loc[org_id].to_dict()
    staff = data.org_staff(v, org_id)
    researcher = c.p.role == "researcher"
    counts = {
        "untrained": int(staff["untrained"].sum()),
        "remedial": int(staff["remedial"].sum()),
        "behind": int(staff["status"].isin(["at_risk", "overdue"]).sum()),
    }
    rows = staff[staff["employed"].to_numpy(bool)]
    if show == "behind":
        rows = rows[rows["status"].isin(["at_risk", "overdue"])]
    elif show in ("untrained", "remedial"):
        rows = rows[rows[show].to_numpy(bool)]
    if status:
        rows = rows[rows["status"] == status]
    rows = rows.sort_values(["p_miss", "staff_id"], ascending=[False, True], na_position="last")
    if researcher and c.service.pseudo is not None:
        rows = rows.assign(staff_id=rows["staff_id"].map(c.service.pseudo), name="")
    has_names = bool((staff["name"].astype(str) != "").any()) and not researcher
    cols = [("staff_id", "text")] + ([("name", "text")] if has_names else [])
    cols += [
        ("role", "enum:role"),
        ("status", "enum:status"),
        ("done", "num"),
        ("required", "num"),
        ("remaining", "num"),
        ("deadline", "date"),
        ("p_miss", "pct"),
        ("last_completed", "date"),
        ("drivers", "text"),
    ]
    links = {} if researcher else {"staff_id": PREFIX + "/people/{value}"}
    per = 100
    staff_table = Table("staff", c.L.t("org.staff"), rows, cols, links=links, total=len(rows))
    # recommended call-ups: the staff most likely to miss, each with their best module
    owing = staff[(staff["employed"].to_numpy(bool)) & (staff["remaining"] > 0)]
    top = owing.nlargest(CALLUPS, "p_miss") if owing["p_miss"].notna().any() else owing.head(0)
    callups = []
    recs = c.service.recs
    for r in top.itertuples(index=False):
        item = None
        if recs is not None and r.staff_id in recs.row_of:
            got = recs.get(r.staff_id, 1)
            item = got[0] if got else None
        callups.append(
            {
                "staff_id": c.service.pseudo(r.staff_id) if researcher else r.staff_id,
                "p_miss": r.p_miss,
                "remaining": r.remaining,
                "module_id": str(recs.items[item.j]) if item else None,
                "title": recs.title[item.j] if item else None,
                "reason": item.reason if item else None,
            }
        )
    call_table = Table(
        "callups",
        c.L.t("org.callups"),
        pd.DataFrame(
            callups, columns=["staff_id", "p_miss", "remaining", "module_id", "title", "reason"]
        ),
        [
            ("staff_id", "text"),
            ("p_miss", "pct"),
            ("remaining", "num"),
            ("module_id", "text"),
            ("title", "text"),
            ("reason", "text"),
        ],
        links=links,
    )
    hours = hours_table(c, v, staff, d, has_names)
    return org, counts, staff_table, call_table, hours, unit_rule_years(v, org_id, staff), per


def unit_rule_years(v, org_id: str, staff: pd.DataFrame) -> list[dict]:  # noqa: ANN001
    """The unit 1/3 rule (credits, 002 第十八条) per year for this organization (from
    every organization's standing, computed once per view)."""
    pol = load_policy("credits")

    def build() -> pd.DataFrame:
        st = data.status_under(v, "credits")
        st = st[st["employed"].to_numpy(bool)]
        return unit_rule(st, pol, pd.Index(sorted(st["org_id"].astype(str).unique())))

    table = data.memo(v, "unit_rule:credits", build)
    if org_id not in table.index:
        return []
    got = table.loc[org_id].to_dict()
    out = []
    for y in pol.years:
        for suffix, provisional in (("", False), ("_provisional", True)):
            share = got.get(f"unqualified_share_{y}{suffix}")
            if share is None:
                continue
            flag = got.get(f"unit_rule_{y}{suffix}")
            out.append(
                {
                    "year": y,
                    "provisional": provisional,
                    "share": None if pd.isna(share) else float(share),
                    "fires": None if flag is None or pd.isna(flag) else bool(flag),
                }
            )
    return out


def hours_table(c, v, staff: pd.DataFrame, d: date, has_names: bool) -> Table:  # noqa: ANN001
    """学时统计: this year's hours (cadre-hours) and credits (credits) per person."""
    ids = staff[staff["employed"].to_numpy(bool)]["staff_id"]
    h = data.status_under(v, "cadre-hours").reindex(ids)
    cr = data.status_under(v, "credits").reindex(ids)
    split = data.mode_hours(v, d.year).reindex(ids).fillna(0.0)
    frame = pd.DataFrame(
        {
            "org_id": staff.set_index("staff_id")["org_id"].reindex(ids).to_numpy(),
            "staff_id": ids.to_numpy(),
            "name": staff.set_index("staff_id")["name"].reindex(ids).to_numpy(),
            "role": h["role"].to_numpy(),
            "hours_required": h["required"].to_numpy(),
            "hours_done": h["done"].to_numpy(),
            "online_hours": split["online"].to_numpy(),
            "offline_hours": split["offline"].to_numpy(),
            "hours_qualified": (h["done"] >= h["required"]).to_numpy(),
            "credits_required": cr["required"].to_numpy(),
            "credits_done": cr["done"].to_numpy(),
            "credits_qualified": (cr["done"] >= cr["required"]).to_numpy(),
        }
    )
    if c.p.role == "researcher" and c.service.pseudo is not None:
        frame["staff_id"] = frame["staff_id"].map(c.service.pseudo)
    cols = [("org_id", "text"), ("staff_id", "text")] + ([("name", "text")] if has_names else [])
    cols += [
        ("role", "enum:role"),
        ("hours_required", "num"),
        ("hours_done", "num"),
        ("online_hours", "num"),
        ("offline_hours", "num"),
        ("hours_qualified", "bool"),
        ("credits_required", "num"),
        ("credits_done", "num"),
        ("credits_qualified", "bool"),
    ]
    return Table("hours", c.L.t("org.hours", year=d.year), frame, cols)


@router.get("/organizations/{org_id}")
async def organization(
    org_id: str,
    c: ConsoleDep,
    as_of: date | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    show: Literal[LISTS] = "all",  # type: ignore[valid-type]
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    check_org(c.p, org_id)  # the API's scope rule, before anything is looked up
    if not c.service.org_exists(org_id):
        raise HTTPException(404, f"no organization {org_id!r}")
    d = data.as_of_or(c.service, as_of)
    status = choice("status", status, STATUSES)
    org, counts, staff, callups, hours, rule, per = await run_in_threadpool(
        _org_page, c, org_id, d, status, show, page
    )
    got = pick(
        [staff, callups, hours],
        export_,
        format,
        c,
        filters_text(c, org_id=org_id, as_of=d, status=status, show=show),
    )
    if got is not None:
        return got
    total = len(staff.frame)
    pages = max(1, -(-total // per))
    staff.frame = staff.frame.iloc[(page - 1) * per : page * per]
    if c.p.role != "researcher":
        c.audit_read("organization staff", org_id, len(staff.frame))
    return c.render(
        "organization.html",
        as_of=d,
        org=org,
        org_id=org_id,
        counts=counts,
        tables=[staff, callups, hours],
        rule=rule,
        params=dict(as_of=d, status=status, show=show if show != "all" else None),
        lists=LISTS,
        page=page,
        pages=pages,
        chart=c.url(f"/charts/org-status/{org_id}", as_of=d),
    )


def _person_page(c, staff_id: str, d: date, k: int):  # noqa: ANN001, ANN202
    """The person's figures from the service's caches: statuses from the whole-store
    status frames of the date (memoized per view, the same rows ``compliance`` gives
    the API's profile), risk from the view, the map and skill gaps from the view's
    snapshot (``data.person_map``, kept for the map chart): no store read."""
    v = c.service.view(d)
    sf = data.staff_frame(v)
    if staff_id not in sf.index:
        raise HTTPException(404, f"no staff member {staff_id!r} as of {d}")
    me = sf.loc[staff_id]
    names = list(dict.fromkeys([c.service.settings.policy, "cadre-hours", "credits"]))
    statuses = []
    for name in names:
        frame = v.status if name == c.service.settings.policy else data.status_under(v, name)
        row = frame.loc[staff_id]
        statuses.append(
            {
                "policy": name,
                **{f: row[f] for f in ("required", "done", "remaining", "deadline", "status")},
            }
        )
    graph, gaps = data.person_map(v, staff_id)
    risk = None
    if v.risk is not None and staff_id in v.risk.index:
        risk = v.risk.loc[staff_id][["p_miss", "drivers"]].to_dict()
    prof = {
        "staff_id": staff_id,
        "org_id": me["org_id"],
        "role": me["role"],
        "hired_on": me["hired_on"],
        "person_times": me["done"] if c.service.policy.kind == "person_times" else None,
        "last_completed_on": me["last_completed"],
        "risk": risk,
    }
    recs = []
    if c.service.recs is not None and staff_id in c.service.recs.row_of:
        r = c.service.recs
        for it in r.get(staff_id, k):
            recs.append(
                {
                    "rank": it.rank,
                    "module_id": str(r.items[it.j]),
                    "title": r.title[it.j],
                    "mode": r.mode[it.j],
                    "tier": r.tier[it.j],
                    "hours": float(r.hours[it.j]),
                    "score": it.score,
                    "reason": it.reason,
                }
            )
    return prof, statuses, gaps, graph, recs


@router.get("/people/{staff_id}")
async def person(
    staff_id: str,
    c: ConsoleDep,
    as_of: date | None = None,
    k: Annotated[int, Query(ge=1, le=20)] = 10,
    export_: Annotated[str | None, Query(alias="export")] = None,
    format: Fmt | None = None,
) -> Response:
    check_person(c.service, c.p, staff_id)  # 403 whether or not the person exists
    if c.service.org_of(staff_id) is None:
        raise HTTPException(404, f"no staff member {staff_id!r}")
    d = data.as_of_or(c.service, as_of)
    prof, statuses, gap_rows, graph, recs = await run_in_threadpool(_person_page, c, staff_id, d, k)
    c.audit_read("person", staff_id)
    rec_table = Table(
        "recommendations",
        c.L.t("person.recs"),
        pd.DataFrame(
            recs, columns=["rank", "module_id", "title", "mode", "tier", "hours", "reason"]
        ),
        [
            ("rank", "int"),
            ("module_id", "text"),
            ("title", "text"),
            ("mode", "enum:mode"),
            ("tier", "enum:tier"),
            ("hours", "num"),
            ("reason", "text"),
        ],
    )
    status_table = Table(
        "statuses",
        c.L.t("person.statuses"),
        pd.DataFrame(statuses),
        [
            ("policy", "enum:policy"),
            ("required", "num"),
            ("done", "num"),
            ("remaining", "num"),
            ("deadline", "date"),
            ("status", "enum:status"),
        ],
    )
    gaps = Table(
        "skill_gaps",
        c.L.t("person.gaps"),
        pd.DataFrame(gap_rows, columns=["skill", "mastery", "target", "gap"]),
        [("skill", "text"), ("target", "num2"), ("mastery", "num2"), ("gap", "num2")],
    )
    got = pick(
        [status_table, rec_table, gaps],
        export_,
        format,
        c,
        filters_text(c, staff_id=staff_id, as_of=d),
    )
    if got is not None:
        return got
    return c.render(
        "person.html",
        as_of=d,
        prof=prof,
        tables=[status_table, rec_table, gaps],
        n_nodes=len(map_layout(graph).nodes),
        facts=FACTS,
        params=dict(as_of=d),
        chart=c.url(f"/charts/learning-map/{staff_id}", as_of=d),
    )
