"""``to_canonical``: checked OULAD frames mapped onto the canonical tables (plus the
``_oulad`` side tables).  The mapping and its choices are documented in
``engine.importers.oulad``'s docstring."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.importers.oulad_files import PRESENTATION, Oulad


def presentation_start(code: pd.Series) -> pd.Series:
    """Start date of each presentation code: the 1st of month letter L of year YYYY."""
    parts = code.str.extract(PRESENTATION)
    month = parts[1].str.upper().map(lambda ch: ord(ch) - ord("A") + 1)
    return pd.to_datetime(parts[0] + "-" + month.astype(str).str.zfill(2) + "-01")


def _unit(frame: pd.DataFrame) -> pd.Series:
    return frame["code_module"] + "-" + frame["code_presentation"]


def _date(start: pd.Series, day: pd.Series) -> pd.Series:
    return start + pd.to_timedelta(day.astype("float"), unit="D")


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values[key]`` for each key (NaT where absent).  Not ``keys.map(values)``: pandas
    cannot map through an *empty* date series (no submissions yet) and raises."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def to_canonical(data: Oulad) -> dict[str, pd.DataFrame]:
    """The canonical tables (plus ``_oulad`` side tables) for checked OULAD frames."""
    c = data.courses.copy()
    c["org_id"] = _unit(c)
    c["start"] = presentation_start(c["code_presentation"])
    start_of = c.set_index("org_id")["start"]
    length_of = c.set_index("org_id")["module_presentation_length"].astype(float)
    orgs = pd.DataFrame(
        {
            "org_id": c["org_id"],
            "name": c["code_module"] + " " + c["code_presentation"],
            "org_type": "social_group",
            "region": "UK",
            "ministry_managed": False,
            "rating": np.nan,
            "code_module": c["code_module"],
            "code_presentation": c["code_presentation"],
            "length_days": c["module_presentation_length"],
            "start_date": c["start"],
        }
    )

    info = data.student_info.merge(
        data.registration, on=["code_module", "code_presentation", "id_student"], how="left"
    )
    info["org_id"] = _unit(info)
    info["staff_id"] = info["org_id"] + "-" + info["id_student"].astype(str)
    st = info["org_id"].map(start_of)
    left_on = _date(st, info["date_unregistration"])
    hired_on = _date(st, info["date_registration"].fillna(0))
    hired_on = hired_on.where(~(left_on < hired_on), left_on)
    staff = pd.DataFrame(
        {
            "staff_id": info["staff_id"],
            "org_id": info["org_id"],
            "role": "other",
            "hired_on": hired_on,
            "left_on": left_on,
            "gender": info["gender"],
            "id_student": info["id_student"],
            "student_region": info["region"],
            "highest_education": info["highest_education"],
            "imd_band": info["imd_band"],
            "age_band": info["age_band"],
            "num_of_prev_attempts": info["num_of_prev_attempts"],
            "studied_credits": info["studied_credits"],
            "disability": info["disability"],
            "registration_day": info["date_registration"],
            "unregistration_day": info["date_unregistration"],
        }
    )
    results = pd.DataFrame(
        {
            "staff_id": info["staff_id"],
            "org_id": info["org_id"],
            "id_student": info["id_student"],
            "final_result": info["final_result"],
        }
    )

    a = data.assessments.copy()
    a["org_id"] = _unit(a)
    a["module_id"] = a["id_assessment"].astype(str)
    due = a["date"].astype(float).fillna(a["org_id"].map(length_of))
    a_start = a["org_id"].map(start_of)
    modules = pd.DataFrame(
        {
            "module_id": a["module_id"],
            "title": a["code_module"]
            + " "
            + a["code_presentation"]
            + " "
            + a["assessment_type"]
            + " due day "
            + due.astype(int).astype(str),
            "mode": "online",
            "hours": 1.0,
            "tier": np.where(a["assessment_type"] == "Exam", "foundation", "elective"),
            "prerequisites": "",
            "org_id": a["org_id"],
            "code_module": a["code_module"],
            "code_presentation": a["code_presentation"],
            "assessment_type": a["assessment_type"],
            "weight": a["weight"],
            "due_day": due.astype(int),
        }
    )
    skills = pd.DataFrame({"skill_id": sorted(c["code_module"].unique())})
    skills["name"] = "module " + skills["skill_id"]
    skills["parent_id"] = None
    module_skills = pd.DataFrame(
        {"module_id": a["module_id"], "skill_id": a["code_module"], "weight": 1.0}
    )
    sessions = pd.DataFrame(
        {
            "session_id": "S" + a["module_id"],
            "module_id": a["module_id"],
            "starts_on": a_start,
            "ends_on": _date(a_start, due.clip(lower=0)),
            "capacity": pd.array([pd.NA] * len(a), dtype="Int64"),
        }
    )

    sa = data.student_assessment.merge(
        a[["id_assessment", "module_id", "org_id"]], on="id_assessment", how="left"
    )
    sa["staff_id"] = sa["org_id"] + "-" + sa["id_student"].astype(str)
    when = _date(sa["org_id"].map(start_of), sa["date_submitted"])
    pid = sa["module_id"] + "-" + sa["id_student"].astype(str)
    parts = pd.DataFrame(
        {
            "participation_id": pid,
            "staff_id": sa["staff_id"],
            "module_id": sa["module_id"],
            "session_id": "S" + sa["module_id"],
            "enrolled_on": when,
            "completed_on": when,
            "status": "completed",
            "hours": 1.0,
            "submitted_day": sa["date_submitted"],
            "is_banked": sa["is_banked"].astype(int),
        }
    )
    # Canonical rules: nothing completed outside employment or its session (see above).
    first = when.groupby(parts["staff_id"]).min()
    last = when.groupby(parts["staff_id"]).max()
    by_staff = staff["staff_id"]
    early, late = _lookup(by_staff, first), _lookup(by_staff, last)
    staff["hired_on"] = staff["hired_on"].where(~(early < staff["hired_on"]), early)
    staff["left_on"] = staff["left_on"].where(~(late > staff["left_on"]), late)
    by_mod = sessions["module_id"]
    lo, hi = (
        _lookup(by_mod, when.groupby(sa["module_id"]).min()),
        _lookup(by_mod, when.groupby(sa["module_id"]).max()),
    )
    sessions["starts_on"] = sessions["starts_on"].where(~(lo < sessions["starts_on"]), lo)
    sessions["ends_on"] = sessions["ends_on"].where(~(hi > sessions["ends_on"]), hi)
    scored = sa["score"].notna().to_numpy()
    assessments = pd.DataFrame(
        {
            "assessment_id": pid[scored],
            "staff_id": sa["staff_id"][scored],
            "module_id": sa["module_id"][scored],
            "taken_on": when[scored],
            "score": sa["score"][scored].astype(float),
            "submitted_day": sa["date_submitted"][scored],
            "is_banked": sa["is_banked"][scored].astype(int),
        }
    ).reset_index(drop=True)
    empty_rr = pd.DataFrame({"role": [], "skill_id": [], "level": []})
    outcomes = pd.DataFrame(
        {k: [] for k in ("outcome_id", "staff_id", "module_id", "measured_on", "kind", "value")}
    )
    out = {
        "organizations": orgs,
        "staff": staff,
        "skills": skills,
        "modules": modules,
        "module_skills": module_skills,
        "role_requirements": empty_rr,
        "sessions": sessions,
        "participations": parts,
        "assessments": assessments,
        "outcomes": outcomes,
        "_oulad/results": results,
    }
    if data.vle is not None:
        out["_oulad/vle"] = data.vle
    if data.student_vle is not None:
        sv = data.student_vle.copy()
        sv["staff_id"] = _unit(sv) + "-" + sv["id_student"].astype(str)
        out["_oulad/student_vle"] = sv.groupby(["staff_id", "date"], as_index=False)[
            "sum_click"
        ].sum()
    return out
