"""Bad input on the command line: a clear message naming what is wrong, exit status 2,
no traceback, nothing written (findings of a fresh-clone new-user trial)."""

from __future__ import annotations

import contextlib
import io
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import EXAMPLES, build_parser, main
from engine.store import Store

AS_OF = "2026-06-30"


@pytest.fixture
def on_store(small_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{small_db}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    return small_db


def _err(argv: list[str]) -> tuple[int, str]:
    """Exit status and stderr of ``learnmap ARGV`` (argparse's own refusals included)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue()


# ---- 4: the oracle is for experiments only ----------------------------------------
def test_recommend_refuses_the_oracle_and_does_not_offer_it(
    on_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNMAP_LANG", "en")  # Chinese: tests/models/test_recommend_cli_words
    code, err = _err(["recommend", "ST0000001", "--as-of", AS_OF, "--model", "oracle"])
    assert code == 2 and "ground truth" in err and "experiment" in err
    assert "Traceback" not in err
    code, err = _err(["recommend", "ST0000001", "--as-of", AS_OF, "--model", "nope"])
    assert code == 2 and "'nope'" in err
    offered = err.split("choose one of", 1)[1]
    assert "hybrid" in offered and "oracle" not in offered


# ---- 6: demo-data options -----------------------------------------------------------
def _not_a_positive_int(text: str) -> bool:
    try:
        return int(text) < 1
    except ValueError:
        return True


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    orgs=st.one_of(
        st.integers(max_value=0).map(str),
        st.text(max_size=12).filter(lambda t: "\x00" not in t).filter(_not_a_positive_int),
    )
)
def test_demo_data_orgs_must_be_a_positive_count(orgs: str, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, err = _err(["demo-data", "--out", str(out), f"--orgs={orgs}", "-q"])
    assert code == 2 and "--orgs" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("dates", "named"),
    [
        (["--start", "2027-01-01", "--end", "2026-01-01"], "--end 2026-01-01"),
        (["--start", "2028-01-01"], "--end（默认值） 2027-12-31"),
    ],
)
def test_demo_data_period_must_not_end_before_it_starts(
    dates: list[str], named: str, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    code, err = _err(["demo-data", "--out", str(out), "--orgs", "3", "-q", *dates])
    assert code == 2 and "--start" in err and named in err and "Traceback" not in err
    assert not out.exists()


# ---- 7: scoped API keys only for ids the store has ----------------------------------
def _keys(db: Path) -> int:
    with Store(f"sqlite:///{db}").engine.connect() as conn:
        if not sa.inspect(conn).has_table("api_keys"):
            return 0
        return int(conn.execute(sa.text("SELECT count(*) FROM api_keys")).scalar_one())


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--role", "staff", "--staff", "NOPE"], "库中没有人员 'NOPE'（staff）"),
        (["--role", "org_manager", "--org", "NOPE"], "库中没有机构 'NOPE'（organizations）"),
    ],
)
def test_keys_for_unknown_ids_are_refused(on_store: Path, argv: list[str], words: str) -> None:
    before = _keys(on_store)
    code, err = _err(["keys", "create", *argv])
    assert code == 2 and words in err and "请先导入" in err
    assert _keys(on_store) == before  # nothing created


def test_keys_for_a_known_person_are_created(on_store: Path) -> None:
    before = _keys(on_store)
    assert _err(["keys", "create", "--role", "staff", "--staff", "ST0000001"])[0] == 0
    assert _keys(on_store) == before + 1


def test_keys_for_an_id_on_a_missing_store_create_no_store(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    db = tmp_path / "none.db"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{db}")
    code, err = _err(["keys", "create", "--role", "staff", "--staff", "ST0000001"])
    assert code == 2 and "learnmap ingest" in err and not db.exists()


# ---- 13: every bad-input path exits 2 -----------------------------------------------
def test_unsupported_output_is_refused_before_any_work(on_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.txt"
    for argv in (
        ["recommend", "--all", "--as-of", AS_OF, "--out", str(out), "-q"],
        ["risk", "--as-of", AS_OF, "--out", str(out)],
        ["allocate", "--from", "2026-07-01", "--to", "2026-09-30", "--out", str(out)],
    ):
        code, err = _err(argv)
        assert code == 2 and "x.txt" in err and ".xlsx" in err, argv
        assert not out.exists()


def test_import_oulad_of_a_missing_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, err = _err(["import", "oulad", str(tmp_path / "NODIR"), "--out", str(out)])
    assert code == 2 and "NODIR" in err and "not a directory" in err
    assert not out.exists()


def test_train_on_a_missing_store_writes_no_file(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    db = tmp_path / "empty.db"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    for argv in (
        ["train", "--as-of", AS_OF],
        ["recommend", "ST0000001", "--as-of", AS_OF],
        [
            "allocate",
            "--from",
            "2026-07-01",
            "--to",
            "2026-09-30",
            "--out",
            str(tmp_path / "a.csv"),
        ],
        ["profile", "ST0000001", "--as-of", AS_OF],
        ["status", "--as-of", AS_OF, "--out", str(tmp_path / "s.csv")],
        ["learning-map", "ST0000001", "--as-of", AS_OF, "--out", str(tmp_path / "m.json")],
        ["report", "--as-of", AS_OF, "--out", str(tmp_path / "rep")],
    ):
        code, err = _err(argv)
        assert code == 2 and "learnmap ingest" in err, argv
    assert not db.exists() and not (tmp_path / "models").exists()


def test_train_on_an_empty_store_exits_2(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    db = tmp_path / "empty.db"
    Store(f"sqlite:///{db}").create()
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    code, err = _err(["train", "--as-of", AS_OF])
    assert code == 2 and "the store is empty" in err


def test_an_unreachable_store_is_not_called_bad_input(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", "nosuchdialect://x/y")
    code, err = _err(["db", "info"])
    assert code == 1 and "cannot open database" in err


# ---- 14: -q on import oulad -------------------------------------------------------
def test_import_oulad_accepts_quiet(tmp_path: Path) -> None:
    code, err = _err(
        ["import", "oulad", str(tmp_path / "NODIR"), "--out", str(tmp_path / "o"), "-q"]
    )
    assert "unrecognized arguments" not in err
    assert code == 2 and "not a directory" in err


# ---- 15: the help shows an example of every command ---------------------------------
def test_help_has_a_working_example_of_every_command() -> None:
    parser = build_parser()
    shown = set()
    for line in EXAMPLES.splitlines():
        line = line.strip()
        if line.startswith("learnmap "):
            argv = shlex.split(line.split("  #")[0])[1:]
            parser.parse_args(argv)  # every example is a valid command line
            shown.add(argv[0])
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) <= shown, set(commands) - shown


# ---- 17: a closed pipe ends quietly ------------------------------------------------
def test_output_into_a_closed_pipe_ends_without_a_traceback() -> None:
    # the reader is gone before the command writes (`learnmap ... | head` after head
    # has read its lines): Python start-up alone takes far longer than closing
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "policy", "show", "national-2025"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err
