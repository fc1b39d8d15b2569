"""`status` and `report` at scale (issue 12): pruned loads change nothing, outputs
follow the umask, no bars off a terminal, and targets that read sensibly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.outputs import write_table
from engine.policy import load_policy
from engine.store import Store
from features.compliance import compliance
from features.exports import with_people
from features.org import org_profiles, role_status
from features.report import programme_report
from features.report_files import KINDS
from features.snapshot import snapshot

AS_OF = "2026-06-30"


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_dir: Path) -> Path:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'f.db'}")
    assert main(["ingest", "--quiet", str(small_dir)]) == 0
    return tmp_path


@pytest.mark.parametrize("policy", ["national-2025", "credits"])
def test_pruned_load_gives_the_same_status_and_report(loaded: Path, policy: str) -> None:
    """The files of `status` and `report` equal what the builders give on every column
    of every table (the load before issue 12)."""
    pol = load_policy(policy)
    everything = Store().load()  # all tables, all columns, object dtypes
    snap = snapshot(everything, AS_OF)
    want = compliance(snap, pol)
    out = loaded / "status.csv"
    assert main(["status", "--as-of", AS_OF, "--policy", policy, "--out", str(out)]) == 0
    expected = loaded / "expected.csv"
    # the file lists the staff employed on the date, with display columns beside codes
    # and names beside the ids (features.exports.with_people)
    employed = want[want["employed"].to_numpy(dtype=bool)]
    named = with_people(employed, everything["staff"], everything["organizations"])
    write_table(named, expected, labels=True)
    assert out.read_text() == expected.read_text()

    rep_dir = loaded / "rep"
    assert main(["report", "--as-of", AS_OF, "--policy", policy, "--out", str(rep_dir)]) == 0
    tables = programme_report(snap, want, pol).tables()
    tables["organizations"] = org_profiles(snap, want, pol)
    tables["organizations_by_role"] = role_status(snap, want)
    for name, frame in tables.items():
        write_table(frame, expected, labels=True, kinds=KINDS.get(name))
        assert (rep_dir / f"{name}.csv").read_text() == expected.read_text(), name


def test_outputs_follow_the_umask(loaded: Path) -> None:
    """Every file `status` and `report` write (CSV, Parquet, PNG) gets 0666 & ~umask,
    not the 0600 of a bare temporary file."""
    old = os.umask(0o022)
    try:
        assert main(["status", "--as-of", AS_OF, "--out", str(loaded / "s.parquet")]) == 0
        assert main(["report", "--as-of", AS_OF, "--out", str(loaded / "rep")]) == 0
        os.umask(0o007)
        assert main(["status", "--as-of", AS_OF, "--out", str(loaded / "group.csv")]) == 0
    finally:
        os.umask(old)
    files = [loaded / "s.parquet", *sorted((loaded / "rep").iterdir())]
    assert {f.suffix for f in files} == {".parquet", ".csv", ".png", ".xlsx", ".docx"}
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f.name
    assert stat.S_IMODE((loaded / "group.csv").stat().st_mode) == 0o660
    assert not [p for p in (loaded / "rep").iterdir() if p.name.startswith(".")]  # no temp


def test_no_progress_bars_off_a_terminal(loaded: Path, small_dir: Path, capfd) -> None:  # noqa: ANN001
    """stderr is a pipe here: ingest, status and report print no bar."""
    capfd.readouterr()
    assert main(["ingest", str(small_dir)]) == 0
    assert main(["status", "--as-of", AS_OF, "--out", str(loaded / "s.csv")]) == 0
    assert main(["report", "--as-of", AS_OF, "--out", str(loaded / "rep")]) == 0
    err = capfd.readouterr().err
    assert err == ""


def test_report_targets_scaled_or_national(loaded: Path, capsys) -> None:  # noqa: ANN001
    """60 organizations: scaled targets are 60/2,300 of the plan's; as national totals
    the headline says so and never prints thousands of percent."""
    capsys.readouterr()
    assert main(["report", "--as-of", AS_OF, "--out", str(loaded / "rep"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "scaled to the 60 in this store" in out
    volume = pd.read_csv(loaded / "rep" / "volume.csv")
    assert set(volume["target"]) == {round(2000 * 60 / 2300), round(6500 * 60 / 2300)}

    preset = Path(__file__).parents[2] / "engine" / "policies" / "national-2025.toml"
    pol = loaded / "national.toml"
    text = preset.read_text("utf-8")
    assert 'scope = "scaled"' in text
    pol.write_text(text.replace('scope = "scaled"', 'scope = "national"'), encoding="utf-8")
    small = main(
        [
            "--lang",
            "en",
            "report",
            "--as-of",
            AS_OF,
            "--policy",
            str(pol),
            "--out",
            str(loaded / "n"),
        ]
    )
    assert small == 0
    out = capsys.readouterr().out
    assert "as national totals; this store holds 60 organizations" in out
    volume = pd.read_csv(loaded / "n" / "volume.csv")
    assert set(volume["target"]) == {2000, 6500}
    summary = pd.read_csv(loaded / "n" / "summary.csv").iloc[0]
    assert summary["target_scope"] == "national" and summary["target"] == 25_500


def test_report_before_anyone_was_hired(loaded: Path, capsys) -> None:  # noqa: ANN001
    """A date before the first hire is a report of nothing to do, not a crash or 'nan%'."""
    capsys.readouterr()
    assert main(["report", "--as-of", "2001-01-01", "--out", str(loaded / "early")]) == 0
    out = capsys.readouterr().out
    assert "无在职且有培训要求的人员" in out and "nan" not in out
    summary = pd.read_csv(loaded / "early" / "summary.csv").iloc[0]
    assert summary["staff"] == 0 and summary["remaining"] == 0
