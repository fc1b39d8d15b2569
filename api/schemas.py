"""Response and request bodies (pydantic): one family per resource."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.policy import PolicyName as PolicyName  # one home: engine.policy

Status = Literal["met", "on_track", "at_risk", "overdue", "none"]


class ErrorBody(BaseModel):
    detail: Any = Field(description="what went wrong, naming the field or id")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    store: str
    recommender: str
    recommendations_cached: float = Field(description="share of people precomputed, 0–1")
    risk_model: str


class Version(BaseModel):
    name: str
    version: str
    api: Literal["v1"]
    as_of: date
    policy: str
    recommender: str
    recommender_fitted_at: str | None
    risk_model: dict[str, Any] | None


# ---- learners ----------------------------------------------------------------------
class Recommendation(BaseModel):
    rank: int
    module_id: str
    title: str
    mode: str
    tier: str
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
    required: float | None
    done: float | None
    remaining: float | None
    deadline: date | None
    status: str | None


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


class StaffRiskOut(BaseModel):
    p_miss: float
    expected_shortfall: float
    status: str
    drivers: str
    model_as_of: str


class Profile(BaseModel):
    """The ``learnmap profile`` record, with a status per policy asked for and risk."""

    model_config = ConfigDict(extra="allow")

    staff_id: str
    org_id: str
    role: str
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


class MapLink(BaseModel):
    model_config = ConfigDict(extra="allow")
    source: str
    target: str
    kind: str


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
    p_unit_rule: float
    rank: int
    reason: str
    name: str | None = None
    region: str | None = None
    org_type: str | None = None


class StaffAtRisk(BaseModel):
    staff_id: str
    p_miss: float
    expected_shortfall: float
    status: str
    drivers: str


class OrgRiskDetail(BaseModel):
    as_of: date
    model_as_of: str
    organization: OrgRisk
    staff_at_risk: list[StaffAtRisk]


class StaffRow(BaseModel):
    staff_id: str
    role: str
    hired_on: date | None
    left_on: date | None
    employed: bool
    required: float | None
    done: float | None
    remaining: float | None
    deadline: date | None
    status: str | None
    p_miss: float | None = None


class StaffPage(BaseModel):
    org_id: str
    as_of: date
    policy: str
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
    as_of: date | None = None


# ---- reports -----------------------------------------------------------------------
class Report(BaseModel):
    as_of: date
    policy: str
    summary: dict[str, Any]
    volume: list[dict[str, Any]]
    volume_total: list[dict[str, Any]]
    coverage_by_role: list[dict[str, Any]]
    coverage_by_org_type: list[dict[str, Any]]
    coverage_by_region: list[dict[str, Any]]


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
