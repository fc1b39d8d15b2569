"""Service functions for one person's profile and learning map (the routes call these;
they assemble nothing themselves).

A profile is the ``learnmap profile`` record (``features.cli.profile_record``) with a
status per policy and the risk of missing the requirement.  Two ways to the same
answer:

- ``profile_json`` for one person: targeted reads (``features.person``), as the CLI;
- ``warm_profiles`` for everyone at the serving date and policy: one whole-store
  snapshot and mastery table, then each person's record from them (the person view
  equals the whole-store view field by field, ``tests/features/test_person.py``).

Answers are cached as JSON bytes per (data version, person, date, policies) in
``ProfileCache``; a new data version empties it (``Service._new_data``).  Serving a
cached profile is a dictionary lookup on the event loop, which is what keeps
``/healthz`` fast while profiles are served (issue 22, defect 5).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import OrderedDict
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from api.labels import RISK_KINDS, labelled
from engine.errors import NotFoundError
from engine.policy import load_policy

if TYPE_CHECKING:
    from api.service import Service

log = logging.getLogger(__name__)
Key = tuple[int, str, date, tuple[str, ...]]


def finite(value: object) -> object:
    """A value JSON can carry: NaN/inf and NaT → None, numpy scalars → Python."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class ProfileCache:
    """JSON bytes of profiles, least recently used dropped past ``size``."""

    def __init__(self, size: int = 500_000) -> None:
        self.size = size
        self._data: OrderedDict[Key, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.warmed = 0.0  # share of the serving date's people precomputed, 0–1

    def get(self, key: Key) -> bytes | None:
        return self._data.get(key)

    def put(self, key: Key, body: bytes) -> None:
        with self._lock:
            self._data[key] = body
            if len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.warmed = 0.0


def _status_row(st: pd.DataFrame, staff_id: str) -> dict:
    row = st.loc[staff_id] if staff_id in st.index else st[st["staff_id"] == staff_id].iloc[0]
    deadline = row["deadline"]
    return {
        "policy": str(row["policy"]),
        "required": finite(float(row["required"])),
        "done": finite(float(row["done"])),
        "remaining": finite(float(row["remaining"])),
        "deadline": None if deadline is None or deadline != deadline else str(deadline)[:10],
        "status": str(row["status"]),
    }


def _risk(service: Service, staff_id: str, as_of: date) -> dict | None:
    if service.risk is None:
        return None
    v = service.view(as_of)
    if v.risk is None or staff_id not in v.risk.index:
        return None
    r = v.risk.loc[staff_id]
    return {
        "p_miss": float(r["p_miss"]),
        "expected_shortfall": float(r["expected_shortfall"]),
        "status": str(r["status"]),
        "drivers": str(r["drivers"]),
        "forecast_vs_status": str(r.get("forecast_vs_status", "agree")),
        "model_as_of": str(v.model_as_of),
    }


_STATUS_KINDS = {"policy": "policy", "status": "status"}


def _body(record: dict, as_of: date, statuses: list[dict], risk: dict | None, lang: str) -> bytes:
    """The profile's JSON: the record's codes with their display fields (``api.labels``:
    ``role_label``, each status's ``policy_label`` / ``status_label``, each gap's
    ``evidence_label``, the risk's ``status_label`` / ``forecast_vs_status_label``)."""
    record = dict(record)
    record.pop("status", None)
    clean = labelled({k: finite(v) for k, v in record.items()}, {"role": "role"}, lang)
    clean["skill_gaps"] = [
        labelled({k: finite(v) for k, v in g.items()}, {"evidence": "evidence"}, lang)
        for g in clean["skill_gaps"]
    ]
    clean.update(
        as_of=as_of.isoformat(),
        statuses=[labelled(s, _STATUS_KINDS, lang) for s in statuses],
        risk=None if risk is None else labelled(risk, RISK_KINDS, lang),
    )
    return json.dumps(clean, ensure_ascii=False, default=str).encode()


def profile_json(service: Service, staff_id: str, as_of: date, policies: list[str]) -> bytes:
    """One person's profile as JSON (cached per data version); NotFoundError if the
    person was not hired by ``as_of``."""
    key = (service.data_version, staff_id, as_of, tuple(policies))
    hit = service.profiles.get(key)
    if hit is not None:
        return hit
    from features.cli import profile_record
    from features.compliance import compliance
    from features.person import person_view

    view = person_view(service.store, staff_id, as_of)
    record = profile_record(view.snap, staff_id, policies[0], view.mastery)
    if record is None:
        raise NotFoundError(f"no staff member {staff_id!r} as of {as_of}")
    statuses = [_status_row(compliance(view.snap, load_policy(n)), staff_id) for n in policies]
    body = _body(
        record, as_of, statuses, _risk(service, staff_id, as_of), service.settings.display_lang
    )
    service.profiles.put(key, body)
    return body


def warm_profiles(service: Service, stop: threading.Event | None = None) -> int:
    """Precompute every person's profile at the serving date under the service's
    policy, from one whole-store snapshot; returns how many were cached."""
    from features.learning_map import person_map, skill_gaps
    from features.mastery import skill_mastery
    from features.profile import learner_profiles

    t0 = time.perf_counter()
    version, as_of = service.data_version, service.settings.as_of
    policies = (service.settings.policy,)
    lang = service.settings.display_lang
    view = service.view(as_of)
    snap = view.snap
    mastery = skill_mastery(snap)
    prof = learner_profiles(snap, mastery=mastery).set_index("staff_id", drop=False)
    status = view.status  # compliance under the service's policy, by staff_id
    ids = [str(s) for s in prof.index]
    cache = service.profiles
    for i, staff_id in enumerate(ids):
        if (stop is not None and stop.is_set()) or service.data_version != version:
            return i
        record = {k: finite(v) for k, v in prof.loc[staff_id].items()}
        record["skill_gaps"] = skill_gaps(person_map(snap, staff_id, mastery, modules=False))
        statuses = [_status_row(status, staff_id)]
        body = _body(record, as_of, statuses, _risk(service, staff_id, as_of), lang)
        cache.put((version, staff_id, as_of, policies), body)
        cache.warmed = (i + 1) / len(ids)
        if i % 64 == 0:
            time.sleep(0)  # let the event loop answer between people
    cache.warmed = 1.0
    log.info("profiles of %d people precomputed in %.1fs", len(ids), time.perf_counter() - t0)
    return len(ids)
