"""The documents a clone carries: a LICENSE matching pyproject, a README that links
nothing outside the repository, and `learnmap --help` naming every environment
variable the README uses (issue 23)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_file_is_the_apache_2_text_pyproject_names() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert meta["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_readme_points_at_nothing_a_clone_lacks() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "../shared/" not in readme and "DESIGN.md" not in readme
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith(("http:", "https:", "mailto:")):
            assert (ROOT / target).exists(), target


def test_help_lists_every_environment_variable_the_readme_uses(capsys) -> None:  # noqa: ANN001
    import pytest

    from engine.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    used = set(re.findall(r"LEARNMAP_[A-Z_]+", (ROOT / "README.md").read_text("utf-8")))
    used -= {"LEARNMAP_TEST_POSTGRES_URL", "LEARNMAP_PROP_EXAMPLES"}  # test-suite knobs
    missing = sorted(v for v in used if v not in shown)
    assert not missing
