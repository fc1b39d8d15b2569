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

``load_policy("national-2025")`` loads a preset; ``load_policy("my.toml")`` a file.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from engine.errors import PolicyError
from engine.schema import MODES, ROLES

PRESETS = ("national-2025", "cadre-hours", "credits")


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
    unit_unqualified_share: float = 1 / 3
    offline_min_days: int = 3
    offline_per_day: float = 5
    offline_short_per_day: float = 0
    hours_per_day: float = 8
    online_per_hour: float = 2.5
    online_min: float = 5
    online_max: float = 20
    pass_score: float = 60

    @model_validator(mode="after")
    def _ranges(self) -> CreditsRule:
        if self.online_min > self.online_max:
            raise ValueError("online_min must not exceed online_max")
        if not 0 < self.unit_unqualified_share <= 1:
            raise ValueError("unit_unqualified_share must be in (0, 1]")
        return self


class Policy(_Strict):
    """A validated training policy (see the module docstring)."""

    name: str
    kind: Literal["person_times", "hours", "credits"]
    description: str = ""
    source: str = ""
    start: date
    end: date
    prorate: Literal["ceil_min1", "exact", "none"] = "ceil_min1"
    modes: tuple[str, ...] = MODES
    quotas: dict[str, float] = {}
    ministry_managed_only: dict[str, bool] = {}
    hours: HoursRule | None = None
    credits: CreditsRule | None = None

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
        raise PolicyError(
            f"no policy {key!r}: not a preset ({', '.join(PRESETS)}) and no such file"
        )
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path.name}: policy files must be UTF-8 text") from exc
    return _from_text(text, path.name)
