"""Service settings: one frozen ``Settings(BaseSettings)`` (pydantic-settings), read from
the environment or given to ``create_app`` as keyword arguments (by field name).

Every field can be set from the environment; the variable is named beside the field
(``LEARNMAP_DATABASE_URL``, ``LEARNMAP_MODEL_DIR`` and ``LEARNMAP_API_<FIELD>``, e.g.
``LEARNMAP_API_AS_OF=2026-11-21``, ``LEARNMAP_API_WARM=0``; the language of display
fields is the CLI's ``LEARNMAP_LANG``).  A bad value stops the
service at start with the variable named.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.errors import LearnmapError
from engine.labels import DEFAULT_LANG, get_lang
from engine.store import database_url

DEFAULT_MAX_BODY = 10 * 1024 * 1024


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """What the service needs to start (each field: its environment variable)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    database_url: Annotated[
        str | None,
        Field(
            validation_alias=_env("LEARNMAP_DATABASE_URL"),
            description="the store (None: LEARNMAP_DATABASE_URL or var/learnmap.db)",
        ),
    ] = None
    model_dir: Annotated[
        Path,
        Field(
            validation_alias=_env("LEARNMAP_MODEL_DIR"),
            description="where `learnmap train` wrote its artifacts",
        ),
    ] = Path("var/models")
    max_body_bytes: Annotated[
        int,
        Field(
            gt=0,
            validation_alias=_env("LEARNMAP_API_MAX_BODY"),
            description="larger request bodies get 413",
        ),
    ] = DEFAULT_MAX_BODY
    as_of: Annotated[
        date,
        Field(
            default_factory=date.today,
            validation_alias=_env("LEARNMAP_API_AS_OF"),
            description="the date answered for when a request names none (default: today)",
        ),
    ]
    policy: Annotated[
        str,
        Field(
            validation_alias=_env("LEARNMAP_API_POLICY"),
            description="the policy statuses, risk and quota reasons are for",
        ),
    ] = "national-2025"
    recommender: Annotated[
        str,
        Field(
            validation_alias=_env("LEARNMAP_API_RECOMMENDER"),
            description="registry name of the recommender fitted at start-up",
        ),
    ] = "hybrid"
    warm: Annotated[
        bool,
        Field(
            validation_alias=_env("LEARNMAP_API_WARM"),
            description="precompute recommendations and profiles after start-up",
        ),
    ] = True
    cache_k: Annotated[
        int,
        Field(
            ge=1,
            le=100,
            validation_alias=_env("LEARNMAP_API_CACHE_K"),
            description="recommendations kept per person by the precomputation",
        ),
    ] = 20
    key_cache_seconds: Annotated[
        float,
        Field(
            ge=0,
            validation_alias=_env("LEARNMAP_API_KEY_CACHE_SECONDS"),
            description="a verified key is trusted this long (a revoked key stops within it)",
        ),
    ] = 2.0
    data_version_seconds: Annotated[
        float,
        Field(
            gt=0,
            validation_alias=_env("LEARNMAP_API_DATA_VERSION_SECONDS"),
            description="how often the store's data version is read: answers reflect "
            "an outside ingest within this bound (recommendations: after the refit)",
        ),
    ] = 1.0
    audit_flush_seconds: Annotated[
        float,
        Field(
            gt=0,
            validation_alias=_env("LEARNMAP_API_AUDIT_FLUSH_SECONDS"),
            description="audit rows of reads are written in batches this often",
        ),
    ] = 0.5
    write_lock_seconds: Annotated[
        float,
        Field(
            ge=0,
            validation_alias=_env("LEARNMAP_API_WRITE_LOCK_SECONDS"),
            description="a record write waits this long for another writer (then 503)",
        ),
    ] = 30.0
    k_anonymity: Annotated[
        int,
        Field(
            ge=1,
            validation_alias=_env("LEARNMAP_API_K_ANONYMITY"),
            description="researchers' staff lists: every released combination of "
            "quasi-identifiers is shared by at least k people of the organization",
        ),
    ] = 5
    refit_min_seconds: Annotated[
        float,
        Field(
            ge=0,
            validation_alias=_env("LEARNMAP_API_REFIT_MIN_SECONDS"),
            description="background refits of the recommender after data changes start at "
            "most this often (a first refit after a quiet spell starts at once)",
        ),
    ] = 30.0
    xapi_policy: Annotated[
        str,
        Field(
            validation_alias=_env("LEARNMAP_XAPI_POLICY"),
            description="the policy whose [online_hours] turn xAPI course durations into 学时",
        ),
    ] = "cadre-online"
    xapi_tz: Annotated[
        str,
        Field(
            validation_alias=_env("LEARNMAP_XAPI_TZ"),
            description="the time zone xAPI statement timestamps are dated in",
        ),
    ] = "Asia/Shanghai"

    display_lang: Annotated[
        str,
        Field(
            validation_alias=_env("LEARNMAP_LANG"),
            description="the language of the display fields (``status_label`` …): zh-CN "
            "(default) or en; the same variable as the CLI's",
        ),
    ] = DEFAULT_LANG

    @field_validator("display_lang", mode="before")
    @classmethod
    def _known_lang(cls, value: object) -> str:
        """``zh``, ``en-US`` … as ``engine.labels.get_lang`` reads them; else a ValueError."""
        try:
            return get_lang(str(value))
        except LearnmapError:  # said as pydantic says any bad value (the variable named)
            raise ValueError(f"{value!r}: unknown language; use zh-CN (or zh) or en") from None

    @property
    def url(self) -> str:
        return database_url(self.database_url)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of the environment (kept for callers of the old API)."""
        return cls()
