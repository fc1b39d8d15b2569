"""The label catalogue: both languages complete, every code and column people see
labelled, every message used in the code present, display frames that keep codes."""

from __future__ import annotations

import ast
import re
import string
import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import labels
from engine.errors import LearnmapError
from engine.labels import column, display_frame, get_lang, label, label_many, parse_label, text
from engine.schema import ENUM_COLUMNS, TABLES
from features.periods import STATUSES

ROOT = Path(__file__).resolve().parents[2]
KIND_OF_SCHEMA = {"status": "participation_status", "kind": "outcome_kind"}


def _raw(lang: str) -> dict:
    return tomllib.loads(resources.files("engine.labels").joinpath(f"{lang}.toml").read_text())


def _keys(tree: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in tree.items():
        out |= _keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
    return out


def _fields(msg: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(msg) if f}


def test_both_languages_have_the_same_keys() -> None:
    zh, en = _raw("zh-CN"), _raw("en")
    assert _keys(zh) == _keys(en)


def test_messages_take_the_same_fields_in_both_languages() -> None:
    zh, en = _raw("zh-CN")["text"], _raw("en")["text"]
    for key in zh:
        assert _fields(zh[key]) == _fields(en[key]), key
    for pat in _raw("zh-CN")["column_pattern"]:
        zh_p, en_p = _raw("zh-CN")["column_pattern"][pat], _raw("en")["column_pattern"][pat]
        assert _fields(zh_p) == _fields(en_p), pat


@pytest.mark.parametrize("col", sorted(ENUM_COLUMNS))
def test_every_schema_enumeration_value_has_a_chinese_label(col: str) -> None:
    kind = KIND_OF_SCHEMA.get(col, col)
    for code in ENUM_COLUMNS[col]:
        zh, en = label(kind, code, "zh-CN"), label(kind, code, "en")
        assert zh != code and en != code, (kind, code)
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search("[A-Za-z_]", zh), zh


def test_compliance_statuses_read_as_an_administrator_writes_them() -> None:
    assert [label("status", s) for s in STATUSES] == ["达标", "进度正常", "有风险", "逾期"]
    assert label("status", "none") == "无要求"
    assert label("role", "branch_manager") == "分支机构负责人"
    assert label("org_type", "social_service_org") == "社会服务机构"
    assert label("unit", "person-times") == "人次"


def test_chinese_enum_labels_contain_no_codes() -> None:
    for kind, values in _raw("zh-CN")["enum"].items():
        for code, text_ in values.items():
            assert not re.search(r"[a-z]_[a-z]", text_), (kind, code, text_)


def test_unknown_code_and_column_show_themselves() -> None:
    assert label("role", "astronaut") == "astronaut"
    assert label("no-such-kind", "x") == "x"
    assert column("my_extra_column") == "my_extra_column"


def test_canonical_columns_all_have_headers_in_both_languages() -> None:
    for table in TABLES.values():
        for col in table.columns:
            for lang in labels.LANGS:
                assert column(col.name, lang) != col.name, (table.name, col.name, lang)


OUTPUT_COLUMNS = (
    # status (features.compliance), report (features.report, features.org)
    "staff_id org_id role employed policy required done remaining deadline status "
    "employed_fraction done_offline done_online leader hours_2025 qualified_2025 "
    "credits_2024 carried_in cycle_required cycle_done cycle_status "
    "scope unit staff share_met share_on_track share_at_risk share_overdue share_trained "
    "person_times target share_of_target target_scope organizations target_factor year mode "
    "n_staff staff_head staff_party_worker n_owing share_behind unqualified_share "
    "unit_rule_flag unit_rule_year pt_offline_2026 pt_online_2025 unit_rule_2026_provisional "
    # risk, recommend, allocate
    "p_miss expected_shortfall drivers forecast_vs_status expected_missing p_unit_rule rank reason owing "
    "orgs expected_orgs_unit_rule expected_missing_share module_id score session_id weight "
    # learner profile
    "person_times_offline hours_window hours_12m credits_window credits_available "
    "days_since_last long_untrained enrolments completions drops no_shows completion_rate "
    "score_mean score_trend n_scores mastery_required required_coverage required_skills "
    "required_assessed gain_post_pre "
    "gain_followup satisfaction_mean"
).split()


@pytest.mark.parametrize("lang", labels.LANGS)
def test_output_columns_all_have_headers(lang: str) -> None:
    missing = [c for c in OUTPUT_COLUMNS if column(c, lang) == c]
    assert not missing
    zh = [column(c, "zh-CN") for c in OUTPUT_COLUMNS]
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in zh)


def test_column_patterns_use_labels_for_years_roles_and_statuses() -> None:
    assert column("hours_2025") == "2025年学时"
    assert column("staff_branch_manager") == "分支机构负责人人数"
    assert column("share_at_risk") == "有风险占比"
    assert column("qualified_2024", "en") == "Qualified 2024"
    assert column("staff_astronaut") == "staff_astronaut"  # not a role: left alone


def _text_keys_used() -> set[tuple[str, str]]:
    """``(file, key)`` of every ``text("key", …)`` call on the catalogue: names imported
    from ``engine.labels`` (``text``, ``text as _t``) and ``<module>.text`` where the
    module is ``engine.labels`` imported under any name."""
    found = set()
    for layer in ("engine", "features", "models", "api", "experiments"):
        for path in (ROOT / layer).rglob("*.py"):
            found |= {(str(path.relative_to(ROOT)), k) for k in _keys_in(path)}
    return found


def _keys_in(path: Path) -> set[str]:
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    funcs, mods = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "engine.labels":
            funcs |= {a.asname or a.name for a in node.names if a.name == "text"}
        elif isinstance(node, ast.ImportFrom) and node.module == "engine":
            mods |= {a.asname or a.name for a in node.names if a.name == "labels"}
        elif isinstance(node, ast.Import):
            mods |= {a.asname for a in node.names if a.name == "engine.labels"}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f, arg = node.func, node.args[0]
        ours = (isinstance(f, ast.Name) and f.id in funcs) or (
            isinstance(f, ast.Attribute)
            and f.attr == "text"
            and isinstance(f.value, ast.Name)
            and f.value.id in mods
        )
        if ours and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.add(arg.value)
    return found


def test_the_key_scanner_finds_calls(tmp_path: Path) -> None:
    src = tmp_path / "x.py"
    src.write_text(
        "from engine.labels import text as _t\nfrom engine import labels as L\n"
        "from sqlalchemy import text\n_t('a_key', n=1)\nL.text('b_key')\ntext('SELECT 1')\n"
    )
    assert _keys_in(src) == {"a_key", "b_key"}


def test_every_message_key_used_in_the_code_exists_in_both_languages() -> None:
    for lang in labels.LANGS:
        have = labels.text_keys(lang)
        missing = [(p, k) for p, k in _text_keys_used() if k not in have]
        assert not missing, (lang, missing)


def test_missing_message_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        text("no_such_message")


def test_language_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    assert get_lang() == "zh-CN"
    for given_, want in (("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("zh_cn", "zh-CN"), ("en", "en")):
        assert get_lang(given_) == want
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    assert get_lang() == "en" and label("status", "met") == "Met"
    assert get_lang("zh") == "zh-CN"  # an explicit choice beats the environment
    with pytest.raises(LearnmapError, match="'fr'"):
        get_lang("fr")
    monkeypatch.setenv("LEARNMAP_LANG", "klingon")
    with pytest.raises(LearnmapError, match="LEARNMAP_LANG='klingon'"):
        get_lang()


def test_several_roles_in_one_cell() -> None:
    assert label_many("role", "head|supervisor") == "负责人、监事"
    assert label_many("role", "head|supervisor", "en") == "Head of organization, Supervisor"


def test_parse_label_reads_codes_and_labels_in_either_language() -> None:
    assert parse_label("region", "Hainan") == "海南"
    assert parse_label("region", "海南") == "海南"
    assert parse_label("status", "达标") == "met"
    assert parse_label("region", "Atlantis") is None


def test_display_frame_for_spreadsheets_keeps_codes_beside_labels() -> None:
    df = pd.DataFrame(
        {
            "staff_id": ["S1", "S2"],
            "role": ["head|hr", "other"],
            "employed": [True, False],
            "status": ["met", None],
            "done": [3, 0],
        }
    )
    out = display_frame(df)
    assert list(out.columns) == [
        "人员编号",
        "岗位（代码）",
        "岗位",
        "在职",
        "状态（代码）",
        "状态",
        "已完成",
    ]
    assert out["岗位"].tolist() == ["负责人、人力资源", "其他人员"]
    assert out["岗位（代码）"].tolist() == ["head|hr", "other"]
    assert out["在职"].tolist() == ["是", "否"]
    assert out["状态"].iloc[0] == "达标" and pd.isna(out["状态"].iloc[1])
    short = display_frame(df, keep_codes=False)
    assert list(short.columns) == ["人员编号", "岗位", "在职", "状态", "已完成"]
    machine = display_frame(df, rename=False)
    assert list(machine.columns) == [
        "staff_id", "role", "role_label", "employed", "status", "status_label", "done",
    ]  # fmt: skip
    assert machine["employed"].tolist() == [True, False]  # machine columns untouched


def test_display_frame_kind_override_for_participation_status() -> None:
    df = pd.DataFrame({"status": ["no_show"], "mode": ["all"]})
    out = display_frame(df, kinds={"status": "participation_status", "mode": "volume_mode"})
    assert out["状态"].tolist() == ["未参加"] and out["培训形式"].tolist() == ["合计"]


def test_display_frame_keeps_colliding_headers_apart() -> None:
    out = display_frame(pd.DataFrame({"title": ["a"], "module_title": ["b"]}))
    assert len(set(out.columns)) == 2


_codes = st.sampled_from(["head", "met", "foundation", "海南", "x", "", "on_track"])


@settings(max_examples=60, deadline=None)
@given(
    cols=st.lists(
        st.sampled_from(sorted(labels.ENUM_OF_COLUMN) + ["staff_id", "done", "foo", "hours_2025"]),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    rows=st.integers(0, 4),
    data=st.data(),
    lang=st.sampled_from(["zh", "en"]),
)
def test_display_frame_properties(cols: list[str], rows: int, data, lang: str) -> None:  # noqa: ANN001
    df = pd.DataFrame({c: data.draw(st.lists(_codes, min_size=rows, max_size=rows)) for c in cols})
    for keep in (True, False):
        out = display_frame(df, lang, keep_codes=keep)
        assert len(out) == len(df) and out.columns.is_unique
        if keep:  # every code survives in its own column
            n_enum = sum(c in labels.ENUM_OF_COLUMN for c in cols)
            assert out.shape[1] == len(cols) + n_enum
    machine = display_frame(df, lang, rename=False)
    pd.testing.assert_frame_equal(machine[cols], df)
