"""The xAPI 1.0.3 statement data model (IEEE 9274.1.1), as pydantic models.

Written here because no maintained xAPI model library is installable from this
project's package index (ralph's models, published as ``ralph-malte``, are not on it);
the rules are the spec's "Statement" section, kept to what a learning record store
must check on the way in:

* a statement has ``actor``, ``verb`` and ``object``; ``id``, ``context`` and
  ``registration`` are UUIDs; ``timestamp``/``stored`` are ISO 8601 date-times;
* an Agent has exactly one inverse functional identifier (``mbox``, ``mbox_sha1sum``,
  ``openid`` or ``account`` — ``homePage`` an IRL and ``name``); a Group may have none
  (anonymous, then it needs ``member``);
* a verb ``id`` and an Activity ``id`` are IRIs (absolute, with a scheme);
* ``result.score.scaled`` lies in [-1, 1]; ``raw`` between ``min`` and ``max``;
  ``result.duration`` is an ISO 8601 duration;
* a voiding statement (verb ``…/voided``) has a ``StatementRef`` object;
* properties the spec does not define are refused (``extensions`` hold the rest).

``problems(statements)`` checks a batch and returns every problem as (statement index,
field path, value, rule) — a batch with any problem is refused whole.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "VOIDED",
    "Agent",
    "Problem",
    "Statement",
    "parse_duration",
    "problems",
    "validate_batch",
]

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float:
    """Minutes in an ISO 8601 duration (``PT45M``, ``PT1H2M3.5S``, ``P1D``).

    Years and months have no fixed length; they count 365 and 30 days."""
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    days = g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"]
    return days * 1440 + g["h"] * 60 + g["mi"] + g["s"] / 60


def _iri(v: str) -> str:
    if not isinstance(v, str) or not _IRI.match(v):
        raise ValueError("must be an IRI (absolute, with a scheme such as https:)")
    return v


def _uuid(v: str) -> str:
    try:
        return str(uuid.UUID(str(v)))
    except ValueError:
        raise ValueError("must be a UUID") from None


def _timestamp(v: str) -> str:
    if not isinstance(v, str):
        raise ValueError("must be an ISO 8601 date-time text")
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time") from None
    if t.tzinfo is None:
        raise ValueError("must carry a time zone (e.g. 2026-03-01T09:00:00+08:00 or …Z)")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=False)


LanguageMap = dict[str, str]
Iri = Annotated[str, Field(min_length=1)]


class Account(_Model):
    homePage: str
    name: str = Field(min_length=1)

    _home = field_validator("homePage")(classmethod(lambda cls, v: _iri(v)))


class _Actor(_Model):
    name: str | None = None
    mbox: str | None = None
    mbox_sha1sum: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{40}$")
    openid: str | None = None
    account: Account | None = None

    @field_validator("mbox")
    @classmethod
    def _mbox(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^mailto:[^@\s]+@[^@\s]+$", v):
            raise ValueError("mbox must be a mailto: IRI (mailto:name@example.org)")
        return v

    def ifis(self) -> list[str]:
        return [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if getattr(self, k)]

    def ifi_key(self) -> str | None:
        """One text per identity, for the ``agent`` query filter."""
        if self.account is not None:
            return f"account:{self.account.homePage}\x1f{self.account.name}"
        for k in ("mbox", "mbox_sha1sum", "openid"):
            v = getattr(self, k)
            if v:
                return f"{k}:{v}"
        return None


class Agent(_Actor):
    objectType: Literal["Agent"] = "Agent"

    @model_validator(mode="after")
    def _one_ifi(self) -> Agent:
        if len(self.ifis()) != 1:
            raise ValueError(
                "an Agent needs exactly one identifier: mbox, mbox_sha1sum, openid or account"
            )
        return self


class Group(_Actor):
    objectType: Literal["Group"]
    member: list[Agent] | None = None

    @model_validator(mode="after")
    def _identified_or_members(self) -> Group:
        if len(self.ifis()) > 1:
            raise ValueError("a Group has at most one identifier")
        if not self.ifis() and not self.member:
            raise ValueError("an anonymous Group needs a member list")
        return self


def _kind(default: str):  # noqa: ANN202 - a pydantic discriminator
    def kind(v: object) -> str:
        t = (
            v.get("objectType", default)
            if isinstance(v, dict)
            else getattr(v, "objectType", default)
        )
        return t if isinstance(t, str) else "?"

    return kind


Actor = Annotated[
    Annotated[Agent, Tag("Agent")] | Annotated[Group, Tag("Group")],
    Discriminator(
        _kind("Agent"),
        custom_error_type="object_type",
        custom_error_message="objectType must be Agent or Group",
    ),
]


class Verb(_Model):
    id: str
    display: LanguageMap | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _iri(v)))


class ActivityDefinition(_Model):
    name: LanguageMap | None = None
    description: LanguageMap | None = None
    type: str | None = None
    moreInfo: str | None = None
    extensions: dict[str, Any] | None = None
    interactionType: str | None = None
    correctResponsesPattern: list[str] | None = None
    choices: list[dict[str, Any]] | None = None
    scale: list[dict[str, Any]] | None = None
    source: list[dict[str, Any]] | None = None
    target: list[dict[str, Any]] | None = None
    steps: list[dict[str, Any]] | None = None


class Activity(_Model):
    objectType: Literal["Activity"] = "Activity"
    id: str
    definition: ActivityDefinition | None = None

    _id = field_validator("id")(classmethod(lambda cls, v: _iri(v)))


class StatementRef(_Model):
    objectType: Literal["StatementRef"]
    id: str

    _id = field_validator("id")(classmethod(lambda cls, v: _uuid(v)))


class Score(_Model):
    scaled: float | None = Field(default=None, ge=-1, le=1)
    raw: float | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Score:
        lo, hi, raw = self.min, self.max, self.raw
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError("score min must be below max")
        if raw is not None and lo is not None and raw < lo:
            raise ValueError("score raw must not be below min")
        if raw is not None and hi is not None and raw > hi:
            raise ValueError("score raw must not exceed max")
        return self

    def percent(self) -> float | None:
        """The score on learnmap's 0–100 scale: ``scaled`` × 100 (negative → 0), else
        ``raw`` placed between ``min`` and ``max``, else ``raw`` when it lies in 0–100."""
        if self.scaled is not None:
            return max(0.0, self.scaled * 100)
        if self.raw is None:
            return None
        if self.min is not None and self.max is not None:
            return (self.raw - self.min) / (self.max - self.min) * 100
        if 0 <= self.raw <= 100:
            return self.raw
        return None


class Result(_Model):
    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None
    response: str | None = None
    duration: str | None = None
    extensions: dict[str, Any] | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v

    def minutes(self) -> float | None:
        return None if self.duration is None else parse_duration(self.duration)


class ContextActivities(_Model):
    parent: Activity | list[Activity] | None = None
    grouping: Activity | list[Activity] | None = None
    category: Activity | list[Activity] | None = None
    other: Activity | list[Activity] | None = None


class Context(_Model):
    registration: str | None = None
    instructor: Actor | None = None
    team: Group | None = None
    contextActivities: ContextActivities | None = None
    revision: str | None = None
    platform: str | None = None
    language: str | None = None
    statement: StatementRef | None = None
    extensions: dict[str, Any] | None = None

    @field_validator("registration")
    @classmethod
    def _reg(cls, v: str | None) -> str | None:
        return None if v is None else _uuid(v)


class SubStatement(_Model):
    objectType: Literal["SubStatement"]
    actor: Actor
    verb: Verb
    object: Annotated[
        Annotated[Activity, Tag("Activity")]
        | Annotated[Agent, Tag("Agent")]
        | Annotated[Group, Tag("Group")]
        | Annotated[StatementRef, Tag("StatementRef")],
        Discriminator(_kind("Activity")),
    ]
    result: Result | None = None
    context: Context | None = None
    timestamp: str | None = None


class Attachment(_Model):
    usageType: str
    display: LanguageMap
    description: LanguageMap | None = None
    contentType: str
    length: int = Field(ge=0)
    sha2: str
    fileUrl: str | None = None


StatementObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")]
    | Annotated[SubStatement, Tag("SubStatement")],
    Discriminator(
        _kind("Activity"),
        custom_error_type="object_type",
        custom_error_message="objectType must be Activity, Agent, Group, StatementRef or SubStatement",
    ),
]


class Statement(_Model):
    id: str | None = None
    actor: Actor
    verb: Verb
    object: StatementObject
    result: Result | None = None
    context: Context | None = None
    timestamp: str | None = None
    stored: str | None = None
    authority: Actor | None = None
    version: str | None = Field(default=None, pattern=r"^1\.0(\.\d+)?$")
    attachments: list[Attachment] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        return None if v is None else _uuid(v)

    @field_validator("timestamp", "stored")
    @classmethod
    def _ts(cls, v: str | None) -> str | None:
        return None if v is None else _timestamp(v)

    @model_validator(mode="after")
    def _voiding(self) -> Statement:
        if self.verb.id == VOIDED and not isinstance(self.object, StatementRef):
            raise ValueError("a voiding statement (verb …/voided) must have a StatementRef object")
        return self

    @property
    def activity_id(self) -> str | None:
        return self.object.id if isinstance(self.object, Activity) else None

    @property
    def registration(self) -> str | None:
        return self.context.registration if self.context else None


#: (statement index — 0 = first, field path, value shown, rule)
Problem = tuple[int, str, str, str]
_BATCH = TypeAdapter(list[Statement])


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def validate_batch(items: list[Any]) -> tuple[list[Statement], list[Problem]]:
    """The statements of ``items`` and every problem found (index, field, value, rule)."""
    out: list[Statement] = []
    found: list[Problem] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            found.append((i, "(statement)", _shown(item), "a statement must be a JSON object"))
            continue
        try:
            out.append(Statement.model_validate(item))
        except ValidationError as exc:
            seen: set[tuple[str, str]] = set()
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                # a union reports every alternative; keep the first message per field
                path = ".".join(p for p in loc if p not in _UNION_TAGS) or "(statement)"
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = "not a property of this xAPI object (use extensions)"
                if (path, msg) in seen or any(path == p for p, _ in seen):
                    continue
                seen.add((path, msg))
                found.append((i, path, _shown(err.get("input")), msg))
    ids = [s.id for s in out if s.id]
    dup = {x for x in ids if ids.count(x) > 1} if len(ids) != len(set(ids)) else set()
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") in dup:
            found.append((i, "id", str(item["id"]), "the same id twice in one batch"))
    return out, found


_UNION_TAGS = {"Agent", "Group", "Activity", "StatementRef", "SubStatement", "list[Activity]"}


def problems(items: list[Any]) -> list[Problem]:
    return validate_batch(items)[1]
