"""One person's answer from the command line imports only what it needs (issue 6,
item 11): ``learnmap profile`` and ``learnmap learning-map --out X.json`` run in a
fresh interpreter, against a real store, and must not load networkx, scikit-learn,
SciPy, matplotlib, the API stack or the models/experiments code — each of those
costs the process tens of milliseconds to start for nothing.  A behaviour test (which
modules are loaded), not a timing test; ``benchmarks/bench_imports.py`` measures the
time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.ingest import ingest
from engine.store import Store

AS_OF = "2026-06-30"

#: third-party packages no one-person command needs
HEAVY = (
    "networkx",
    "sklearn",
    "scipy",
    "matplotlib",
    "fastapi",
    "starlette",
    "uvicorn",
    "joblib",
    "implicit",
    "lenskit",
)
#: the upper layers' modules the CLI may load: each layer's commands (registered
#: through the ``learnmap.commands`` entry points) and what importing them needs
CLI_MODULES = {
    "api",
    "api.cli",
    "api.serve",  # the serve command's options (standard library only)
    "experiments",
    "experiments.cli",
    "models",
    "models.recommend",
    "models.recommend.cli",
    "models.risk",
    "models.risk.cli",
    "models.registry",
}

# run the command as the ``learnmap`` script does, then list the modules loaded
PROBE = """\
import json, sys
from engine.cli import main
code = main(sys.argv[1:])
mods = sorted(m for m in sys.modules if not m.startswith("_"))
print("MODULES " + json.dumps({"code": code, "modules": mods}))
"""


@pytest.fixture(scope="module")
def demo_store(
    tmp_path_factory: pytest.TempPathFactory, small_dir: Path, small_tables
) -> tuple[dict[str, str], str]:  # noqa: ANN001
    """The small demo ingested into SQLite; the environment pointing at it, and a
    person employed and assessed on the as-of date."""
    tmp = tmp_path_factory.mktemp("imports")
    url = f"sqlite:///{tmp / 'store.db'}"
    env = {**os.environ, "LEARNMAP_DATABASE_URL": url, "LEARNMAP_CACHE_DIR": str(tmp / "c")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARNMAP_CACHE_DIR", env["LEARNMAP_CACHE_DIR"])
        ingest(small_dir, Store(url))  # also prepares the one-person reads
    staff = small_tables["staff"]
    scored = set(small_tables["assessments"]["staff_id"])
    known = staff[(staff["hired_on"] <= pd.Timestamp(AS_OF)) & staff["staff_id"].isin(scored)]
    return env, str(known["staff_id"].iloc[0])


def _loaded(env: dict[str, str], *args: str) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=False
    )
    line = [x for x in run.stdout.splitlines() if x.startswith("MODULES ")]
    assert line, run.stderr
    out = json.loads(line[-1].removeprefix("MODULES "))
    assert out["code"] == 0, run.stderr
    return set(out["modules"])


def _unneeded(mods: set[str]) -> list[str]:
    heavy = [m for m in mods if m.split(".")[0] in HEAVY]
    upper = [
        m
        for m in mods
        if m.split(".")[0] in ("api", "models", "experiments") and m not in CLI_MODULES
    ]
    return sorted(heavy + upper)


def test_profile_loads_no_module_it_does_not_need(demo_store) -> None:  # noqa: ANN001
    env, sid = demo_store
    mods = _loaded(env, "profile", sid, "--as-of", AS_OF, "--json")
    assert "features.profile" in mods and "engine.store" in mods  # it did the work
    assert _unneeded(mods) == []
    assert "features.graph" not in mods  # the skill gaps come without the graph


def test_learning_map_json_needs_neither_networkx_nor_the_policies(demo_store, tmp_path) -> None:  # noqa: ANN001
    env, sid = demo_store
    out = tmp_path / "map.json"
    mods = _loaded(env, "learning-map", sid, "--as-of", AS_OF, "--out", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["graph"]["staff_id"] == sid
    assert _unneeded(mods) == []
    # the map needs no policy: pydantic (engine.policy) is not loaded either
    assert "engine.policy" not in mods and "pydantic" not in mods


def test_the_probe_sees_heavy_imports(demo_store, tmp_path) -> None:  # noqa: ANN001
    """The check above can fail: the PNG map does load matplotlib."""
    env, sid = demo_store
    out = tmp_path / "map.png"
    mods = _loaded(env, "learning-map", sid, "--as-of", AS_OF, "--out", str(out))
    assert "matplotlib" in {m.split(".")[0] for m in _unneeded(mods)}  # the map is drawn with it
