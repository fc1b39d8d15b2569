"""Training policies as data: presets shipped as TOML files, or a user's own file.

A policy names a window and what each person owes in it:

``person_times``  minimum completed participations per role (``[quotas]``); the
                  requirement of a person with several roles is the maximum over them;
                  ``[ministry_managed_only]`` roles owe nothing outside ministry-managed
                  organizations.
``hours``         ``[hours]``: ``annual`` hours every calendar year; ``leader_roles``
                  owe ``cycle`` hours over the whole window instead.
``credits``       ``[credits]``: ``annual`` credits a year and ``cycle`` over the
                  window, surplus carried over, and the credit-earning rules.

``prorate`` says what a person employed for only part of the window owes:
``ceil_min1`` (default) = ceil(requirement × employed fraction), at least 1;
``exact`` = requirement × fraction; ``none`` = the full requirement.

``pace`` says what is *due by now* for the ``on_track`` status, with ``elapsed`` the
share of the person's employed part of the period that has passed (as-of day
included): ``floor`` (default) = floor(required × elapsed), what is due in whole units
(person-times, hours, credits), so nobody is behind before a whole unit falls due —
e.g. a head owing 3 person-times in 3 years is on track with 0 done until a third of
the window has passed, with 1 until two thirds; ``exact`` = required × elapsed, the
plain pro-rata amount.  For hours and credits the floor differs from the pro-rata
amount by less than one hour or credit.

Credit rules (``[credits]``, source 002 附件3; defaults are the Baoji figures):

- offline training (``offline``/``blended`` modules) earns ``offline_per_day`` credits a
  training day when it lasts ``offline_min_days`` days or more (3天以上(含3天), 5 学分/天),
  ``offline_short_per_day`` otherwise.  Days come from the module's hours:
  ``day_rule = "whole"`` (default) counts completed training days,
  floor(hours / ``hours_per_day``) — a 16- or 17-hour module is 2 days (0 credits),
  24 hours is 3 days (15 credits); ``"started"`` counts every started day,
  ceil(hours / ``hours_per_day``) — 17 hours is then 3 days;
- an online (``online``/``live``) course passed earns hours × ``online_per_hour``
  clipped to [``online_min``, ``online_max``] (每科考试合格 5-20 学分);
- a module's own ``credits`` column, where given, replaces the computed value; an
  online course that was failed still earns nothing;
- passing: a course's scores are the person's assessments of that module from its
  enrolment up to their next enrolment in it.  It counts as failed only if it has a
  score below ``pass_score`` taken in the year of completion and no passing score; a
  failed course earns its credits on the day of its first passing retake.  A score in
  a later year can therefore add credits but never remove them;
- ``carry_over`` (第十五条: 超额完成当年学分任务的，超额部分计入下一年度学分) with
  ``carry_over_horizon``: ``next_year`` (default, the literal reading) — a year's
  surplus counts toward the next year only, credits carried in are used first and
  what is left of them expires; ``chained`` — surplus keeps rolling forward;
- ``unit_unqualified_share`` (第十八条): a unit where at least this share of staff
  failed a year's credits cannot be rated advanced that year (``features.org``).

Volume targets (``[targets]``, source 001; used by the programme report):

- ``offline`` / ``online``: completed person-times a year (about 2,000 offline, i.e.
  offline/blended modules, and 6,500 online/live); the window's target is their sum
  over its years (about 25,500 for 2025-2027);
- ``organizations``: how many organizations those figures are for — the national
  social organizations of the plan, about 2,300 (DOMAIN: 2,276 in 2021);
- ``scope`` says what the figures are:
  ``"scaled"`` (default) — a rate per organization: the report's targets are the
  figures × (organizations in the store / ``organizations``).  At the national level
  (2,300 organizations) they are the plan's totals; a province's store of 400,000
  organizations gets 174 times them, a single ministry's 100 organizations 1/23 of
  them — what an administrator running part (or a larger population) of the
  programme would compare against;
  ``"national"`` — the plan's national totals, compared as they are, whatever the
  store holds (for a store that holds the national programme and nothing else).
  The report says which, and prints a volume far beyond its target as a multiple
  ("180× the target of 2,000"), not as a percentage.

We chose ``scaled`` as the default because the two agree at the national level and
only ``scaled`` reads sensibly at any other scale.

``load_policy("national-2025")`` loads a preset; ``load_policy("my.toml")`` a file.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from engine.errors import PolicyError, Rule
from engine.schema import MODES, ROLES

#: The preset policies' names (one home: the API's ``PolicyName`` is this type).
PolicyName = Literal["national-2025", "cadre-hours", "credits", "cadre-online"]
PRESETS: tuple[str, ...] = get_args(PolicyName)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoursRule(_Strict):
    annual: float = 90
    leader_roles: tuple[str, ...] = ("head",)
    cycle: float = 550

    @field_validator("leader_roles")
    @classmethod
    def _roles(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [r for r in v if r not in ROLES]
        if bad:
            raise ValueError(f"unknown role {bad[0]!r}; roles are {', '.join(ROLES)}")
        return v


class CreditsRule(_Strict):
    annual: float = 60
    cycle: float = 300
    carry_over: bool = True
    carry_over_horizon: Literal["next_year", "chained"] = "next_year"
    unit_unqualified_share: float = 1 / 3
    offline_min_days: int = 3
    offline_per_day: float = 5
    offline_short_per_day: float = 0
    hours_per_day: float = 8
    day_rule: Literal["whole", "started"] = "whole"
    online_per_hour: float = 2.5
    online_min: float = 5
    online_max: float = 20
    pass_score: float = 60

    @model_validator(mode="after")
    def _ranges(self) -> CreditsRule:
        if self.online_min > self.online_max:
            raise ValueError("online_min must not exceed online_max")
        if self.hours_per_day <= 0:
            raise ValueError("hours_per_day must be positive")
        if not 0 < self.unit_unqualified_share <= 1:
            raise ValueError("unit_unqualified_share must be in (0, 1]")
        return self


class OnlineHours(_Strict):
    """How online study earns 学时 when learning records arrive as xAPI statements
    (``engine.xapi.hours``): ``steps`` are (minimum minutes, 学时) pairs, the first one a
    course's duration reaches counts; ``yearly_cap`` bounds the online 学时 credited to
    one person in a calendar year (None = no cap).  Default: the Yunnan rule of
    DOMAIN.md (≥ 30 min → 1, 15–30 min → 0.5, a micro-course → 0.25), no cap."""

    steps: tuple[tuple[float, float], ...] = ((30, 1.0), (15, 0.5), (0, 0.25))
    yearly_cap: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OnlineHours:
        if not self.steps:
            raise ValueError("steps must not be empty")
        mins = [m for m, _ in self.steps]
        if any(m < 0 for m in mins) or any(h < 0 for _, h in self.steps):
            raise ValueError("steps must not be negative")
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("steps must go from the longest duration down, each once")
        if self.yearly_cap is not None and self.yearly_cap <= 0:
            raise ValueError("yearly_cap must be positive")
        return self


class Targets(_Strict):
    """The plan's volume targets and what they are for (see the module docstring)."""

    offline: int = 2000
    online: int = 6500
    organizations: int = 2300
    scope: Literal["scaled", "national"] = "scaled"

    @model_validator(mode="after")
    def _positive(self) -> Targets:
        if min(self.offline, self.online) < 0:
            raise ValueError("targets must not be negative")
        if self.organizations <= 0:
            raise ValueError("organizations must be positive")
        return self

    def scale(self, n_orgs: int) -> float:
        """The factor the figures are multiplied by for a store of ``n_orgs``."""
        return n_orgs / self.organizations if self.scope == "scaled" else 1.0

    def yearly(self, n_orgs: int) -> dict[str, int]:
        """Yearly targets per mode for a store of ``n_orgs`` organizations (rounded)."""
        f = self.scale(n_orgs)
        return {"offline": round(self.offline * f), "online": round(self.online * f)}


class Policy(_Strict):
    """A validated training policy (see the module docstring)."""

    name: str
    kind: Literal["person_times", "hours", "credits"]
    description: str = ""
    source: str = ""
    start: date
    end: date
    prorate: Literal["ceil_min1", "exact", "none"] = "ceil_min1"
    pace: Literal["floor", "exact"] = "floor"
    modes: tuple[str, ...] = MODES
    quotas: dict[str, float] = {}
    ministry_managed_only: dict[str, bool] = {}
    hours: HoursRule | None = None
    credits: CreditsRule | None = None
    online_hours: OnlineHours = OnlineHours()
    targets: Targets = Targets()

    @field_validator("modes")
    @classmethod
    def _modes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [m for m in v if m not in MODES]
        if bad:
            raise ValueError(f"unknown mode {bad[0]!r}; modes are {', '.join(MODES)}")
        return v

    @field_validator("quotas", "ministry_managed_only")
    @classmethod
    def _role_keys(cls, v: dict[str, object]) -> dict[str, object]:
        bad = [r for r in v if r not in ROLES]
        if bad:
            raise ValueError(f"unknown role {bad[0]!r}; roles are {', '.join(ROLES)}")
        neg = [
            r
            for r, q in v.items()
            if isinstance(q, int | float) and not isinstance(q, bool) and q < 0
        ]
        if neg:
            raise ValueError(f"quota of {neg[0]!r} must not be negative")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.kind == "person_times" and not self.quotas:
            raise ValueError("a person_times policy needs a [quotas] table")
        if self.kind == "hours" and self.hours is None:
            raise ValueError("an hours policy needs an [hours] table")
        if self.kind == "credits" and self.credits is None:
            raise ValueError("a credits policy needs a [credits] table")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))


def _from_text(text: str, label: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{label}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            value = err.get("input")
            shown = "" if isinstance(value, dict) else f" (value {value!r})"
            lines.append(f"  {label}: {where}{shown}: {err['msg']}")
        raise PolicyError("malformed policy:\n" + "\n".join(lines)) from exc


def load_policy(name_or_path: str | Path) -> Policy:
    """Load a preset by name (``national-2025``, ``cadre-hours``, ``credits``) or a file."""
    key = str(name_or_path)
    if key in PRESETS:
        text = resources.files("engine.policies").joinpath(f"{key}.toml").read_text("utf-8")
        return _from_text(text, f"{key}.toml")
    path = Path(key)
    if not path.is_file():
        raise PolicyError(Rule("no_policy", key=repr(key), presets=", ".join(PRESETS)))
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path.name}: policy files must be UTF-8 text") from exc
    return _from_text(text, path.name)


def policy_hash(policy: Policy) -> str:
    """A short sha256 of a policy's settings: a saved model names the policy it was
    fitted for by it, so a changed policy file is noticed."""
    text = json.dumps(policy.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
