"""The audit trail (issue 22, defect 7): reads of personal data and refusals leave a
row saying who, when, with what scope and whose data; ``learnmap audit`` shows and
exports it; CLI key changes name the operator."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from api.audit import entries


def _rows(app) -> list[dict]:  # noqa: ANN001
    app.state.service.audit.flush()
    return entries(app.state.service.engine, limit=100_000)


def test_reads_and_refusals_are_audited(app, client: TestClient, keys, world) -> None:  # noqa: ANN001
    staff_key = keys["staff"]
    assert (
        client.get(
            f"/v1/learners/{world.staff_a}/profile", headers={"X-API-Key": staff_key}
        ).status_code
        == 200
    )
    assert (
        client.get(
            f"/v1/learners/{world.staff_b}/profile", headers={"X-API-Key": staff_key}
        ).status_code
        == 403
    )
    assert client.get(f"/v1/learners/{world.staff_b}/learning-map").status_code == 401
    assert (
        client.get(
            f"/v1/organizations/{world.org_a}/staff", headers={"X-API-Key": keys["org_manager"]}
        ).status_code
        == 200
    )
    rows = _rows(app)
    key_id = staff_key.split("_")[1]
    read = next(r for r in rows if r["action"] == "read profile" and r["key_id"] == key_id)
    assert read["subject"] == world.staff_a and read["scope"] == f"staff:{world.staff_a}"
    assert read["role"] == "staff" and read["outcome"] == "ok" and read["at"] is not None
    refused = next(
        r for r in rows if r["action"].startswith("refused 403") and r["key_id"] == key_id
    )
    assert refused["subject"] == world.staff_b and "profile" in refused["action"]
    anon = next(r for r in rows if r["action"].startswith("refused 401"))
    assert anon["key_id"] is None and anon["subject"] == world.staff_b
    listed = next(r for r in rows if r["action"] == "read organization staff")
    assert listed["subject"] == world.org_a and listed["scope"] == f"org:{world.org_a}"


def test_learnmap_audit_exports_and_keys_name_the_operator(
    app,
    client: TestClient,
    keys,
    world,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    client.get(f"/v1/learners/{world.staff_a}/profile", headers={"X-API-Key": keys["admin"]})
    app.state.service.audit.flush()
    env = {**os.environ, "LEARNMAP_DATABASE_URL": f"sqlite:///{world.db}", "LEARNMAP_LANG": "zh-CN"}
    run = [sys.executable, "-c", "from engine.cli import main; raise SystemExit(main())"]
    made = subprocess.run([*run, "keys", "create", "--role", "researcher"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = tmp_path / "audit.csv"
    done = subprocess.run([*run, "audit", "--out", str(out)], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype=str)
    assert {"at", "key_id", "role", "scope", "operator", "action", "subject", "outcome"} <= set(
        frame.columns
    )
    assert ((frame["action"] == "read profile") & (frame["subject"] == world.staff_a)).any()
    created = frame[frame["action"] == "keys create"].iloc[-1]
    assert created["operator"] == getpass.getuser() and created["scope"] == "operator"
    shown = subprocess.run([*run, "audit", "--subject", world.staff_a], env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert shown.returncode == 0 and "查看个人档案" in shown.stdout  # "read profile" by its label
