"""A catalogue that renews (demo data III): modules launched every quarter, retired after
their run, each about latent topics (``engine.demo.topics``) of which its title and its
skills are noisy views.

Products and their run
  Every calendar quarter, from three years before the window (a burn-in, so the catalogue
  at the window's start is already a mix of ages) to its last quarter, ``per_quarter``
  products are launched on the quarter's first day.  A product is one module or a series
  (parts (一)(二)(三) / 上·下 of the cadre academy; 概论 → 实务 → 进阶 of the national plan),
  its parts launched together.  A product runs ``3 + Geometric(0.5)`` quarters (at least a
  year, 5 quarters on average) and is then retired: no sessions after, not available.
  With four launch quarters a year the share of a year's offered modules that are new that
  year is ≈ 4 / (5 + 4) ≈ 44 % (source 002 asks ≥ 35 %).  Only modules offered at some
  point of the window are kept.

Availability
  Self-paced (``online``) modules carry ``offered_from`` (launch day) and ``offered_to``
  (last day of the last quarter of the run; empty when it runs past the window) and can be
  chosen in any month inside that range.  Session-bound modules (offline, blended, live)
  hold a class every ``every`` months (1–3, from their launch month) while they run; a class
  starting in month s is announced and open for enrolment from the first day of month s − 1
  (``sessions.enrol_from``), and the module can be chosen in month s − 1 only.  Classes are
  scheduled from a year before the window to the month after it (the announced schedule).

Topics, titles and skills
  A module's topic mixture τ is 1.0 on its main topic, or 0.7 / 0.3 on a main and a second
  topic (60 % of products).  The main topic is drawn with fixed topic sizes.  Title: two
  phrases, each from its topic's vocabulary with probability 1 − ``title_noise`` and from a
  random topic's otherwise, in a format of the product type.  Skills: the primary skill is
  one of the main topic's linked sub-skills with probability 1 − ``skill_noise``, any
  sub-skill otherwise; a secondary skill (weight 0.3–0.7) likewise from the second topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo.topics import Topic

BURN_IN_QUARTERS = 12
#: months before the window's first month from which classes are listed
SCHEDULE_BEFORE = 12


@dataclass
class Part:
    """One module of a product, before ids: title, mode, hours, method, credits, and
    whether it lists the previous part of its product as prerequisite."""

    title: str
    mode: str
    hours: float
    method: str
    credits: float = float("nan")
    after_previous: bool = False


@dataclass
class Renewed:
    """The renewing catalogue's modules and their latent side (module row order)."""

    modules: pd.DataFrame  # module_id, title, mode, hours, tier, prerequisites, method, ...
    module_skills: pd.DataFrame
    primary: np.ndarray  # row → primary skill_id
    series_next: np.ndarray  # row → row of the next part of its product, or −1
    tau: np.ndarray  # rows × topics
    launch: np.ndarray  # row → launch month, relative to the window's first month
    retire: np.ndarray  # row → last month offered (relative)
    every: np.ndarray  # row → months between classes (0: self-paced)


#: a product builder: (rng, phrase1, phrase2, launch year, running number) → its parts
Products = Callable[[np.random.Generator, str, str, int, int], list[Part]]


def _phrase(rng: np.random.Generator, topics: tuple[Topic, ...], z: int, noise: float) -> str:
    src = int(rng.integers(len(topics))) if rng.random() < noise else z
    words = topics[src][1]
    return str(words[int(rng.integers(len(words)))])


def build_renewing(
    rng: np.random.Generator,
    topics: tuple[Topic, ...],
    skills: pd.DataFrame,
    foundation_skills: set[str],
    products: Products,
    per_quarter: int,
    id_prefix: str,
    id_width: int,
    start: np.datetime64,
    end: np.datetime64,
    title_noise: float,
    skill_noise: float,
) -> Renewed:
    """Modules launched quarter by quarter (module docstring)."""
    name_to_id = {
        n: s
        for s, n, p in zip(skills["skill_id"], skills["name"], skills["parent_id"], strict=True)
        if pd.notna(p)
    }
    subs = np.array(sorted(name_to_id.values()))
    linked = [[name_to_id[n] for n in t[2]] for t in topics]
    T = len(topics)
    size = rng.gamma(3.0, size=T)
    size /= size.sum()
    m0 = start.astype("datetime64[M]")
    n_months = int((end.astype("datetime64[M]") - m0).astype(int)) + 1
    q0 = (m0.astype(int) // 3) * 3 - 3 * BURN_IN_QUARTERS  # calendar quarter start
    rows: list[dict] = []
    links: list[tuple[int, str, float]] = []
    primary, series_next, taus, launch, retire, every = [], [], [], [], [], []
    serial = 0
    for qm in range(q0, int(m0.astype(int)) + n_months, 3):
        first = qm - int(m0.astype(int))
        year = 1970 + qm // 12
        for _ in range(per_quarter):
            life = 3 + int(rng.geometric(0.5))
            last = first + 3 * life - 1
            z1 = int(rng.choice(T, p=size))
            z2 = int(rng.choice(T, p=size)) if rng.random() < 0.6 else z1
            tau = np.zeros(T)
            tau[z1] += 0.7 if z2 != z1 else 1.0
            if z2 != z1:
                tau[z2] += 0.3
            p1 = _phrase(rng, topics, z1, title_noise)
            p2 = _phrase(rng, topics, z2, title_noise)
            if p2 == p1:
                p2 = ""
            serial += 1
            parts = products(rng, p1, p2, year, serial)
            prim = (
                str(rng.choice(linked[z1]))
                if rng.random() >= skill_noise
                else str(rng.choice(subs))
            )
            gap = int(rng.choice((1, 2, 3)))
            if last < -SCHEDULE_BEFORE or first >= n_months:
                continue
            keep = last >= 0
            prev = -1
            for part in parts:
                if not keep:
                    continue
                row = len(rows)
                rows.append(
                    {
                        "title": part.title,
                        "mode": part.mode,
                        "hours": part.hours,
                        "tier": "foundation" if prim in foundation_skills else "elective",
                        "prev": prev if part.after_previous else -1,
                        "method": part.method,
                        "credits": part.credits,
                    }
                )
                links.append((row, prim, 1.0))
                if rng.random() < 0.6:
                    src = linked[z2] if rng.random() >= skill_noise else subs
                    other = str(rng.choice(src))
                    if other != prim:
                        links.append((row, other, round(float(rng.uniform(0.3, 0.7)), 2)))
                primary.append(prim)
                series_next.append(-1)
                if prev >= 0:
                    series_next[prev] = row
                taus.append(tau)
                launch.append(first)
                retire.append(last)
                every.append(0 if part.mode == "online" else gap)
                prev = row
    ids = [f"{id_prefix}{i + 1:0{id_width}d}" for i in range(len(rows))]
    mod = pd.DataFrame(rows)
    mod.insert(0, "module_id", ids)
    mod["prerequisites"] = [ids[p] if p >= 0 else "" for p in mod.pop("prev")]
    month0 = start.astype("datetime64[M]")
    launch_a, retire_a = np.array(launch), np.array(retire)
    online = mod["mode"].to_numpy() == "online"
    frm = (month0 + launch_a).astype("datetime64[D]")
    to = (month0 + retire_a + 1).astype("datetime64[D]") - 1
    mod["offered_from"] = pd.Series(np.where(online, frm, np.datetime64("NaT"))).astype(
        "datetime64[ns]"
    )
    ends = online & (retire_a < n_months - 1)
    mod["offered_to"] = pd.Series(np.where(ends, to, np.datetime64("NaT"))).astype("datetime64[ns]")
    ms = pd.DataFrame(links, columns=["row", "skill_id", "weight"])
    ms.insert(0, "module_id", np.array(ids)[ms.pop("row").to_numpy()])
    return Renewed(
        mod,
        ms.drop_duplicates(["module_id", "skill_id"]).reset_index(drop=True),
        np.array(primary),
        np.array(series_next),
        np.array(taus),
        launch_a,
        retire_a,
        np.array(every),
    )


def availability(r: Renewed, n_months: int) -> np.ndarray:
    """modules × months: may the module be chosen in month t (relative) — self-paced: it
    runs then; session-bound: a class of it starts in month t + 1."""
    t = np.arange(n_months)[None, :]
    lo, hi = r.launch[:, None], r.retire[:, None]
    self_paced = (r.every == 0)[:, None] & (lo <= t) & (t <= hi)
    s = t + 1
    e = np.maximum(r.every, 1)[:, None]
    classes = (r.every > 0)[:, None] & (lo <= s) & (s <= hi) & ((s - lo) % e == 0)
    return self_paced | classes


def class_months(r: Renewed, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """(module row, start month) of every scheduled class, from ``SCHEDULE_BEFORE`` months
    before the window to the month after it."""
    s = np.arange(-SCHEDULE_BEFORE, n_months + 1)[None, :]
    lo, hi = r.launch[:, None], r.retire[:, None]
    e = np.maximum(r.every, 1)[:, None]
    on = (r.every > 0)[:, None] & (lo <= s) & (s <= hi) & ((s - lo) % e == 0)
    m, j = np.nonzero(on)
    return m, s[0, j]
