"""Demo data with documented latent structure: the 2025–2027 national plan (scenario
``national``, default) and a provincial cadre network academy (scenario ``cadre``).

``generate(DemoSpec(scenario=..., orgs=..., seed=..., start=..., end=...))`` returns the ten
canonical tables; ``generate_with_truth`` also returns the ground truth
(``engine.demo.truth``); ``write_dataset`` writes ``<table>.csv`` and ``write_truth``
``_truth/`` (``learnmap demo-data [--scenario cadre] [--truth]``).  Deterministic for a seed
and a set of arguments.  Scenario ``cadre`` is described in ``engine.demo.cadre`` (``orgs``
there counts units of ≈ 33 cadres: default 600 ≈ 20,000 cadres).

Scale (``write_demo``, what ``learnmap demo-data`` runs)
  The simulation keeps persons × modules state (``engine.demo.simulation``: weights,
  taken / boosted / unmet-prerequisite counts; ≈ 10 bytes a cell) and draws month by
  month for everyone at once.  Participations, assessments and outcomes are kept *coded*
  (``engine.demo.coded``: integer indices, numbers, dates; ≈ 40 bytes a row) and turned
  into text one 500,000-row chunk at a time as they are written, so 25 M participations
  never exist as Python or pandas strings; completions are measured in chunks of 2 M.
  ``generate`` materialises the same tables as DataFrames (small scales, tests); the files
  are byte-identical either way (``tests/engine/test_demo_write.py``).  Figures:
  ``benchmarks/bench_demo.py`` and the README.

Population (national level, DOMAIN.md "Scale")
  Organizations: 88% social groups, 9% foundations, 3% social service organizations;
  70% in Beijing, the rest spread by province with the north-east and north-west
  thinnest; 25% ministry-managed; 65% rated 1–5 (mostly 3–4).  Staff per
  organization (≈ 5.5 on average): one head, 1–2 finance officers, a supervisor
  (60%), project managers, membership staff and branch managers in social groups,
  HR (40%), party-affairs workers (60% of ministry-managed organizations, 25% of the
  rest — their quota applies only in the former), a spokesperson (15% separate, 45%
  of heads also speak for the organization: multi-role staff) and other staff.  15%
  are hired during the window and 12% leave during it (pro-rating cases).

Volume (calibration)
  Completed person-times a year ≈ 2,000 offline (offline + blended) and 6,500
  online (online + live) per 2,300 organizations, pro-rated for partial years —
  the plan's volume, far below the ≈ 45,000 person-times the role quotas of
  ≈ 12,700 staff need over three years: the coverage gap is real.  Of the offline
  volume, ``callup_share`` (35%) comes from units' call-ups (effect 10).

Time and enrolment (``engine.demo.simulate``, ``engine.demo.months``, ``engine.demo.rates``)
  Month by month, each employed person makes Poisson numbers of online and offline
  draws (rate = culture × diligence × role × region access (offline) × season × target
  seeking (cadre)), each one module chosen by the choice model below; enrolment is dated
  within the month; online courses complete after geometric days, classes (offline,
  blended, live) are held the next month, colleagues in the same class; completion is
  decided at enrolment (probability ``expit(logit + 0.8·culture + diligence)``).

Latent structure (each effect sized in ``Effects`` and removable by setting it to 0)
  1. Organization training culture ``c_o ~ N(0.15·(rating−3), 0.7)``: multiplies
     every staff member's enrolment rate by ``exp(c_o)`` and adds ``0.8·c_o`` to the
     completion logit — colleagues' training volumes are correlated.
  2. Regional access to offline sessions: a province's log access (Beijing +0.9,
     nearby/east coast +0.2–0.4, north-east −0.6, north-west −0.8) multiplies the
     *offline* enrolment rate only; online training is unaffected.
  3. Individual diligence ``d_i ~ N(0, 0.6)``: multiplies the enrolment rate by
     ``exp(d_i)``, adds ``d_i`` to the completion logit (fewer drops / no-shows) and
     ``6·d_i`` points to every score — a person's behaviour is consistent over time.
  4. Role-specific interests: a person's latent topic interests are shifted by
     ``role_focus`` (2.0) on the topics whose linked skills their primary role requires
     (finance staff take finance modules) — through topics, of which skills are a noisy
     view, not through the skills themselves.
  5. Skill mastery measured with noise: each person has a mastery ``u_is ~ N(0,1)``
     of each skill (``hash_normal``); a score is
     ``64 + 10·Σ_s w_ms·u_is/Σ_s w_ms + 5·[role needs it] + 6·d_i + 8·[prereqs done]
     + N(0, 6)``, so two scores of one person on modules sharing a skill agree more
     than scores on unrelated modules.
  6. Prerequisites raise later scores: +8 points when every prerequisite of the module
     was completed before enrolling in it.
  7. Effect of training: self-assessed post − pre gain ``10 + 5·[offline/blended] +
     N(0, 5)``; the one-year follow-up keeps 70% of the gain.  Satisfaction depends
     on a module's latent quality (sd 5 points) and +3 for participatory/case methods.

Demo data III: a renewing catalogue and choices the models cannot read directly
  The catalogue renews (``engine.demo.renewal``): products are launched every quarter and
  retired after a run of 4 quarters or more (≈ 44 % of a year's offered modules are new
  that year; source 002 asks ≥ 35 %); self-paced modules carry ``offered_from`` /
  ``offered_to``, session-bound ones a schedule of classes announced a month ahead
  (``sessions.enrol_from``), listed from a year before the window to the month after it.
  Modules are about latent topics (``engine.demo.topics``); titles (Chinese phrases from
  the topics' vocabularies, with noise) and skills (the topics' linked sub-skills, with
  noise) are noisy views of them.  The choice model (``engine.demo.choice``, documented
  there) is a logit on latent interests × topics, module appeal and what is offered that
  month — none of the Hybrid's feature formulas (need × gap, role focus on skills,
  foundation × tenure, predecessor recency).  Each property is shown by a statistic of
  ``engine.demo.stats`` that ``tests/engine/test_demo_choice.py`` checks with and without it:
  8. Interests (``interest_sd`` 1.0, drifting from year to year with correlation
     ``interest_drift`` 0.8; means shifted by role (effect 4) and organization type,
     ``org_emphasis`` 1.2: foundations — fundraising and charity law; social service
     organizations — projects and volunteers; social groups — members and branches):
     people choose modules of their strongest topic ≈ 3× as often as chance
     (``topic_lift``).
  9. What is offered: a module can be chosen only while it runs (self-paced) or in the
     month before one of its classes (session-bound); new modules from their launch.
  10. Organization: units call up several staff at once to one offline class without
     prerequisites (``callup_share`` 35% of offline volume; cadre: ≈ 4 call-ups a unit a
     year sending 20% of its cadres), colleagues placed in the same class
     (``colleague_share``).
  11. Prerequisites mostly first (``prereq_skip`` 0.005: odds while a prerequisite is not
     completed) (``prerequisites_first``); the successor boost ``seq_boost`` is 0.
  12. Quality: a module's appeal × exp(0.5 · quality); quality also drives satisfaction
     (effect 7) (``quality_uptake``).
  13. Requirement pressure and season (cadre): target seeking and the year-end rush
     change how many modules a cadre takes (``engine.demo.cadre``), not which.
  14. No one enrols in the same module twice (a rule, not an effect: ``repeats`` = 0).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401
import pyarrow.csv as pacsv
from tqdm.auto import tqdm

from engine.demo.activity import build_activity, hash_normal
from engine.demo.cadre import CADRE, build_cadre_catalog, build_cadre_population
from engine.demo.catalog import build_catalog
from engine.demo.coded import Coded, materialise
from engine.demo.effects import NO_EFFECTS, Effects
from engine.demo.population import build_population
from engine.demo.scenario import NATIONAL, Scenario, build_model
from engine.demo.truth import Truth, build_truth, write_truth
from engine.progress import words as bar_words
from engine.schema import TABLE_ORDER, TABLES

__all__ = [
    "DemoSpec",
    "Effects",
    "NO_EFFECTS",
    "SCENARIOS",
    "Truth",
    "generate",
    "generate_with_truth",
    "hash_normal",
    "write_dataset",
    "write_demo",
    "write_truth",
]

log = logging.getLogger(__name__)


SCENARIOS = {"national": NATIONAL, "cadre": CADRE}


@dataclass(frozen=True)
class DemoSpec:
    """What to generate.  ``orgs``: organizations (national, default 2,300) or units
    (单位) of the cadre scenario (default 600, ≈ 33 cadres each: ≈ 20,000 cadres);
    ``start``/``end`` default to the scenario's window (national 2025–2027, cadre
    2023–2027)."""

    orgs: int | None = None
    seed: int = 0
    start: date | None = None
    end: date | None = None
    effects: Effects = Effects()
    scenario: str = "national"

    @property
    def params(self) -> Scenario:
        if self.scenario not in SCENARIOS:
            raise ValueError(
                f"unknown scenario {self.scenario!r}; choose one of {', '.join(SCENARIOS)}"
            )
        return SCENARIOS[self.scenario]

    def resolved(self) -> DemoSpec:
        sc = self.params
        return replace(
            self,
            orgs=sc.default_orgs if self.orgs is None else self.orgs,
            start=self.start or sc.start,
            end=self.end or sc.end,
        )


def generate(spec: DemoSpec = DemoSpec(), progress: bool = False) -> dict[str, pd.DataFrame]:
    """All ten canonical tables for ``spec`` (dates as datetime64, lists ``|``-joined)."""
    tables = _generate(spec, progress, with_truth=False)[0]
    return {name: materialise(t) for name, t in tables.items()}


def generate_with_truth(
    spec: DemoSpec = DemoSpec(), progress: bool = False
) -> tuple[dict[str, pd.DataFrame], Truth]:
    """The ten tables and the generator's ground truth (``engine.demo.truth``)."""
    tables, truth = _generate(spec, progress, with_truth=True)
    assert truth is not None
    return {name: materialise(t) for name, t in tables.items()}, truth


def write_demo(
    spec: DemoSpec, out: str | Path, progress: bool = False, truth: bool = False
) -> dict[str, int]:
    """Generate ``spec`` and write it to ``out`` (and ``_truth/`` with ``truth``) without
    ever holding the large tables as strings: participations, assessments and outcomes stay
    coded (``engine.demo.coded``) and are written in chunks.  Same files as
    ``write_dataset(generate(spec), out)``; returns the row counts."""
    tables, found = _generate(spec, progress, with_truth=truth)
    counts = write_dataset(tables, out, progress=progress)
    if found is not None:
        write_truth(found, out)
    return counts


def _generate(
    spec: DemoSpec, progress: bool, with_truth: bool
) -> tuple[dict[str, pd.DataFrame | Coded], Truth | None]:
    sc = spec.params
    spec = spec.resolved()
    assert spec.orgs is not None and spec.start is not None and spec.end is not None
    if spec.orgs < 1:
        raise ValueError(f"orgs must be at least 1, got {spec.orgs}")
    if spec.end < spec.start:
        raise ValueError(f"end {spec.end} is before start {spec.start}")
    start, end = np.datetime64(spec.start, "D"), np.datetime64(spec.end, "D")
    steps = tqdm(total=3, desc=bar_words("generating"), disable=not progress, unit="step")
    fx = spec.effects
    if sc.name == "cadre":
        cat = build_cadre_catalog(spec.seed, start, end, fx)
        pop = build_cadre_population(
            np.random.default_rng([spec.seed, 2]), spec.orgs, start, end, fx, sc
        )
    else:
        cat = build_catalog(spec.seed, start, end, fx)
        pop = build_population(np.random.default_rng([spec.seed, 2]), spec.orgs, start, end, fx)
    model = build_model(cat, fx, sc, spec.seed, start, end)
    steps.update()
    act, rates, callups, theta = build_activity(
        np.random.default_rng([spec.seed, 3]),
        pop,
        cat,
        model,
        sc,
        fx,
        start,
        end,
        spec.seed,
        progress,
    )
    steps.update()
    tables = {
        "organizations": pop.orgs,
        "staff": pop.staff,
        "skills": cat.skills,
        "modules": cat.modules,
        "module_skills": cat.module_skills,
        "role_requirements": cat.role_requirements,
        "sessions": act.sessions,
        "participations": act.participations,
        "assessments": act.assessments,
        "outcomes": act.outcomes,
    }
    truth = build_truth(spec, sc, pop, cat, model, rates, callups, theta) if with_truth else None
    steps.update()
    steps.close()
    return tables, truth


def _part(table: pd.DataFrame | Coded, a: int, b: int, cols: list[str]) -> pa.Table:
    if isinstance(table, Coded):
        return table.arrow(a, b, cols)
    return _arrow_ready(table.iloc[a:b][cols])


def _arrow_ready(frame: pd.DataFrame) -> pa.Table:
    """Columns as Arrow arrays written the way the readers expect: dates ``YYYY-MM-DD``
    (missing = empty), booleans ``true``/``false``, numbers as pandas writes them."""
    cols = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            cols[c] = pa.array(
                s.to_numpy().astype("datetime64[D]"), type=pa.date32(), mask=s.isna().to_numpy()
            )
        elif pd.api.types.is_bool_dtype(s):
            cols[c] = pa.array(np.where(s.to_numpy(), "true", "false"))
        elif pd.api.types.is_float_dtype(s):
            v = s.to_numpy(dtype=float)
            text = pa.compute.cast(pa.array(v), pa.string())
            cols[c] = pa.compute.if_else(pa.array(np.isnan(v)), pa.scalar(None, pa.string()), text)
        else:
            cols[c] = pa.array(s, from_pandas=True)
    return pa.table(cols)


def write_dataset(
    tables: Mapping[str, pd.DataFrame | Coded],
    out: str | Path,
    progress: bool = False,
    chunk: int = 500_000,
) -> dict[str, int]:
    """Write tables as ``<table>.csv`` (UTF-8), ``chunk`` rows at a time (coded tables are
    materialised one chunk at a time).  Files appear only when complete."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    total = sum(len(t) for t in tables.values())
    bar = tqdm(
        total=total,
        desc=bar_words("writing_rows"),
        unit="row",
        unit_scale=True,
        disable=not progress,
    )
    tmp = Path(tempfile.mkdtemp(prefix=".writing-", dir=out))
    try:
        for name in (n for n in TABLE_ORDER if n in tables):
            table = tables[name]
            have = list(table.columns)
            names = TABLES[name].names
            cols = [c for c in names + [c for c in have if c not in names] if c in have]
            path = tmp / f"{name}.csv"
            options = pacsv.WriteOptions(quoting_style="needed")
            with pacsv.CSVWriter(path, _part(table, 0, 0, cols).schema, write_options=options) as w:
                for i in range(0, len(table), chunk):
                    part = _part(table, i, i + chunk, cols)
                    w.write_table(part)
                    bar.update(len(part))
        for name in (n for n in TABLE_ORDER if n in tables):
            os.replace(tmp / f"{name}.csv", out / f"{name}.csv")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        bar.close()
    return {name: len(tables[name]) for name in TABLE_ORDER if name in tables}
