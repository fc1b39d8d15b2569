"""Ground truth of a demo dataset: the generator's latent variables and its oracles.

``learnmap demo-data --out DIR --truth`` writes ``DIR/_truth/`` (ingest reads only the
``<table>.csv`` files of DIR itself, so this folder is never ingested)::

    from engine.demo.truth import load_truth
    truth = load_truth(DIR)
    truth.people      # staff_id, org_id, role (primary), diligence, hired_on, left_on
    truth.interests   # staff_id, year, interest_1..T (latent topic interests θ)
    truth.orgs        # org_id, org_type, culture, access
    truth.mastery     # staff_id, skill_id, mastery (0..1, the role_requirements.level scale)
    truth.choice_probabilities(participations, as_of, staff_ids=None)   # the oracle recommender
    truth.expected_activity(staff_ids, start, end)                      # the oracle of risk

The format is described in ``README`` (``engine.demo.truth.files``; written as
``_truth/README.md``).  The oracles reuse the generator's own arithmetic
(``engine.demo.choice``, ``engine.demo.simulate``).

Modules: ``model`` (the ``Truth`` record and the model rebuilt from it),
``choice_oracle`` (the oracle recommender), ``risk_oracle`` (the oracle of risk),
``build`` (``build_truth``), ``files`` (the ``_truth/`` folder: README, write, load).
The names below are re-exported here.
"""

from __future__ import annotations

from datetime import date

from engine.demo.truth.build import build_truth
from engine.demo.truth.files import FILES as FILES
from engine.demo.truth.files import README, TRUTH_DIR, load_truth, write_truth
from engine.demo.truth.model import Truth

__all__ = ["README", "TRUTH_DIR", "Truth", "load_truth", "write_truth", "build_truth", "date"]
