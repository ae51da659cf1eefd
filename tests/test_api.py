"""Every endpoint of the contract, and every error code, through the Flask test client."""

from __future__ import annotations

import pytest

from service.api.app import create_app

FLAGSHIP = "XF-D3K2-TAB"


def post(client, path, body):
    return client.post(path, json=body)


# ---------------------------------------------------------------- POST /v1/recommendations
def test_recommendations_answer_the_contract_shape(client):
    # a profile with a need (NL 70+: 20 µg vitamin D); since issue 10 a list shows no fillers
    response = post(client, "/v1/recommendations", {"profile": {"age": 72}})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"items", "intake", "notices", "versions"}
    assert set(body["versions"]) == {"catalog", "rules", "model"}
    assert 1 <= len(body["items"]) <= 5
    for item in body["items"]:
        assert set(item) >= {
            "sku",
            "name",
            "score",
            "servings_per_day",
            "nutrients_per_day",
            "reasons",
            "warnings",
        }
        assert 0.0 <= item["score"] <= 1.0
        for message in item["reasons"] + item["warnings"]:
            assert message["code"] and message["text"]
    entry = body["intake"]["vitamin_d_ug"]  # v1.1 adds food and room
    assert {k: entry[k] for k in ("current", "upper_limit")} == {"current": 0, "upper_limit": 100}
    assert body["intake"]["vitamin_k2_ug"]["upper_limit"] is None


def test_done_when_example_vegan_woman_on_acenocoumarol_with_25_ug_d(client):
    """The issue's example: 67-year-old vegan woman on a VKA who already takes 25 µg D."""
    profile = {
        "age": 67,
        "sex": "female",
        "diet": "vegan",
        "medications": ["vitamin_k_antagonist"],
        "current_supplements": [{"label": "D3 drops", "nutrients": {"vitamin_d_ug": 25}}],
    }
    body = post(client, "/v1/recommendations", {"profile": profile, "locale": "en"}).get_json()
    assert body["items"], body
    assert body["intake"]["vitamin_d_ug"]["current"] == 25
    assert any(n["code"] == "interaction:vitamin-k-antagonist" for n in body["notices"])
    catalog = client.application.extensions["dosewise"].snapshot.catalog
    for item in body["items"]:
        product = catalog.products[catalog.index[item["sku"]]]
        assert product.vegan
        assert item["nutrients_per_day"].get("vitamin_k1_ug", 0) == 0
        assert item["nutrients_per_day"].get("vitamin_k2_ug", 0) == 0
        assert 25 + item["nutrients_per_day"].get("vitamin_d_ug", 0) <= 100
        assert item["reasons"], f"{item['sku']} has no reason"


def test_limit_locale_category_and_exclude_skus_are_honoured(client):
    body = post(
        client,
        "/v1/recommendations",
        {
            "profile": {"age": 72},
            "limit": 3,
            "locale": "de",
            "category": "vitamin_d_k2",
            "exclude_skus": [FLAGSHIP],
        },
    ).get_json()
    assert 1 <= len(body["items"]) <= 3
    assert all(item["category"] == "vitamin_d_k2" for item in body["items"])
    assert FLAGSHIP not in [item["sku"] for item in body["items"]]
    catalog = client.application.extensions["dosewise"].snapshot.catalog
    for item in body["items"]:
        assert item["name"] == catalog.products[catalog.index[item["sku"]]].name["de"]


def test_vitamin_d_in_iu_is_converted_to_micrograms(client):
    body = post(
        client,
        "/v1/recommendations",
        {
            "profile": {
                "age": 40,
                "current_supplements": [{"label": "x", "nutrients": {"vitamin_d_iu": 1000}}],
            }
        },
    ).get_json()
    assert body["intake"]["vitamin_d_ug"]["current"] == 25


def test_items_already_taken_or_in_basket_are_not_recommended_again(client):
    body = post(
        client,
        "/v1/recommendations",
        {
            "profile": {"age": 72, "current_supplements": [{"sku": FLAGSHIP}]},
            "basket": [{"sku": "BL-D3K2-TAB"}],
            "limit": 50,
        },
    ).get_json()
    skus = [item["sku"] for item in body["items"]]
    assert FLAGSHIP not in skus and "BL-D3K2-TAB" not in skus


def test_intake_already_above_a_limit_gives_no_items_and_says_why(client):
    body = post(
        client,
        "/v1/recommendations",
        {
            "profile": {
                "age": 40,
                "current_supplements": [{"label": "x", "nutrients": {"vitamin_d_ug": 150}}],
            },
            "locale": "en",
        },
    ).get_json()
    assert body["items"] == []
    codes = [n["code"] for n in body["notices"]]
    assert "above_upper_limit:vitamin_d_ug" in codes
    assert "no_items" in codes


def test_explain_returns_features_and_contributions(client):
    body = post(client, "/v1/recommendations", {"profile": {"age": 72}, "explain": True}).get_json()
    explain = body["items"][0]["explain"]
    assert set(explain["features"]) == {"gap_fill", "goal_match", "price", "headroom", "overshoot"}
    assert set(explain["contributions"]) == set(explain["features"])


def test_same_request_gives_the_same_answer(client):
    request = {"profile": {"age": 30, "goals": ["energy"]}, "limit": 10}
    first = post(client, "/v1/recommendations", request).get_json()
    second = post(client, "/v1/recommendations", request).get_json()
    assert first == second


# ---------------------------------------------------------------- POST /v1/intake/check
def test_intake_check_sums_current_and_basket_and_flags_violations(client):
    response = post(
        client,
        "/v1/intake/check",
        {
            "profile": {"age": 40, "current_supplements": [{"sku": FLAGSHIP}]},
            "basket": [{"sku": "XF-D3-100-CAP"}],
            "locale": "en",
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    vitamin_d = body["totals"]["vitamin_d_ug"]
    assert vitamin_d == {
        "amount": 175,
        "upper_limit": 100,
        "status": "above_upper_limit",
        "food": 9,  # v1.1: NL adult, sex unspecified (food_intake.yaml)
        "room": 0,
    }
    assert body["totals"]["vitamin_k2_ug"]["status"] == "ok"
    (violation,) = [v for v in body["violations"] if v["nutrient"] == "vitamin_d_ug"]
    assert violation["amount"] == 175 and violation["upper_limit"] == 100
    assert set(violation["skus"]) == {FLAGSHIP, "XF-D3-100-CAP"}


def test_intake_check_warns_for_medications_and_combinations(client):
    body = post(
        client,
        "/v1/intake/check",
        {
            "profile": {"age": 60, "medications": ["vitamin_k_antagonist"]},
            "basket": [
                {"sku": FLAGSHIP},
                {"label": "iron", "nutrients": {"iron_mg": 14}},
                {"label": "calcium", "nutrients": {"calcium_mg": 500}},
            ],
        },
    ).get_json()
    codes = {w["code"]: w for w in body["warnings"]}
    assert codes["interaction:vitamin-k-antagonist"]["skus"] == [FLAGSHIP]
    assert set(codes["interaction:iron-zinc-with-calcium"]["skus"]) == {"iron", "calcium"}


def test_intake_check_warns_about_products_that_do_not_fit_the_profile(client):
    body = post(
        client,
        "/v1/intake/check",
        {
            "profile": {"age": 30, "diet": "vegan", "allergies": ["fish"]},
            "basket": [{"sku": FLAGSHIP}],
        },
    ).get_json()
    assert "diet" in {w["code"] for w in body["warnings"]}


# ---------------------------------------------------------------- catalog
def test_products_list_filters_and_pages(client):
    body = client.get("/v1/products?category=vitamin_d&vegan=true&limit=3&offset=1").get_json()
    assert body["limit"] == 3 and body["offset"] == 1
    assert len(body["items"]) <= 3
    for product in body["items"]:
        assert product["category"] == "vitamin_d" and product["vegan"] is True
    everything = client.get("/v1/products?limit=500").get_json()
    assert everything["total"] == len(everything["items"]) >= 60


def test_product_by_sku_has_the_contract_fields(client):
    product = client.get(f"/v1/products/{FLAGSHIP}").get_json()
    assert set(product) >= {
        "sku",
        "name",
        "category",
        "form",
        "price",
        "currency",
        "servings_per_day",
        "nutrients_per_serving",
        "vegan",
        "vegetarian",
        "allergens",
        "min_age",
    }
    assert product["nutrients_per_serving"] == {"vitamin_d_ug": 75, "vitamin_k2_ug": 200}


# ---------------------------------------------------------------- operations
def test_health_ready_metrics_openapi(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    post(client, "/v1/recommendations", {"profile": {"age": 50}})
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert b'dosewise_request_seconds_bucket{endpoint="/v1/recommendations"' in metrics.data
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/v1/recommendations",
        "/v1/intake/check",
        "/v1/products",
        "/v1/products/{sku}",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"], path


def test_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz").headers["X-Request-ID"]


def test_readyz_checks_a_real_redis_when_one_is_configured(redis_url):
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url})
    body = app.test_client().get("/readyz").get_json()
    assert body["checks"]["redis"] == {"ok": True, "configured": True}


def test_readyz_is_not_ready_when_redis_does_not_answer():
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "REDIS_TIMEOUT": 0.2,
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False


# ---------------------------------------------------------------- errors
def assert_error(response, status, code):
    assert response.status_code == status, response.data
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_malformed_json_is_400(client):
    response = client.post(
        "/v1/recommendations", data=b'{"profile": ', content_type="application/json"
    )
    assert_error(response, 400, "malformed_json")


def test_deeply_nested_json_is_400_not_500(client):
    response = client.post(
        "/v1/recommendations", data=b"[" * 200_000, content_type="application/json"
    )
    assert response.status_code in (400, 413)
    assert response.get_json()["error"]["code"] in ("malformed_json", "body_too_large")


def test_unknown_route_is_404_and_unknown_sku_is_404(client):
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/v1/products/NOPE-1"), 404, "not_found")


def test_wrong_method_is_405(client):
    error = assert_error(client.get("/v1/recommendations"), 405, "method_not_allowed")
    assert error["message"]


def test_body_over_the_limit_is_413(client):
    body = b'{"profile": {"age": 3}, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    assert_error(
        client.post("/v1/recommendations", data=body, content_type="application/json"),
        413,
        "body_too_large",
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_body_that_is_not_json_is_415(client, content_type):
    response = client.post("/v1/recommendations", data=b"age=3", content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "profile"),
        ({"profile": {}}, "profile.age"),
        ({"profile": {"age": 121}}, "profile.age"),
        ({"profile": {"age": -1}}, "profile.age"),
        ({"profile": {"age": 30.5}}, "profile.age"),
        ({"profile": {"age": True}}, "profile.age"),
        ({"profile": {"age": "30"}}, "profile.age"),
        # 1e400 as JSON text: tests/test_s16_http_input.py (json= writes Infinity, a 400)
        ({"profile": {"age": 30, "diet": "carnivore"}}, "profile.diet"),
        ({"profile": {"age": 30, "allergies": ["cats"]}}, "profile.allergies.0"),
        ({"profile": {"age": 30, "medications": ["aspirin"]}}, "profile.medications.0"),
        ({"profile": {"age": 30, "skin_type": 7}}, "profile.skin_type"),
        ({"profile": {"age": 30, "serum_25ohd_nmol_l": -5}}, "profile.serum_25ohd_nmol_l"),
        ({"profile": {"age": 30, "allergy": ["fish"]}}, "profile.allergy"),
        ({"profile": {"age": 30}, "limit": 0}, "limit"),
        ({"profile": {"age": 30}, "limit": 51}, "limit"),
        ({"profile": {"age": 30}, "locale": "fr"}, "locale"),
        ({"profile": {"age": 30}, "basket": [{"sku": "NOPE"}]}, "basket.0.sku"),
        ({"profile": {"age": 30}, "basket": [{}]}, "basket.0.sku"),
        (
            {"profile": {"age": 30}, "basket": [{"sku": FLAGSHIP, "servings_per_day": 0}]},
            "basket.0.servings_per_day",
        ),
        (
            {"profile": {"age": 30}, "basket": [{"label": "x", "nutrients": {"unobtainium": 3}}]},
            "basket.0.nutrients.unobtainium",
        ),
        ({"profile": {"age": 30}, "exclude_skus": ["NOPE"]}, "exclude_skus.0"),
        ({"profile": {"age": 30}, "category": "sweets"}, "category"),
        (
            {"profile": {"age": 30, "current_supplements": [{"sku": "NOPE"}]}},
            "profile.current_supplements.0.sku",
        ),
    ],
)
def test_invalid_requests_are_422_naming_the_field(client, body, field):
    error = assert_error(post(client, "/v1/recommendations", body), 422, "validation_failed")
    assert field in error["fields"], error


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'"text"',
        b"42",
        b"null",
        b'{"profile": []}',
        b'{"profile": "x"}',
        # NaN is not JSON: a 400 (review 22 F12, tests/test_s16_http_input.py)
    ],
)
def test_json_that_is_not_an_object_is_422(client, raw):
    response = client.post("/v1/recommendations", data=raw, content_type="application/json")
    assert_error(response, 422, "validation_failed")


def test_intake_check_errors_use_the_same_shape(client):
    assert_error(
        post(client, "/v1/intake/check", {"profile": {"age": 30}, "basket": [{"sku": "NOPE"}]}),
        422,
        "validation_failed",
    )
    assert_error(
        client.post("/v1/intake/check", data=b"{", content_type="application/json"),
        400,
        "malformed_json",
    )


def test_product_query_errors_are_422(client):
    assert_error(client.get("/v1/products?limit=abc"), 422, "validation_failed")
    assert_error(client.get("/v1/products?limit=0"), 422, "validation_failed")


# ---------------------------------------------------------------- POST /v1/regimens
def test_regimen_meets_targets_within_limits_and_says_which_solver(client):
    body = post(
        client,
        "/v1/regimens",
        {
            "profile": {
                "age": 72,
                "goals": ["bones"],
                "sun_exposure": "low",
                "current_supplements": [{"label": "x", "nutrients": {"vitamin_d_ug": 10}}],
            },
            "max_products": 2,
            "budget_per_month": 20,
            "locale": "en",
        },
    ).get_json()
    assert set(body) >= {"lines", "totals", "targets", "cost_per_month", "notices"}
    assert body["solver"] == "milp"
    assert 1 <= len(body["lines"]) <= 2
    assert body["cost_per_month"] <= 20
    assert body["targets"]["vitamin_d_ug"]["achieved"] is True
    assert body["totals"]["vitamin_d_ug"] <= 100
    assert all({"sku", "servings_per_day"} <= set(line) for line in body["lines"])


def test_regimen_with_nothing_allowed_answers_with_a_notice(client):
    response = post(
        client,
        "/v1/regimens",
        {"profile": {"age": 40, "conditions": ["hypercalcaemia"], "sun_exposure": "low"}},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert all(line["sku"] for line in body["lines"])
    for line in body["lines"]:
        assert line["nutrients_per_day"].get("vitamin_d_ug", 0) == 0


def test_regimen_errors_are_the_contract_shape(client):
    assert_error(
        post(client, "/v1/regimens", {"profile": {"age": 40}, "max_products": 0}),
        422,
        "validation_failed",
    )
    assert_error(
        post(client, "/v1/regimens", {"profile": {"age": 40}, "budget_per_month": -1}),
        422,
        "validation_failed",
    )


def test_intake_check_suggests_the_smallest_fix(client):
    body = post(
        client,
        "/v1/intake/check",
        {
            "profile": {"age": 40, "current_supplements": [{"sku": FLAGSHIP}]},
            "basket": [{"sku": "XF-D3-100-CAP"}],
            "locale": "en",
        },
    ).get_json()
    assert body["suggestion"]["sku"] == "XF-D3-100-CAP"
    assert body["suggestion"]["code"] in ("remove", "reduce")


def test_readyz_can_treat_redis_as_optional_for_load_balancers():
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "REDIS_TIMEOUT": 0.2,
        }
    )
    response = app.test_client().get("/readyz?redis=optional")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"]["ok"] is False


# ---------------------------------------------------------------- API keys
KEYS = {
    "shop-key-0123456789": ["recommend", "customers", "events"],
    "admin-key-0123456789": ["admin"],
}


@pytest.fixture()
def keyed_client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None, "API_KEYS": KEYS})
    return app.test_client()


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_without_a_key_protected_endpoints_answer_401(keyed_client):
    error = assert_error(
        keyed_client.post("/v1/recommendations", json={"profile": {"age": 4}}), 401, "unauthorized"
    )
    assert error["message"]
    response = keyed_client.post(
        "/v1/recommendations", json={"profile": {"age": 4}}, headers=bearer("wrong-key-0123456789")
    )
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("method", "path", "body", "shop", "admin"),
    [
        ("post", "/v1/recommendations", {"profile": {"age": 40}}, 200, 200),
        ("post", "/v1/intake/check", {"profile": {"age": 40}}, 200, 200),
        ("post", "/v1/regimens", {"profile": {"age": 40}}, 200, 200),
        ("get", "/v1/products", None, 200, 200),
        ("get", "/v1/customers/nobody/recommendations", None, 404, 404),  # authorised; unknown
        ("put", "/v1/customers/key-test", {"age": 40}, 200, 200),
        (
            "post",
            "/v1/events",
            {
                "events": [
                    {
                        "customer_id": "k",
                        "sku": FLAGSHIP,
                        "type": "view",
                        "timestamp": "2026-11-28T10:00:00Z",
                    }
                ]
            },
            202,
            202,
        ),
        ("post", "/v1/admin/reload", None, 403, 200),
        ("get", "/v1/admin/refresh", None, 403, 404),  # authorised; no refresh has run yet
        ("post", "/v1/admin/refresh", {}, 403, 202),
        ("post", "/v1/preview", {"profile": {"age": 40}}, 403, 200),
        ("get", "/v1/rules/lint", None, 403, 200),
    ],
)
def test_each_scope_boundary(keyed_client, method, path, body, shop, admin):
    for key, expected in (("shop-key-0123456789", shop), ("admin-key-0123456789", admin)):
        kwargs = {"headers": bearer(key)}
        if body is not None:
            kwargs["json"] = body
        response = getattr(keyed_client, method)(path, **kwargs)
        assert response.status_code == expected, (key, path, response.get_json())
        if expected == 403:
            assert response.get_json()["error"]["code"] == "forbidden"


def test_probes_metrics_and_openapi_need_no_key(keyed_client):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/preview"):
        response = keyed_client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_no_profile_field_reaches_logs_or_metrics(client, caplog):
    import logging

    secret = {
        "age": 47,
        "medications": ["digoxin"],
        "conditions": ["sarcoidosis"],
        "life_stage": "pregnant",
        "sex": "female",
    }
    with caplog.at_level(logging.DEBUG, logger="dosewise"):
        client.post("/v1/recommendations", json={"profile": secret})
        client.put("/v1/customers/log-test", json=secret)
        client.post("/v1/recommendations", json={"profile": {**secret, "age": "x"}})
    text = caplog.text + client.get("/metrics").get_data(as_text=True)
    for value in ("digoxin", "sarcoidosis", "pregnant", "female"):
        assert value not in text


@pytest.mark.parametrize(
    "path", ["/v1/customers/k1", "/v1/recommendations", "/v1/admin/reload", "/v1/events"]
)
def test_options_needs_no_key(keyed_client, path):
    """Review s35b F7: with API keys configured OPTIONS answered 401 (a CORS preflight never
    carries a key); it answers 204 with the Allow header, and nothing else opens."""
    answer = keyed_client.options(path)
    assert answer.status_code == 204 and answer.headers.get("Allow"), answer.status_code
    assert answer.get_data() == b""
    without = keyed_client.post(path, json={}) if path != "/v1/customers/k1" else None
    if without is not None:
        assert without.status_code == 401
