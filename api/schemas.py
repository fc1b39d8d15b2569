"""Response and request bodies (pydantic): one family per resource."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from engine.policy import PolicyName as PolicyName  # one home: engine.policy
from models.risk.agreement import STATUS_MEANS

Status = Literal["met", "on_track", "at_risk", "overdue", "none"]


def shown_as(code: str, note: str = "") -> Any:
    """A display field: the label of ``code`` in the service's language (``api.labels``)."""
    text = f"{code} as people read it, in the service's language (LEARNMAP_LANG; "
    text += f"engine.labels){note}"
    return Field(default=None, description=text)


_NULL = ": null when the code is null"

# ---- dates callers send ---------------------------------------------------------------
#: the dates the API accepts: ``YYYY-MM-DD`` from 1900-01-01 to 2199-12-31.  Anything
#: else (another format, an integer — once read as a Unix timestamp —, a day that does
#: not exist, a year outside pandas' Timestamp range, which once wrapped round to
#: plausible answers) is a 422 naming the field.  The pattern is the whole rule, so the
#: OpenAPI schema says exactly what is accepted (leap days included).
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
_LEAP = r"(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:0[048]|[2468][048]|[13579][26])|21(?:0[48]|[2468][048]|[13579][26]))"
DATE_PATTERN = (
    r"^(?:(?:19|20|21)\d\d-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))"
    rf"|{_LEAP}-02-29)$"
)
_DATE_RE = re.compile(DATE_PATTERN)


def parse_date(value: object) -> date:
    """A caller's date, by the rule above (``ValueError`` naming the rule otherwise)."""
    if isinstance(value, date) and FIRST_DATE <= value <= LAST_DATE:
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ValueError(
            f"a date must be written YYYY-MM-DD, from {FIRST_DATE} to {LAST_DATE}; got {value!r}"
        )
    return date.fromisoformat(value)


ServingDate = Annotated[
    date,
    BeforeValidator(parse_date),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DATE_PATTERN,
            "description": f"YYYY-MM-DD, {FIRST_DATE} to {LAST_DATE}",
        }
    ),
]


class ErrorBody(BaseModel):
    detail: Any = Field(description="what went wrong, naming the field or id")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    state: str = Field(description="starting, opening, ready, or failed: …")
    store: str
    recommender: str
    recommendations_cached: float = Field(description="share of people precomputed, 0–1")
    profiles_cached: float = Field(description="share of profiles precomputed, 0–1")
    risk_model: str
    data_version: int = Field(description="the store's data version answers come from")
    recommender_data_version: int | None = Field(
        description="the data version the recommender was fitted on"
    )


class Version(BaseModel):
    name: str
    version: str
    api: Literal["v1"]
    as_of: date
    policy: str
    policy_label: str | None = shown_as("policy")
    recommender: str
    recommender_fitted_at: str | None
    risk_model: dict[str, Any] | None


# ---- learners ----------------------------------------------------------------------
class Recommendation(BaseModel):
    rank: int
    module_id: str
    title: str
    mode: str
    mode_label: str | None = shown_as("mode")
    tier: str
    tier_label: str | None = shown_as("tier")
    hours: float
    score: float
    reason: str


class Recommendations(BaseModel):
    staff_id: str
    as_of: date
    model: str
    data: list[Recommendation]
    count: int


class PolicyStatus(BaseModel):
    policy: str
    policy_label: str | None = shown_as("policy")
    required: float | None
    done: float | None
    remaining: float | None
    deadline: date | None
    status: str | None
    status_label: str | None = shown_as("status", _NULL)


class SkillGap(BaseModel):
    skill: str
    mastery: float | None
    target: float | None
    gap: float | None
    evidence: Literal["measured", "prior"] | None = Field(
        default=None,
        description="measured: from the person's scores; prior: no scores yet, the "
        "mastery is the population's estimate (尚未评估)",
    )
    evidence_label: str | None = shown_as("evidence", _NULL)


class StaffRiskOut(BaseModel):
    p_miss: float = Field(description=STATUS_MEANS["p_miss"])
    expected_shortfall: float
    status: str = Field(description=STATUS_MEANS["status"])
    status_label: str | None = shown_as("status")
    drivers: str
    forecast_vs_status: str | None = Field(
        default=None, description=STATUS_MEANS["forecast_vs_status"]
    )
    forecast_vs_status_label: str | None = shown_as("forecast_vs_status", _NULL)
    model_as_of: str


class Profile(BaseModel):
    """The ``learnmap profile`` record, with a status per policy asked for and risk."""

    model_config = ConfigDict(extra="allow")

    staff_id: str
    org_id: str
    role: str
    role_label: str | None = shown_as("role", " (several roles: one text, 负责人、监事)")
    as_of: date
    employed: bool
    statuses: list[PolicyStatus]
    skill_gaps: list[SkillGap]
    risk: StaffRiskOut | None = Field(
        None, description="null when no risk model is loaded or the person owes nothing now"
    )


class MapNode(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    kind: str
    kind_label: str | None = shown_as("kind (role, skill, module)")
    mode_label: str | None = shown_as("a module's mode", "; null for other nodes")
    tier_label: str | None = shown_as("a module's tier", "; null for other nodes")
    status_label: str | None = shown_as(
        "a module's status for the person (participation status, or not_taken)",
        "; null for other nodes",
    )
    role_label: str | None = shown_as("a role node's role", "; null for other nodes")


class MapLink(BaseModel):
    model_config = ConfigDict(extra="allow")
    source: str
    target: str
    kind: str
    kind_label: str | None = shown_as("kind (requires, teaches, prerequisite …)")


class LearningMap(BaseModel):
    staff_id: str
    org_id: str
    as_of: date
    nodes: list[MapNode]
    links: list[MapLink]


# ---- organizations -----------------------------------------------------------------
class OrgRisk(BaseModel):
    org_id: str
    staff: int
    owing: int | None = None
    expected_shortfall: float
    expected_missing: float
    p_unit_rule: float | None = Field(
        default=None,
        description="P(the unit rule fires: at least its share of staff unqualified); "
        "empty under a policy without the rule (person-time and hours policies)",
    )
    rank: int
    reason: str
    name: str | None = None
    region: str | None = None
    org_type: str | None = None
    # display fields last: the CSV of risk:batch keeps its columns where they were
    region_label: str | None = shown_as("region", " (stored in Chinese; English: pinyin)")
    org_type_label: str | None = shown_as("org_type", _NULL)


class StaffAtRisk(BaseModel):
    staff_id: str
    p_miss: float = Field(description=STATUS_MEANS["p_miss"])
    expected_shortfall: float
    status: str = Field(description=STATUS_MEANS["status"])
    status_label: str | None = shown_as("status")
    drivers: str
    forecast_vs_status: str | None = Field(
        default=None, description=STATUS_MEANS["forecast_vs_status"]
    )
    forecast_vs_status_label: str | None = shown_as("forecast_vs_status", _NULL)


class OrgRiskDetail(BaseModel):
    as_of: date
    model_as_of: str
    organization: OrgRisk
    staff_at_risk: list[StaffAtRisk]


class StaffRow(BaseModel):
    staff_id: str
    role: str | None = Field(description="null: suppressed for researchers (api.privacy)")
    role_label: str | None = shown_as("role", ": null whenever role is (suppressed alike)")
    hired_on: date | None
    left_on: date | None
    employed: bool | None = Field(description="null: suppressed for researchers")
    required: float | None
    done: float | None
    remaining: float | None
    deadline: date | None
    status: str | None
    status_label: str | None = shown_as("status", _NULL)
    p_miss: float | None = None


class StaffPage(BaseModel):
    org_id: str
    as_of: date
    policy: str
    policy_label: str | None = shown_as("policy")
    data: list[StaffRow]
    count: int = Field(description="staff matching the filter, over all pages")
    limit: int
    offset: int


class RiskBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_ids: list[str] | None = Field(
        None, max_length=100_000, description="organizations to score (null = all that match)"
    )
    region: str | None = None
    org_type: Literal["social_group", "foundation", "social_service_org"] | None = None
    as_of: ServingDate | None = None


# ---- reports -----------------------------------------------------------------------
_ROWS = "rows of the report's table (as report's CSV files), each code column followed "
_ROWS += "by its display field in the service's language: "


class Report(BaseModel):
    as_of: date
    policy: str
    policy_label: str | None = shown_as("policy")
    summary: dict[str, Any]
    volume: list[dict[str, Any]] = Field(description=_ROWS + "mode, mode_label")
    volume_total: list[dict[str, Any]] = Field(description=_ROWS + "mode, mode_label")
    coverage_by_role: list[dict[str, Any]] = Field(description=_ROWS + "role, role_label")
    coverage_by_org_type: list[dict[str, Any]] = Field(
        description=_ROWS + "org_type, org_type_label"
    )
    coverage_by_region: list[dict[str, Any]] = Field(description=_ROWS + "region, region_label")


# ---- records -----------------------------------------------------------------------
class RecordProblem(BaseModel):
    item: int | None = Field(description="position in the list, 1 = first; null = whole batch")
    column: str
    value: str
    rule: str


class RecordsResult(BaseModel):
    table: str
    received: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[RecordProblem]


# ---- admin -------------------------------------------------------------------------
class ReloadResult(BaseModel):
    reloaded: bool
    detail: str
    risk_model: dict[str, Any] | None
    recommender_fitted_at: str | None
    recommender: str = Field("", description="the recommender's state (refitting, fitted, …)")
