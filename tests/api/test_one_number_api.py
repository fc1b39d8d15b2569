"""Issue 23, "one population, one number": the API counts the people the CLI counts —
the programme report's headline equals ``learnmap report``'s summary, an
organization's staff list holds the rows ``learnmap status --org`` writes with the same
status each, and the organization's risk counts the same staff as ``learnmap risk``."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from engine.cli import main
from tests.api.conftest import AS_OF, World

DAY = AS_OF.isoformat()


def _cli(world: World, monkeypatch, *argv: str) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{world.db}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(world.models))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv, "--as-of", DAY, "-q"]) == 0, argv


def test_api_and_cli_count_the_same_people(
    client: TestClient, keys: dict, world: World, monkeypatch, tmp_path: Path
) -> None:  # noqa: ANN001
    h = {"X-API-Key": keys["admin"]}
    _cli(world, monkeypatch, "report", "--out", str(tmp_path / "rep"))
    cli = pd.read_csv(tmp_path / "rep" / "summary.csv").iloc[0]
    api = client.get(f"/v1/reports/programme?as_of={DAY}", headers=h).json()["summary"]
    for key in ("n_employed", "owing", "not_owing", "left", "n_met", "n_on_track", "n_at_risk"):
        assert api[key] == int(cli[key]), key
    _cli(world, monkeypatch, "status", "--out", str(tmp_path / "s.csv"))
    status = pd.read_csv(tmp_path / "s.csv")
    assert len(status) == api["n_employed"]
    _cli(world, monkeypatch, "risk", "--level", "org", "--out", str(tmp_path / "o.csv"))
    orgs = pd.read_csv(tmp_path / "o.csv").set_index("org_id")
    for org in (world.org_a, world.org_b):
        mine = status[status["org_id"] == org].set_index("staff_id")["status"].sort_index()
        page = client.get(f"/v1/organizations/{org}/staff?as_of={DAY}&limit=1000", headers=h).json()
        served = pd.Series({r["staff_id"]: r["status"] for r in page["data"] if r["employed"]})
        assert served.sort_index().to_dict() == mine.to_dict(), org
        risk = client.get(f"/v1/organizations/{org}/risk?as_of={DAY}", headers=h).json()
        assert risk["organization"]["staff"] == len(mine) == int(orgs.loc[org, "staff"])
        assert risk["organization"]["owing"] == int(orgs.loc[org, "owing"])
