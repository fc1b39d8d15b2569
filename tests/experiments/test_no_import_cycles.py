"""experiments/ reads one way: no module imports, even lazily inside a function, a
module that imports it back (issue 20 item 6: runner ↔ report / oulad / plots)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path, package: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith(package + ".")}
    return out


def test_experiments_has_no_import_cycle() -> None:
    g = nx.DiGraph()
    for path in sorted((ROOT / "experiments").glob("*.py")):
        name = "experiments" if path.stem == "__init__" else f"experiments.{path.stem}"
        g.add_node(name)
        for target in _imports(path, "experiments"):
            if target != "experiments":  # the package itself (its __init__ imports lazily)
                g.add_edge(name, target)
    cycles = list(nx.simple_cycles(g))
    assert not cycles, f"import cycles in experiments/: {cycles}"
    # and the recommend task reads split → recommend → measure: it needs no runner or report
    assert not {"experiments.runner", "experiments.report"} & set(
        g.successors("experiments.recommend_task")
    )
