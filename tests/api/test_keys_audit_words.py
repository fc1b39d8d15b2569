"""Issue 23, finding 1: ``learnmap keys`` and ``learnmap audit`` printed English and
codes (``role org_manager``, ``operator root (-, operator)  keys create  ok``); now the
label catalogue's words — Chinese by default, English with ``--lang en`` — while the
key stays alone on the last line of ``keys create`` (scripts read it with
``tail -n 1``)."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from api import audit
from api.db import ensure_tables
from api.keys import KeyVerifier, Principal
from engine.cli import main
from engine.store import Store
from tests.api.conftest import World

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def url(private_world: World, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{private_world.db}"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", url)
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    return url


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _no_english(said: str, *codes: str) -> None:
    """Chinese, and no Latin word once ids (``ST0000001``, ``codes``), commands and HTTP
    requests are out."""
    assert CJK.search(said), said
    for code in sorted(codes, key=len, reverse=True):
        said = said.replace(code, "")
    said = re.sub(r"learnmap [a-z -]+|--[a-z-]+|\b(GET|POST) /\S*|\b[A-Z]+\d{3,}\b", "", said)
    left = re.findall(r"[A-Za-z]{2,}", said)
    assert not left, (left, said)


def _created(out: str, url: str) -> tuple[str, Principal]:
    """The key on the last line, alone, and whom it lets in."""
    key = out.splitlines()[-1]
    assert re.fullmatch(r"lm_[0-9a-f]+_\S+", key), out
    who = KeyVerifier(Store(url).engine, ttl=0).verify(key)
    assert who is not None
    return key, who


def test_keys_speak_the_chosen_language_and_keep_the_key_alone(
    url: str, private_world: World
) -> None:
    org = private_world.org_a
    code, out, _ = _run("keys", "create", "--role", "org_manager", "--org", org)
    key, who = _created(out, url)
    head = f"已创建密钥 {who.key_id}（角色：机构管理员，范围：机构 {org}）。密钥只显示这一次，请妥善保存："
    assert code == 0 and out.splitlines() == [head, key]
    code, out, _ = _run("keys", "create", "--role", "researcher", "--lang", "en")
    _, other = _created(out, url)
    assert out.splitlines()[0] == (
        f"created key {other.key_id} (role researcher, scope All); it is shown only once:"
    )

    code, listing, _ = _run("keys", "list")
    mine = next(line for line in listing.splitlines() if line.startswith(who.key_id))
    assert re.fullmatch(rf"{who.key_id} +机构管理员 +机构 {org} +有效", mine), mine
    assert key not in listing
    _no_english(listing, *re.findall(r"^\S+", listing, flags=re.M), org)
    code, listing, _ = _run("keys", "list", "--lang", "en")
    assert code == 0 and not CJK.search(listing) and "organization manager" in listing
    assert _run("keys", "--lang", "en", "list")[1] == listing  # before the action too

    code, out, _ = _run("keys", "revoke", who.key_id)
    assert code == 0 and out == f"已吊销密钥 {who.key_id}\n"
    code, listing, _ = _run("keys", "list")
    assert re.search(rf"^{who.key_id} .* \d{{4}}-\d\d-\d\d 已吊销$", listing, flags=re.M)
    code, _, err = _run("keys", "revoke", who.key_id)
    assert code == 2 and err == f"错误：没有有效的密钥 '{who.key_id}'\n"
    code, _, err = _run("keys", "revoke", who.key_id, "--lang", "en")
    assert code == 2 and err == f"error: no active key '{who.key_id}'\n"


def test_audit_lines_read_as_an_administrator_writes_them(url: str, private_world: World) -> None:
    engine = Store(url).engine
    ensure_tables(engine)
    reader = Principal("k1a2b3c4d5e6", "org_manager", org_id=private_world.org_a)
    staff = private_world.staff_a
    audit.record_now(engine, audit.Event(reader, "read profile", subject=staff))
    refused = audit.Event(reader, "refused 403 GET /v1/learners/X/profile", outcome="refused")
    audit.record_now(engine, refused)
    assert _run("keys", "create", "--role", "admin")[0] == 0

    code, out, _ = _run("audit", "--limit", "3")
    keys, read = out.splitlines()[0], out.splitlines()[-1]
    assert code == 0 and len(out.splitlines()) == 3
    assert re.fullmatch(r"\S+ \S+  操作员 \S+（-，本机操作）  创建密钥  成功", keys), keys
    org = f"机构 {private_world.org_a}"
    assert read.endswith(f"  k1a2b3c4d5e6（机构管理员，{org}）  查看个人档案，对象 {staff}  成功")
    assert "拒绝访问 403 GET /v1/learners/X/profile  已拒绝" in out
    _no_english(
        out, "k1a2b3c4d5e6", private_world.org_a, staff, *re.findall(r"操作员 (\S+)（", out)
    )
    code, out, _ = _run("audit", "--limit", "3", "--lang", "en")
    assert code == 0 and not CJK.search(out)
    assert "k1a2b3c4d5e6 (organization manager, organization " in out and "read profile" in out

    dest = private_world.db.parent / "audit.csv"
    code, out, _ = _run("audit", "--out", str(dest))
    assert code == 0 and re.fullmatch(rf"已导出 \d+ 条审计记录到 {re.escape(str(dest))}\n", out)
