"""The ``_truth/`` folder: its files, its README (the format), ``write_truth`` and
``load_truth``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from engine.demo.truth.model import Truth

TRUTH_DIR = "_truth"
FILES = (
    "people",
    "orgs",
    "mastery",
    "modules",
    "skills",
    "topics",
    "interests",
    "offers",
    "rates",
    "callups",
)

README = """\
# Ground truth of this demo dataset

Written by `learnmap demo-data --truth` next to the ten tables; ingest never reads this
folder (it reads only the `<table>.csv` files of the dataset directory itself).  Load it
with `engine.demo.truth.load_truth(DIR)`; every number here is what the generator used.

Files (UTF-8 CSV; ids as in the tables; dates ISO):

- `params.json`: scenario, seed, window, number of organizations, every effect size
  (`engine/demo/effects.py`), the scenario's season (12 monthly intensities), target-seeking
  parameters (`target_hours`, `leader_target_hours`, `after_target`, `catch_up`,
  `catch_up_from`), `p_send`, `topics` (T).
- `people.csv`: `staff_id, org_id, role` (primary role), `diligence` (log enrolment rate
  and completion logit shift; +6·diligence score points), `hired_on, left_on`.
- `interests.csv`: `staff_id, year, interest_1..T` — the person's latent interest θ in each
  topic that calendar year (drifting from year to year).
- `orgs.csv`: `org_id, org_type, culture` (log enrolment rate shift of every member; 0.8×
  on the completion logit), `access` (log offline-rate shift of its region).
- `mastery.csv`: `staff_id, skill_id, mastery` — latent mastery on the 0..1 scale of
  `role_requirements.level`.  Mapping: mastery = Φ(u) where u ~ N(0, 1) is the person's
  standard-normal skill factor (assessment scores carry `mastery_sd`·u points, i.e.
  `mastery_sd`·Φ⁻¹(mastery)); so 0.5 is the median person, 0.8 the 80th percentile, and a
  role target level L is met by a share 1 − L of staff.  Mastery is fixed over the window
  (training gains show in `outcomes`, not here); it drives scores, not choices.
- `modules.csv`: the choice model's module order: `module_id, skill_id` (primary skill),
  `topic` (main latent topic key), `pool` (online = online+live, offline = offline+blended),
  `mode, hours, popularity, quality` (latent, N(0, 1)), `prerequisites`, `successors`
  (`|`-joined), `tau_1..T` (the module's latent topic mixture τ).
- `offers.csv`: `module_id, month` (YYYY-MM): the months in which the module can be chosen
  (A[m, t]: a self-paced module runs then; a session-bound one has a class starting the
  month after).  Modules launched in the window appear from their launch month on.
- `topics.csv`: `topic` (1..T), `key`, `words` (the title vocabulary), `skills` (linked
  sub-skills), `|`-joined.
- `skills.csv`: `skill_id, foundation`.
- `rates.csv`: `staff_id, year, lam_online, lam_offline` (expected enrolments per employed
  day, before season and target seeking), `p_online, p_offline` (completion probability).
- `callups.csv`: `org_id, month` (YYYY-MM), `module_id`: a unit's call-up; each employed
  member not yet enrolled in the module is sent with probability `p_send`.

Choice model (see the docstring of `engine/demo/choice.py`): within a pool,
P(m) ∝ exp(θ_i(y)·τ_m + a_m) · A[m, t] · [not enrolled before] · prereq_skip^[unmet
prerequisite], a_m = log popularity + quality_uptake · quality; the next choice falls in a
pool with probability proportional to the person's expected draws from it that month,
call-ups adding `p_send` each.  `Truth.choice_probabilities(participations, as_of)`
evaluates exactly this for the month after `as_of` from the history in `participations`
(exact when `as_of` is the last day of a month: the generator refreshes completions
monthly; the person is taken as employed all month) — new modules included, from the month
they can first be chosen.  `Truth.expected_activity(staff_ids, start, end)` gives expected
completed person-times and hours of enrolments made in [start, end) (closed form; with
target seeking, the mean of 200 simulations of the generator's rate process).
"""


def write_truth(truth: Truth, out: str | Path) -> Path:
    """Write ``out/_truth/`` (README.md, params.json and one CSV per frame)."""
    folder = Path(out) / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "params.json").write_text(
        json.dumps(truth.params, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    for name in FILES:
        frame = getattr(truth, name)
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


def load_truth(path: str | Path) -> Truth:
    """Read ``DIR/_truth/`` (or the ``_truth`` folder itself)."""
    folder = Path(path)
    if folder.name != TRUTH_DIR:
        folder = folder / TRUTH_DIR
    if not (folder / "params.json").is_file():
        raise FileNotFoundError(
            f"{folder}: no ground truth here (write it with learnmap demo-data --truth)"
        )
    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    frames = {}
    for name in FILES:
        frames[name] = pd.read_csv(
            folder / f"{name}.csv",
            keep_default_na=name not in ("modules", "topics"),
            dtype={"month": str},
        )
    for col in ("hired_on", "left_on"):
        frames["people"][col] = pd.to_datetime(frames["people"][col]).astype("datetime64[ns]")
    frames["modules"] = frames["modules"].fillna("")
    return Truth(params, **frames)
