"""Service settings: one frozen object, built from the environment or given to
``create_app``.

Environment (all optional): ``LEARNMAP_DATABASE_URL`` (the store), ``LEARNMAP_MODEL_DIR``
(artifacts of ``learnmap train``), ``LEARNMAP_API_MAX_BODY`` (bytes, default 10 MiB),
``LEARNMAP_API_AS_OF`` (the serving date, default: today at start-up),
``LEARNMAP_API_POLICY`` (default ``national-2025``), ``LEARNMAP_API_RECOMMENDER``
(default ``hybrid``), ``LEARNMAP_API_WARM`` (``0`` = do not precompute
recommendations at start-up).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from engine.store import database_url

DEFAULT_MAX_BODY = 10 * 1024 * 1024


def _today() -> date:
    return date.today()


@dataclass(frozen=True)
class Settings:
    """What the service needs to start.

    database_url   : the store (None: ``LEARNMAP_DATABASE_URL`` or ``var/learnmap.db``).
    model_dir      : where ``learnmap train`` wrote its artifacts.
    max_body_bytes : larger request bodies get 413.
    as_of          : the date recommendations, statuses and risk are served for when a
                     request does not name one.
    policy         : the policy the risk model must have been trained for, and the one
                     the recommender ranks quota modules by (as ``learnmap recommend
                     --policy``).
    recommender    : registry name of the recommender fitted at start-up.
    warm           : precompute every person's recommendations at start-up (in the
                     background; ``/readyz`` says when it is done).
    cache_k        : recommendations kept per person by the precomputation.
    xapi_policy    : the policy whose ``[online_hours]`` turn xAPI course durations into
                     学时 (``LEARNMAP_XAPI_POLICY``, default ``cadre-online``).
    xapi_tz        : the time zone xAPI timestamps are dated in (``LEARNMAP_XAPI_TZ``).
    key_cache_seconds : how long a verified API key is trusted without looking at the
                     store again (a revoked key stops working within this time).
    """

    database_url: str | None = None
    model_dir: Path = field(default_factory=lambda: Path("var/models"))
    max_body_bytes: int = DEFAULT_MAX_BODY
    as_of: date = field(default_factory=_today)
    policy: str = "national-2025"
    recommender: str = "hybrid"
    warm: bool = True
    cache_k: int = 20
    key_cache_seconds: float = 2.0
    xapi_policy: str = "cadre-online"
    xapi_tz: str = "Asia/Shanghai"

    @property
    def url(self) -> str:
        return database_url(self.database_url)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        kw: dict[str, object] = {}
        if env.get("LEARNMAP_DATABASE_URL"):
            kw["database_url"] = env["LEARNMAP_DATABASE_URL"]
        if env.get("LEARNMAP_MODEL_DIR"):
            kw["model_dir"] = Path(env["LEARNMAP_MODEL_DIR"])
        if env.get("LEARNMAP_API_MAX_BODY"):
            kw["max_body_bytes"] = int(env["LEARNMAP_API_MAX_BODY"])
        if env.get("LEARNMAP_API_AS_OF"):
            kw["as_of"] = date.fromisoformat(env["LEARNMAP_API_AS_OF"])
        if env.get("LEARNMAP_API_POLICY"):
            kw["policy"] = env["LEARNMAP_API_POLICY"]
        if env.get("LEARNMAP_API_RECOMMENDER"):
            kw["recommender"] = env["LEARNMAP_API_RECOMMENDER"]
        if env.get("LEARNMAP_XAPI_POLICY"):
            kw["xapi_policy"] = env["LEARNMAP_XAPI_POLICY"]
        if env.get("LEARNMAP_XAPI_TZ"):
            kw["xapi_tz"] = env["LEARNMAP_XAPI_TZ"]
        if env.get("LEARNMAP_API_WARM"):
            kw["warm"] = env["LEARNMAP_API_WARM"] not in ("0", "false", "no")
        return cls(**kw)  # type: ignore[arg-type]
