"""Profiles and status for 1,000,000 staff and 20,000,000 participation rows, as of one
date: wall time and peak memory, against a bare pandas groupby(staff_id).size() over the
same participation frame measured in the same run.

    .venv/bin/python benchmarks/bench_features.py [--staff 1000000] [--parts 20000000]

Target (issue 3): under 60 s and under 8 GB peak on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.demo.catalog import build_catalog
from engine.policy import load_policy
from features.compliance import compliance
from features.profile import learner_profiles
from features.snapshot import snapshot


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def strings(arrow: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas Series, without Python string objects."""
    return pd.Series(pd.arrays.ArrowStringArray(arrow))


def ids(prefix: str, codes: np.ndarray, width: int) -> pd.Series:
    digits = pc.utf8_lpad(pa.array(codes).cast(pa.string()), width, "0")
    return strings(pc.binary_join_element_wise(prefix, digits, ""))


def synthetic(n_staff: int, n_parts: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cat = build_catalog(seed)
    n_orgs = n_staff // 5
    orgs = pd.DataFrame(
        {
            "org_id": ids("O", np.arange(n_orgs), 7),
            "name": "org",
            "org_type": rng.choice(["social_group", "foundation", "social_service_org"], n_orgs),
            "region": rng.choice(["北京", "上海", "甘肃"], n_orgs),
            "ministry_managed": rng.random(n_orgs) < 0.25,
            "rating": np.nan,
        }
    )
    roles = np.array(
        [
            "head",
            "finance",
            "supervisor",
            "project_manager",
            "hr",
            "party_worker",
            "head|spokesperson",
            "other",
            "membership",
            "branch_manager",
        ]
    )
    start = np.datetime64("2019-01-01")
    hired = start + rng.integers(0, 8 * 365, n_staff).astype("timedelta64[D]")
    left = np.where(
        rng.random(n_staff) < 0.1,
        hired + rng.integers(30, 2000, n_staff).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    )
    staff = pd.DataFrame(
        {
            "staff_id": ids("S", np.arange(n_staff), 7),
            "org_id": orgs["org_id"].to_numpy()[np.arange(n_staff) // 5],
            "role": roles[rng.integers(0, len(roles), n_staff)],
            "hired_on": hired.astype("datetime64[ns]"),
            "left_on": left.astype("datetime64[ns]"),
        }
    )
    s = rng.integers(0, n_staff, n_parts)
    m = rng.integers(0, len(cat.modules), n_parts)
    enrolled = start + rng.integers(0, 9 * 365, n_parts).astype("timedelta64[D]")
    code = rng.choice(4, n_parts, p=(0.8, 0.1, 0.06, 0.04))
    status = strings(pc.take(pa.array(["completed", "dropped", "no_show", "enrolled"]), code))
    done = code == 0
    completed = np.where(
        done, enrolled + rng.integers(0, 30, n_parts).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    hours = cat.modules["hours"].to_numpy()[m]
    parts = pd.DataFrame(
        {
            "participation_id": ids("P", np.arange(n_parts), 8),
            "staff_id": staff["staff_id"].take(s).reset_index(drop=True),
            "module_id": strings(pc.take(pa.array(cat.modules["module_id"].to_numpy()), m)),
            "session_id": "",
            "enrolled_on": enrolled.astype("datetime64[ns]"),
            "completed_on": completed.astype("datetime64[ns]"),
            "status": status,
            "hours": np.where(done, hours, 0.0),
        }
    )
    dn = np.flatnonzero(done)
    a = dn[rng.random(len(dn)) < 0.5]
    assess = pd.DataFrame(
        {
            "assessment_id": ids("A", np.arange(len(a)), 8),
            "staff_id": parts["staff_id"].take(a).reset_index(drop=True),
            "module_id": parts["module_id"].take(a).reset_index(drop=True),
            "taken_on": completed[a].astype("datetime64[ns]"),
            "score": np.round(rng.normal(70, 12, len(a)).clip(0, 100), 1),
        }
    )
    o = dn[rng.random(len(dn)) < 0.2]
    kinds = np.array(["pre", "post", "followup", "satisfaction"])
    outcomes = pd.DataFrame(
        {
            "outcome_id": ids("X", np.arange(len(o)), 8),
            "staff_id": parts["staff_id"].take(o).reset_index(drop=True),
            "module_id": parts["module_id"].take(o).reset_index(drop=True),
            "measured_on": completed[o].astype("datetime64[ns]"),
            "kind": strings(pc.take(pa.array(kinds), rng.integers(0, 4, len(o)))),
            "value": rng.uniform(30, 95, len(o)),
        }
    )
    return {
        "organizations": orgs,
        "staff": staff,
        "skills": cat.skills,
        "modules": cat.modules,
        "module_skills": cat.module_skills,
        "role_requirements": cat.role_requirements,
        "sessions": pd.DataFrame(),
        "participations": parts,
        "assessments": assess,
        "outcomes": outcomes,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--staff", type=int, default=1_000_000)
    ap.add_argument("--parts", type=int, default=20_000_000)
    ap.add_argument("--as-of", default="2026-06-30")
    args = ap.parse_args()
    t0 = time.perf_counter()
    tables = synthetic(args.staff, args.parts)
    setup_s = time.perf_counter() - t0
    base_mem = peak_gb()
    print(
        f"data: {args.staff:,} staff, {len(tables['participations']):,} participations, "
        f"{len(tables['assessments']):,} assessments, {len(tables['outcomes']):,} outcomes "
        f"(built in {setup_s:.1f}s, peak so far {base_mem:.2f} GB)"
    )
    t0 = time.perf_counter()
    baseline = tables["participations"].groupby("staff_id").size()
    base_s = time.perf_counter() - t0
    del baseline
    t0 = time.perf_counter()
    snap = snapshot(tables, args.as_of)
    t_snap = time.perf_counter() - t0
    status = compliance(snap, load_policy("national-2025"))
    t_status = time.perf_counter() - t0 - t_snap
    profiles = learner_profiles(snap)
    total = time.perf_counter() - t0
    t_prof = total - t_snap - t_status
    print(f"baseline groupby(staff_id).size(): {base_s:.2f}s")
    print(
        f"snapshot {t_snap:.2f}s + status {t_status:.2f}s + profiles {t_prof:.2f}s "
        f"= {total:.2f}s for {len(status):,} status rows and {len(profiles):,} profiles"
    )
    print(
        f"ratio to baseline: {total / base_s:.1f}x; peak RSS {peak_gb():.2f} GB "
        f"(data alone {base_mem:.2f} GB)"
    )


if __name__ == "__main__":
    main()
