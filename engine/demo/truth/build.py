"""``build_truth``: the ``Truth`` of a generated dataset, from the generator's state."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from engine.demo.choice import module_frame
from engine.demo.truth.model import Truth
from engine.schema import ROLES


def build_truth(spec, sc, pop, cat, model, rates, callups, theta) -> Truth:  # noqa: ANN001
    """The truth of a generated dataset (see ``README``)."""
    from engine.demo.activity import mastery_matrix

    staff = pop.staff
    ids = staff["staff_id"].to_numpy()
    people = pd.DataFrame(
        {
            "staff_id": ids,
            "org_id": staff["org_id"].to_numpy(),
            "role": np.array(ROLES)[pop.primary_role],
            "diligence": pop.diligence,
            "hired_on": staff["hired_on"].to_numpy().astype("datetime64[ns]"),
            "left_on": staff["left_on"].to_numpy().astype("datetime64[ns]"),
        }
    )
    years = list(range(int(str(spec.start)[:4]), int(str(spec.end)[:4]) + 1))
    n, T = len(people), model.n_topics
    interests = pd.DataFrame(
        {
            "staff_id": np.tile(ids, len(years)),
            "year": np.repeat(years, n),
            **{
                f"interest_{z + 1}": theta[:, :, z].T.ravel().astype(float).round(3)
                for z in range(T)
            },
        }
    )
    orgs = pd.DataFrame(
        {
            "org_id": pop.orgs["org_id"].to_numpy(),
            "org_type": pop.orgs["org_type"].to_numpy(),
            "culture": pop.culture,
            "access": pop.access,
        }
    )
    mm = mastery_matrix(pop, cat, model, spec.seed)
    K = model.n_skills
    mastery = pd.DataFrame(
        {
            "staff_id": np.repeat(ids, K),
            "skill_id": np.tile(model.skill_ids, n),
            "mastery": mm.ravel().astype(float),
        }
    )
    skills = pd.DataFrame({"skill_id": model.skill_ids, "foundation": model.foundation})
    name_to_id = dict(zip(cat.skills["name"], cat.skills["skill_id"], strict=True))
    topics = pd.DataFrame(
        {
            "topic": np.arange(1, T + 1),
            "key": [t[0] for t in cat.topics],
            "words": ["|".join(t[1]) for t in cat.topics],
            "skills": ["|".join(name_to_id[x] for x in t[2]) for t in cat.topics],
        }
    )
    start_m = np.datetime64(spec.start, "M")
    m_i, t_i = np.nonzero(model.avail)
    offers = pd.DataFrame(
        {"module_id": model.module_ids[m_i], "month": (start_m + t_i).astype(str)}
    )
    rate_frame = pd.DataFrame(
        {
            "staff_id": np.tile(ids, len(years)),
            "year": np.repeat(years, n),
            "lam_online": rates.lam[:, :, 0].T.ravel(),
            "lam_offline": rates.lam[:, :, 1].T.ravel(),
            "p_online": rates.p_complete[:, :, 0].T.ravel(),
            "p_offline": rates.p_complete[:, :, 1].T.ravel(),
        }
    )
    cu = pd.DataFrame(
        {
            "org_id": pop.orgs["org_id"].to_numpy()[callups["org"].to_numpy(dtype=int)],
            "month": (start_m + callups["t"].to_numpy(dtype=int)).astype(str),
            "module_id": model.module_ids[callups["module"].to_numpy(dtype=int)],
        }
    )
    params = {
        "scenario": sc.name,
        "seed": spec.seed,
        "orgs": spec.orgs,
        "start": str(spec.start),
        "end": str(spec.end),
        "effects": asdict(spec.effects),
        "season": list(sc.season),
        "target_hours": sc.target_hours,
        "leader_target_hours": sc.leader_target_hours,
        "after_target": sc.after_target,
        "catch_up": sc.catch_up,
        "catch_up_from": sc.catch_up_from,
        "p_send": sc.p_send,
        "topics": T,
    }
    return Truth(
        params,
        people,
        orgs,
        mastery,
        module_frame(model),
        skills,
        topics,
        interests,
        offers,
        rate_frame,
        cu,
    )
