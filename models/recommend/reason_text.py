"""The words of the recommenders' reasons, from the label catalogue (``engine.labels``).

Chinese by default (``LEARNMAP_LANG``): roles, organization types and units are shown
by their labels and skills by their names, as an administrator reads them.  In English
(``LEARNMAP_LANG=en``, for researchers and the harness) the codes stay as they are in
the data (``head staff in foundations``, a skill id), so a reason can be traced back to
the records it quotes.  Numbers are formatted here once, the same in both languages.
"""

from __future__ import annotations

from engine.labels import get_lang, label, text

__all__ = ["get_lang", "listing", "percent", "quota", "role", "who", "words"]

_EN_UNITS = {"person_times": "quota", "hours": "hours", "credits": "credits"}


def words(key: str, **fmt: object) -> str:
    """The catalogue's ``reason_<key>`` text, formatted."""
    return text(f"reason_{key}", **fmt)


def _zh() -> bool:
    return get_lang() == "zh-CN"


def role(code: str) -> str:
    return label("role", code) if _zh() else code


def listing(names: list[str]) -> str:
    """Several names in one reason: ``风险管理、财务管理`` / ``risk, finance``."""
    return ("、" if _zh() else ", ").join(names)


def percent(share: float) -> str:
    """``12%``; a share that rounds to 0 % reads "under 1%" (a "0%" explains nothing)."""
    pct = format(share, ".0%")
    return words("cohort_under_1") if pct == "0%" and share > 0 else pct


def who(role_code: str | None, org_type: str | None) -> str:
    """The cohort a share is of: everyone, a role, or a role in one organization type."""
    if not role_code:
        return words("who_all")
    if not org_type:
        return words("who_role", role=role(role_code))
    ot = label("org_type", org_type) if _zh() else org_type
    return words("who_role_org", role=role(role_code), org_type=ot)


def quota(kind: str, year: int, done: float, required: float) -> str:
    units = label("policy_kind", kind) if _zh() else _EN_UNITS[kind]
    unit = words("quota_hours") if kind == "hours" else ""
    return words(
        "quota", year=year, units=units, done=f"{done:g}", required=f"{required:g}", unit=unit
    )
