"""The canonical tables: columns, types, keys, foreign keys and enumerations.

This module is the single definition of every table and column name the rest of
the code uses (see ``../shared/DESIGN.md``, "Canonical tables").  Input files may
use the English column names or the Chinese headers listed as each column's aliases
(matched after NFKC normalisation, ignoring case, whitespace, form markers such as a
leading ``*`` and a trailing note in brackets: ``*人员编号``, ``岗位（必填）``,
``入职日期(yyyy-mm-dd)``); enumeration values may be the English keys or the Chinese
labels of ``engine/synonyms.toml`` (``ENUM_COLUMNS``; users add their own, see
``engine.synonyms``).

Column kinds
------------
``id``      non-empty text, trimmed
``text``    non-empty text
``opt_text`` optional text
``ref``     id of a row in another table (``Column.ref``)
``opt_ref`` optional reference
``refs``    ``|``-separated list of references (may be empty)
``enum``    one value of ``Column.enum`` (``opt_enum``: may be empty)
``enums``   one or more values of ``Column.enum`` separated by ``|`` (or 、 ， ; ,)
``date``    a calendar date: ISO ``YYYY-MM-DD``; also as office software writes it —
            ``2025/1/5``, ``2025.01.05``, ``2025-1-5``, ``2025年1月5日``, ``20250105``,
            any of those followed by a time of day (``2025/1/5 0:00``, ``… 14:30:00``;
            the time is dropped), and Excel serial day numbers (``45662`` =
            2025-01-05, 1900 date system) between 1950 and 2099.  Month-first and
            day-first forms (``1/5/2025``) are rejected as ambiguous.
``opt_date`` optional date
``bool``    true/false, 1/0, yes/no, 是/否 (``[bool]`` of ``engine/synonyms.toml``)
``float``   number, with bounds ``lo``/``hi`` and open/closed ends
``opt_float`` optional number
``int``     whole number
``opt_int`` optional whole number
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORG_TYPES = ("social_group", "foundation", "social_service_org")
ROLES = (
    "head",
    "branch_manager",
    "spokesperson",
    "supervisor",
    "project_manager",
    "finance",
    "membership",
    "hr",
    "party_worker",
    "other",
)
MODES = ("offline", "online", "live", "blended")
TIERS = ("foundation", "elective")
PARTICIPATION_STATUSES = ("enrolled", "completed", "dropped", "no_show")
OUTCOME_KINDS = ("satisfaction", "pre", "post", "followup")
METHODS = ("lecture", "heuristic", "participatory", "case")

#: Modes counted as the plan's offline volume; the rest are online (video, live).
OFFLINE_MODES = ("offline", "blended")
ONLINE_MODES = ("online", "live")

#: Enumerated columns → their allowed keys.  Labels accepted for each (会长 → head, 已结业
#: → completed, …) live in the data file ``engine/synonyms.toml`` (see ``engine.synonyms``),
#: which users extend through ``LEARNMAP_SYNONYMS``; sections there are named as here.
ENUM_COLUMNS: dict[str, tuple[str, ...]] = {
    "role": ROLES,
    "org_type": ORG_TYPES,
    "mode": MODES,
    "tier": TIERS,
    "status": PARTICIPATION_STATUSES,
    "kind": OUTCOME_KINDS,
    "method": METHODS,
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    kind: str
    ref: str | None = None  # "table.column" for ref kinds
    enum: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    required: bool = True  # column must be present in the file
    aliases: tuple[str, ...] = ()

    @property
    def optional_value(self) -> bool:
        return self.kind.startswith("opt_") or self.kind == "refs"


@dataclass(frozen=True)
class Table:
    """A canonical table: ordered columns, primary key and row-level checks."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _c(name: str, kind: str, *aliases: str, **kw: object) -> Column:
    return Column(name, kind, aliases=aliases, **kw)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "organizations",
            (
                _c("org_id", "id", "机构编号", "组织编号", "机构代码", "统一社会信用代码"),
                _c("name", "text", "名称", "机构名称", "组织名称"),
                _c("org_type", "enum", "类型", "机构类型", "组织类型", enum=ORG_TYPES),
                _c("region", "text", "地区", "所在地", "省份", "区域"),
                _c("ministry_managed", "bool", "部管", "是否部管"),
                _c("rating", "opt_float", "评估等级", "等级", "评级", lo=0, hi=5),
            ),
            key=("org_id",),
            aliases=(
                "机构",
                "组织",
                "社会组织",
                "社会组织名录",
                "机构名录",
                "组织名录",
                "机构信息",
            ),
        ),
        Table(
            "staff",
            (
                _c(
                    "staff_id",
                    "id",
                    "人员编号",
                    "工号",
                    "学员编号",
                    "员工编号",
                    "职工编号",
                    "人员id",
                ),
                _c(
                    "org_id",
                    "ref",
                    "机构编号",
                    "组织编号",
                    "单位编号",
                    "所属机构编号",
                    ref="organizations.org_id",
                ),
                _c("role", "enums", "岗位", "角色", "职务", "岗位类别", "职位", enum=ROLES),
                _c("hired_on", "date", "入职日期", "任职日期", "入职时间", "到岗日期"),
                _c("left_on", "opt_date", "离职日期", "离职时间"),
                _c("name", "opt_text", "姓名", required=False),
                _c("gender", "opt_text", "性别", required=False),
            ),
            key=("staff_id",),
            aliases=(
                "人员",
                "学员",
                "从业人员",
                "人员名册",
                "花名册",
                "学员名册",
                "从业人员名册",
                "人员信息",
            ),
        ),
        Table(
            "skills",
            (
                _c("skill_id", "id", "能力编号", "技能编号"),
                _c("name", "text", "名称", "能力名称", "技能名称"),
                _c("parent_id", "opt_ref", "上级编号", "上级能力", ref="skills.skill_id"),
            ),
            key=("skill_id",),
            aliases=("能力", "技能", "能力目录", "能力体系"),
        ),
        Table(
            "modules",
            (
                _c("module_id", "id", "课程编号", "模块编号"),
                _c("title", "text", "课程名称", "名称", "标题"),
                _c("mode", "enum", "形式", "培训形式", "方式", enum=MODES),
                _c("hours", "float", "学时", lo=0, lo_open=True),
                _c("tier", "enum", "层级", "课程类别", "类别", enum=TIERS),
                _c("prerequisites", "refs", "先修课程", "前置课程", ref="modules.module_id"),
                _c("method", "opt_enum", "教学方法", required=False, enum=METHODS),
                _c("credits", "opt_float", "学分", required=False, lo=0),
                # availability of a self-paced module (features.offerings); empty = open
                _c("offered_from", "opt_date", "上线日期", "开放日期", required=False),
                _c("offered_to", "opt_date", "下线日期", "停用日期", "截止日期", required=False),
            ),
            key=("module_id",),
            aliases=("课程", "模块", "课程目录", "课程清单", "课程信息"),
        ),
        Table(
            "module_skills",
            (
                _c("module_id", "ref", "课程编号", ref="modules.module_id"),
                _c("skill_id", "ref", "能力编号", "技能编号", ref="skills.skill_id"),
                _c("weight", "float", "权重", lo=0, hi=1, lo_open=True),
            ),
            key=("module_id", "skill_id"),
            aliases=("课程能力", "课程能力对应"),
        ),
        Table(
            "role_requirements",
            (
                _c("role", "enum", "岗位", "角色", enum=ROLES),
                _c("skill_id", "ref", "能力编号", "技能编号", ref="skills.skill_id"),
                _c("level", "float", "目标水平", "要求水平", lo=0, hi=1, lo_open=True),
            ),
            key=("role", "skill_id"),
            aliases=("岗位要求", "岗位能力要求"),
        ),
        Table(
            "sessions",
            (
                _c("session_id", "id", "班次编号", "期次编号"),
                _c("module_id", "ref", "课程编号", ref="modules.module_id"),
                _c("starts_on", "date", "开始日期", "开班日期"),
                _c("ends_on", "date", "结束日期", "结业日期"),
                _c("capacity", "opt_int", "名额", "容量", lo=1),
                _c("region", "opt_text", "地点", "举办地", required=False),
                # the day enrolment opens (features.offerings); empty = starts_on
                _c("enrol_from", "opt_date", "报名开始日期", "报名开始", required=False),
            ),
            key=("session_id",),
            aliases=("班次", "期次", "班次安排", "培训班次"),
        ),
        Table(
            "participations",
            (
                _c("participation_id", "id", "参训编号", "记录编号"),
                _c("staff_id", "ref", "人员编号", "学员编号", ref="staff.staff_id"),
                _c("module_id", "ref", "课程编号", ref="modules.module_id"),
                _c("session_id", "opt_ref", "班次编号", ref="sessions.session_id"),
                _c("enrolled_on", "date", "报名日期", "报名时间"),
                _c("completed_on", "opt_date", "完成日期", "结业日期", "完成时间", "结业时间"),
                _c(
                    "status",
                    "enum",
                    "状态",
                    "参训状态",
                    "学习状态",
                    "培训状态",
                    "完成情况",
                    enum=PARTICIPATION_STATUSES,
                ),
                _c("hours", "float", "学时", "学时数", "获得学时", "培训学时", lo=0),
            ),
            key=("participation_id",),
            aliases=("参训", "参训记录", "参训情况"),
        ),
        Table(
            "assessments",
            (
                _c("assessment_id", "id", "考核编号", "成绩编号"),
                _c("staff_id", "ref", "人员编号", "学员编号", ref="staff.staff_id"),
                _c("module_id", "ref", "课程编号", ref="modules.module_id"),
                _c("taken_on", "date", "考核日期", "考试日期"),
                _c("score", "float", "成绩", "分数", "考试成绩", "考核成绩", lo=0, hi=100),
            ),
            key=("assessment_id",),
            aliases=("考核", "成绩", "考核成绩", "成绩单"),
        ),
        Table(
            "outcomes",
            (
                _c("outcome_id", "id", "评估编号"),
                _c("staff_id", "ref", "人员编号", "学员编号", ref="staff.staff_id"),
                _c("module_id", "ref", "课程编号", ref="modules.module_id"),
                _c("measured_on", "date", "评估日期", "测量日期"),
                _c("kind", "enum", "类型", "评估类型", enum=OUTCOME_KINDS),
                _c("value", "float", "分值", "得分", lo=0, hi=100),
            ),
            key=("outcome_id",),
            aliases=("效果评估", "评估", "培训效果评估"),
        ),
        # xAPI identity and activity maps (engine/xapi): which learnmap person an
        # account on a learning platform is, and which module an activity IRI is.
        Table(
            "accounts",
            (
                _c("home_page", "text", "平台地址", "平台主页", "homepage"),
                _c("name", "text", "账号", "平台账号", "用户名", "account"),
                _c("staff_id", "ref", "人员编号", "学员编号", ref="staff.staff_id"),
            ),
            key=("home_page", "name"),
            aliases=("平台账号", "账号映射"),
        ),
        Table(
            "activities",
            (
                _c("activity_id", "id", "活动标识", "课程标识", "activity iri"),
                _c("module_id", "ref", "课程编号", ref="modules.module_id"),
            ),
            key=("activity_id",),
            aliases=("平台课程", "课程映射"),
        ),
    )
}

#: Tables in an order where every foreign key points at an earlier table: the ten of a
#: dataset (``DATASET_TABLES``, what ``demo-data`` writes), then the xAPI maps
#: (``accounts``, ``activities``; optional in a dataset).
TABLE_ORDER: tuple[str, ...] = (
    "organizations",
    "staff",
    "skills",
    "modules",
    "module_skills",
    "role_requirements",
    "sessions",
    "participations",
    "assessments",
    "outcomes",
    "accounts",
    "activities",
)
DATASET_TABLES: tuple[str, ...] = TABLE_ORDER[:10]

#: Sheet or file name (English or Chinese) → table name.
TABLE_ALIASES: dict[str, str] = {
    alias: t.name for t in TABLES.values() for alias in (t.name, *t.aliases)
}


def resolve_table(name: str) -> str | None:
    """Map a file stem or sheet name to a canonical table name (or None)."""
    return TABLE_ALIASES.get(name.strip().lower()) or TABLE_ALIASES.get(name.strip())
