"""``learnmap keys create|revoke|list``: the key alone on the last line, usable at once;
only its hash stored; revocation takes effect."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import API_KEYS
from api.keys import KeyVerifier
from engine.cli import main
from engine.store import Store
from tests.api.conftest import World


def test_keys_create_list_revoke(private_world: World, monkeypatch, capsys) -> None:  # noqa: ANN001
    url = f"sqlite:///{private_world.db}"
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", url)
    assert main(["keys", "create", "--role", "org_manager", "--org", private_world.org_a]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("lm_") and " " not in key
    engine = Store(url).engine
    who = KeyVerifier(engine, ttl=0).verify(key)
    assert who is not None and (who.role, who.org_id) == ("org_manager", private_world.org_a)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(API_KEYS)).mappings().all()
    assert all(key.split("_", 2)[2] not in str(dict(r)) for r in stored)  # no secret stored
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert who.key_id in listing and key not in listing
    assert main(["keys", "revoke", who.key_id]) == 0
    assert KeyVerifier(engine, ttl=0).verify(key) is None
    assert main(["keys", "revoke", who.key_id]) == 2  # already revoked


def test_keys_create_checks_the_scope(private_world: World, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{private_world.db}")
    assert main(["keys", "create", "--role", "org_manager"]) == 2
    assert "--org" in capsys.readouterr().err
    assert main(["keys", "create", "--role", "staff", "--org", "X"]) == 2
