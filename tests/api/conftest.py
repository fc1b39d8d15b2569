"""A small demo store (60 organizations) ingested once per session, a quickly trained
risk model, the app on it, and one API key per role and scope."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import create_key, revoke_key
from api.settings import Settings
from engine.ingest import ingest
from engine.policy import load_policy
from engine.store import Store
from models.risk import artifacts
from models.risk.estimator import StaffRisk

AS_OF = date(2026, 11, 23)
TRAIN_AS_OF = date(2026, 6, 30)


@dataclass
class World:
    db: Path
    models: Path
    org_a: str
    org_b: str
    staff_a: str  # in org A
    staff_a2: str  # another person in org A
    staff_b: str  # in org B
    participation_a: dict  # a stored participation of staff_a (JSON-ready)
    participation_b: dict


def _json_row(frame, i: int) -> dict:  # noqa: ANN001
    rec = frame.iloc[i].to_dict()
    out = {}
    for k, v in rec.items():
        if v is None or (isinstance(v, float) and v != v) or str(v) == "NaT":
            out[k] = None
        elif hasattr(v, "date"):
            out[k] = v.date().isoformat()
        else:
            out[k] = v.item() if hasattr(v, "item") else v
    return out


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, small_dir: Path) -> World:
    root = tmp_path_factory.mktemp("api")
    db = root / "learnmap.db"
    store = Store(f"sqlite:///{db}")
    ingest(small_dir, store)
    tables = store.load()
    model = StaffRisk(max_iter=30, step_days=183).fit(
        tables, TRAIN_AS_OF, load_policy("national-2025")
    )
    artifacts.save(model, tables, root / "models")
    staff = tables["staff"]
    employed = staff[staff["left_on"].isna()]
    orgs = employed.groupby("org_id").size()
    org_a, org_b = [str(o) for o in orgs[orgs >= 3].index[:2]]
    in_a = employed[employed["org_id"] == org_a]["staff_id"].astype(str).tolist()
    in_b = employed[employed["org_id"] == org_b]["staff_id"].astype(str).tolist()
    p = tables["participations"]
    with_part = [s for s in in_a if (p["staff_id"] == s).any()]
    staff_a = with_part[0] if with_part else in_a[0]
    staff_a2 = next(s for s in in_a if s != staff_a)
    pb = p[p["staff_id"].isin(in_b)]
    pa = p[p["staff_id"] == staff_a]
    store.engine.dispose()
    return World(
        db,
        root / "models",
        org_a,
        org_b,
        staff_a,
        staff_a2,
        in_b[0],
        _json_row(pa.reset_index(drop=True), 0),
        _json_row(pb.reset_index(drop=True), 0),
    )


def make_settings(db: Path, models: Path, **kw: object) -> Settings:
    base = dict(
        database_url=f"sqlite:///{db}",
        model_dir=models,
        as_of=AS_OF,
        recommender="skillgap",
        key_cache_seconds=0.0,
        refit_min_seconds=0.0,  # tests change data and wait for the refit at once
    )
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def app(world: World):  # noqa: ANN201
    application = create_app(make_settings(world.db, world.models))
    with TestClient(application) as client:
        assert application.state.service.wait_ready(timeout=300)
        recs = application.state.service.recs
        assert recs is not None and recs.progress == 1.0
        application.state.client = client
        yield application


@pytest.fixture(scope="session")
def client(app) -> TestClient:  # noqa: ANN001
    return app.state.client


@pytest.fixture(scope="session")
def keys(app, world: World) -> dict[str, str]:  # noqa: ANN001
    engine = app.state.service.engine
    out = {
        "admin": create_key(engine, "admin")[0],
        "org_manager": create_key(engine, "org_manager", org_id=world.org_a)[0],
        "staff": create_key(engine, "staff", staff_id=world.staff_a)[0],
        "researcher": create_key(engine, "researcher")[0],
    }
    revoked = create_key(engine, "admin")[0]
    revoke_key(engine, revoked)
    out["revoked"] = revoked
    return out


@pytest.fixture
def private_world(world: World, tmp_path: Path) -> World:
    """A copy of the demo store (and models) that a test may change."""
    db = tmp_path / "learnmap.db"
    shutil.copy(world.db, db)
    models = tmp_path / "models"
    shutil.copytree(world.models, models)
    return World(**{**world.__dict__, "db": db, "models": models})
