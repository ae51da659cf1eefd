"""/readyz reports the real state of catalog, rules and model (issue 13, defect 3)."""

from __future__ import annotations

import json

from service.api.app import create_app


def _app(data_copy, model_dir):
    return create_app(
        {
            "TESTING": True,
            "REDIS_URL": None,
            "RELOAD_INTERVAL": 0,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "MODEL_DIR": str(model_dir),
        }
    )


def test_readyz_shows_a_refused_model_artefact(data_copy, tmp_path):
    store = tmp_path / "models"
    artefact = store / "versions" / "v-broken"
    artefact.mkdir(parents=True)
    (artefact / "metadata.json").write_text(json.dumps({"format": "not-ours"}))
    (store / "current").write_text("v-broken")
    response = _app(data_copy, store).test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200  # the transparent score still answers
    model = body["checks"]["model"]
    assert model["ok"] is False
    assert "not-ours" in model["error"]
    assert model["ranking"] == "transparent score"
    assert body["checks"]["catalog"]["ok"] is True
    assert body["checks"]["rules"]["ok"] is True


def test_readyz_shows_which_files_a_refused_reload_left_behind(data_copy, tmp_path):
    app = _app(data_copy, tmp_path / "none")
    client = app.test_client()
    assert client.get("/readyz").get_json()["checks"]["model"]["ok"] is True
    broken = data_copy.rules / "merchandising" / "broken.yaml"
    broken.write_text("rules: [ {id: x", encoding="utf-8")
    assert client.post("/v1/admin/reload").status_code == 422
    response = client.get("/readyz")
    checks = response.get_json()["checks"]
    assert response.status_code == 200  # the last good set keeps serving
    assert checks["rules"]["ok"] is False
    assert checks["rules"]["refused_files"] == [str(broken)]
    assert checks["catalog"]["ok"] is True
    broken.unlink()
    assert client.post("/v1/admin/reload").status_code == 200
    assert client.get("/readyz").get_json()["checks"]["rules"]["ok"] is True
