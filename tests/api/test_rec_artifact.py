"""Start-up loads the saved recommender instead of fitting, and only when it matches."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

import api.service as service_module
from api.app import create_app
from engine.store import Store
from models.recommend import artifacts as rec_artifacts
from tests.api.conftest import World, make_settings


def _start(w: World) -> tuple[object, list]:  # noqa: ANN001
    app = create_app(make_settings(w.db, w.models, warm=False, recommender="popularity"))
    with TestClient(app):
        assert app.state.service.wait_ready()  # starts in the background
        service = app.state.service
        recs = service.recs.model.recommend([w.staff_a], k=5)
    return service, recs


def test_second_start_loads_the_saved_recommender(
    private_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = private_world
    folder = rec_artifacts.folder_of("popularity", w.models)
    shutil.rmtree(folder, ignore_errors=True)
    service, first = _start(w)  # fits, then saves
    assert service.recommender_state == "fitted"
    assert (folder / "manifest.json").exists()

    def no_fitting(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("fitted although a matching artifact was saved")

    monkeypatch.setattr(service_module, "create", no_fitting)
    service, second = _start(w)
    assert service.recommender_state == "loaded"  # what /readyz says
    assert first.equals(second)


def test_changed_store_data_means_refit(private_world: World, monkeypatch) -> None:  # noqa: ANN001
    w = private_world
    _start(w)
    store = Store(f"sqlite:///{w.db}")
    with store.engine.begin() as con:  # an in-place correction: same rows, same dates
        con.exec_driver_sql(
            "UPDATE participations SET hours = hours + 1 WHERE rowid = "
            "(SELECT MIN(rowid) FROM participations WHERE status = 'completed')"
        )
    calls = []
    real = service_module.create

    def counting(name, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(name)
        return real(name, *a, **k)

    monkeypatch.setattr(service_module, "create", counting)
    _start(w)
    assert calls == ["popularity"]
