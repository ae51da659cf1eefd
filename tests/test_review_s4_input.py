"""Review s4 (pharmacist / hostile tester), input findings: R6, R12, R1, R14, R15a, R15c.

R6: a request field `"jurisdiction": "US"` lifted the EFSA upper limits for a Dutch profile
(zinc 15 mg offered with 16 mg from food, UL 25). A jurisdiction other than the default may only
tighten: per nutrient the stricter of its limit and the default (EFSA) table's.
"""

from __future__ import annotations

import math

import pytest

from service.core.recommender import Recommender

ZINC_MAN = {"age": 40, "sex": "male", "goals": ["immunity"], "country": "NL"}


# ------------------------------------------------------------------ R6 jurisdiction
@pytest.mark.parametrize("country", ["NL", "DE"])
def test_us_jurisdiction_does_not_lift_the_eu_zinc_limit(client, country):
    body = {
        "profile": {**ZINC_MAN, "country": country},
        "jurisdiction": "US",
        "locale": "en",
        "limit": 10,
        "category": "zinc",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    assert answer["intake"]["zinc_mg"]["upper_limit"] == 25
    for item in answer["items"]:
        zinc = item["nutrients_per_day"].get("zinc_mg", 0)
        assert zinc + answer["intake"]["zinc_mg"]["food"] <= 25, item["sku"]


def test_us_jurisdiction_never_lifts_a_limit_on_any_endpoint(client):
    profile = {"age": 40, "country": "NL"}
    plain = client.post("/v1/recommendations", json={"profile": profile, "locale": "en"})
    eu = {k: v["upper_limit"] for k, v in plain.get_json()["intake"].items()}
    bodies = {
        "/v1/recommendations": {"profile": profile},
        "/v1/intake/check": {"profile": profile, "basket": [{"sku": "VL-ZINC-15-CAP"}]},
        "/v1/products/XF-ZINC-10-TAB/alternatives": {"profile": profile},
    }
    for path, body in bodies.items():
        answer = client.post(path, json={**body, "jurisdiction": "US", "locale": "en"})
        assert answer.status_code == 200, path
        table = answer.get_json().get("intake") or answer.get_json()["totals"]
        for key, row in table.items():
            if eu.get(key) is not None:
                assert row["upper_limit"] is not None and row["upper_limit"] <= eu[key], (path, key)
    placement = {"profile": profile, "placement": "cart", "basket": [{"sku": "XF-D3-20-TAB"}]}
    answer = client.post("/v1/recommendations", json={**placement, "jurisdiction": "US"})
    for key, row in answer.get_json()["intake"].items():
        if eu.get(key) is not None:
            assert row["upper_limit"] <= eu[key], key


def test_us_jurisdiction_regimen_stays_within_eu_limits(client, recommender: Recommender):
    profile = {"age": 40, "sex": "male", "goals": ["immunity", "muscles"], "country": "NL"}
    body = {"profile": profile, "jurisdiction": "US", "locale": "en", "max_products": 5}
    answer = client.post("/v1/regimens", json=body)
    assert answer.status_code == 200
    limits = recommender.snapshot.reference.upper_limits
    eu = dict(zip(limits.nutrient_keys, limits.for_profile(40, "none"), strict=True))
    for key, amount in answer.get_json()["totals"].items():
        if key in eu and not math.isnan(eu[key]):
            assert amount <= eu[key] + 1e-9, key


def test_a_jurisdiction_only_tightens_per_nutrient(recommender: Recommender):
    limits = recommender.snapshot.reference.upper_limits
    for age in (0, 5, 16, 30, 60, 90):
        for stage in ("none", "pregnant"):
            eu = limits.for_profile(age, stage)
            us = limits.for_profile(age, stage, "US")
            for key, a, b in zip(limits.nutrient_keys, eu, us, strict=True):
                if not math.isnan(a):
                    assert not math.isnan(b) and b <= a, (age, stage, key)
    # and it does tighten: the US calcium limit from 51 years (2,000 mg) is below EFSA's 2,500
    column = limits.nutrient_keys.index("calcium_mg")
    assert limits.for_profile(60, "none", "US")[column] == 2000


@pytest.mark.parametrize("path", ["/v1/intake/check", "/v1/regimens"])
def test_an_unknown_jurisdiction_is_refused(client, path):
    answer = client.post(path, json={"profile": {"age": 40}, "jurisdiction": "XX"})
    assert answer.status_code == 422
    assert "jurisdiction" in answer.get_json()["error"]["fields"]


# ------------------------------------------------------------------ R12 query parameters
def _stored(client, customer_id: str = "y", profile: dict | None = None) -> None:
    response = client.put(f"/v1/customers/{customer_id}", json=profile or {"age": 75})
    assert response.status_code == 200


def _refused(client, path: str) -> dict:
    """GET `path` for a stored customer: a 422, and its error object."""
    _stored(client)
    response = client.get(path)
    assert response.status_code == 422, (path, response.get_json())
    return response.get_json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/y/recommendations?bogus=1",
        "/v1/customers/y/recommendations?placement=home&utm_source=x",
        "/v1/customers/y/refills?limit=0",
        "/v1/customers/y/buy-again?bogus=1",
        "/v1/products/XF-D3-20-TAB/alternatives?contry=DE",
    ],
)
def test_unknown_query_parameters_are_refused(client, path):
    error = _refused(client, path)
    assert error["code"] == "validation_failed"
    name = path.split("?")[1].split("&")[-1].split("=")[0]
    assert name in error["fields"], error


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/y/refills?basket=XF-D3-20-TAB&basket=XF-D3-10-TAB",
        "/v1/customers/y/buy-again?limit=3&limit=4",
        "/v1/products/XF-D3-20-TAB/alternatives?country=DE&country=NL",
        "/v1/customers/y/recommendations?placement=cart&placement=home",
    ],
)
def test_repeated_query_parameters_are_refused(client, path):
    fields = _refused(client, path)["fields"]
    assert any("more than once" in " ".join(m) for m in fields.values()), fields


def test_the_customer_cart_get_counts_the_basket(client):
    """A 75-year-old with 75 µg vitamin D in the cart: no second vitamin D product (75 + 20 +
    9 from food > UL 100), as `POST /v1/recommendations` with the same basket answers."""
    _stored(client)
    response = client.get("/v1/customers/y/recommendations?placement=cart&basket=XF-D3-75-TAB")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["source"] == "computed" and body["placement"] == "cart"
    assert body["intake"]["vitamin_d_ug"]["current"] == 75
    assert not [i for i in body["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]
    post = client.post(
        "/v1/recommendations",
        json={"profile": {"age": 75}, "placement": "cart", "basket": [{"sku": "XF-D3-75-TAB"}]},
    ).get_json()
    assert [i["sku"] for i in body["items"]] == [i["sku"] for i in post["items"]]


def test_the_customer_product_page_get_takes_the_page_product(client):
    _stored(client, profile={"age": 40})
    path = "/v1/customers/y/recommendations?placement=product_page&product_sku=XF-D3-20-TAB"
    body = client.get(path).get_json()
    post = client.post(
        "/v1/recommendations",
        json={"profile": {"age": 40}, "placement": "product_page", "product_sku": "XF-D3-20-TAB"},
    ).get_json()
    assert [(i["sku"], i.get("strategy")) for i in body["items"]] == [
        (i["sku"], i.get("strategy")) for i in post["items"]
    ]
    assert any(i.get("strategy") == "alternatives" for i in body["items"]), body["items"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("basket=XF-D3-75-TAB", "basket"),  # no placement: the plain list is shared by profile
        ("placement=cart&basket=NOPE", "basket.0"),
        ("placement=product_page&product_sku=NOPE", "product_sku"),
    ],
)
def test_the_customer_get_refuses_a_basket_it_cannot_count(client, query, field):
    _stored(client)
    response = client.get(f"/v1/customers/y/recommendations?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("body", [{"bogus": 1}, {"day": "9999-99-99"}])
def test_admin_refill_run_refuses_unknown_fields(client, body):
    response = client.post("/v1/admin/refills", json=body)
    assert response.status_code == 422
    assert set(body) <= set(response.get_json()["error"]["fields"])


def test_admin_reload_refuses_unknown_fields(client):
    response = client.post("/v1/admin/reload", json={"bogus": 1})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"bogus": ["unknown field"]}
    assert client.post("/v1/admin/reload").status_code == 200
    assert client.post("/v1/admin/reload", json={}).status_code == 200


# ------------------------------------------------------------------ R1 lone surrogates
def _raw_post(client, path: str, text: str):
    return client.post(path, data=text, headers={"Content-Type": "application/json"})


LABEL = '{"profile":{"age":40,"current_supplements":[{"label":"\\ud800","nutrients":{"vitamin_d_ug":150}}]},"locale":"en"}'  # noqa: E501


@pytest.mark.parametrize(
    "path", ["/v1/intake/check", "/v1/recommendations", "/v1/regimens", "/v1/preview"]
)
def test_a_lone_surrogate_in_a_label_is_refused_naming_the_field(client, path):
    response = _raw_post(client, path, LABEL)
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert list(fields) == ["profile.current_supplements.0.label"], fields


def test_a_lone_surrogate_in_an_event_customer_id_is_refused(client):
    text = (
        '{"events":[{"customer_id":"a\\udfffb","sku":"XF-D3-20-TAB","type":"purchase",'
        '"timestamp":"2026-11-01T00:00:00Z"}]}'
    )
    response = _raw_post(client, "/v1/events", text)
    assert response.status_code == 422
    assert "events.0.customer_id" in response.get_json()["error"]["fields"]


def test_surrogate_bytes_and_keys_are_refused_too(client):
    # raw UTF-8 bytes of a surrogate: Python's JSON reader decodes them with surrogatepass
    body = b'{"profile":{"age":40,"current_supplements":[{"label":"\xed\xa0\x80","nutrients":{"vitamin_d_ug":5}}]}}'  # noqa: E501
    response = client.post(
        "/v1/intake/check", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.get_json()
    response = _raw_post(client, "/v1/intake/check", '{"profile":{"age":40},"\\ud800":1}')
    assert response.status_code == 422


def test_a_surrogate_pair_is_a_character_and_is_accepted(client):
    text = '{"profile":{"age":40,"current_supplements":[{"label":"D \\ud83d\\ude00 drops","nutrients":{"vitamin_d_ug":10}}]},"locale":"en"}'  # noqa: E501
    response = _raw_post(client, "/v1/intake/check", text)
    assert response.status_code == 200
    body = _raw_post(client, "/v1/intake/check", '{"profile":{"age":40},"locale":"de"}')
    assert body.status_code == 200


# ------------------------------------------------------------------ R14 µg and IU both
@pytest.mark.parametrize(
    "nutrients",
    [{"vitamin_d_ug": 50, "vitamin_d_iu": 2000}, {"vitamin_a_ug": 300, "vitamin_a_iu": 1000}],
)
@pytest.mark.parametrize("where", ["current_supplements", "basket"])
def test_a_label_line_with_ug_and_iu_of_one_vitamin_is_refused(client, nutrients, where):
    line = {"label": "x", "nutrients": nutrients}
    profile: dict = {"age": 40}
    body: dict = {"profile": profile}
    if where == "basket":
        body["basket"] = [line]
    else:
        profile["current_supplements"] = [line]
    prefix = "basket.0" if where == "basket" else "profile.current_supplements.0"
    for path in ("/v1/intake/check", "/v1/recommendations"):
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.get_json())
        fields = response.get_json()["error"]["fields"]
        assert "not both" in " ".join(fields[f"{prefix}.nutrients"])


def test_iu_alone_still_counts(client):
    line = {"label": "x", "nutrients": {"vitamin_d_iu": 2000}}
    body = {"profile": {"age": 40}, "basket": [line]}
    totals = client.post("/v1/intake/check", json=body).get_json()["totals"]
    assert totals["vitamin_d_ug"]["amount"] == 50


# ------------------------------------------------------------------ R15a future purchases
def _event(customer_id: str, timestamp: str) -> dict:
    return {
        "customer_id": customer_id,
        "sku": "XF-D3-20-TAB",
        "type": "purchase",
        "timestamp": timestamp,
    }


@pytest.mark.parametrize("stamp", ["2031-01-01T10:00:00Z", "2031-01-01T10:00:00"])
def test_a_purchase_far_in_the_future_is_refused(client, stamp):
    _stored(client, "k", {"age": 40})
    events = [_event("k", "2026-11-01T10:00:00Z"), _event("k", stamp)]
    response = client.post("/v1/events", json={"events": events})
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == ["events.1.timestamp"]
    items = client.get("/v1/customers/k/buy-again?locale=en").get_json()["items"]
    assert not any("2031" in str(item) for item in items), items


def test_a_timestamp_within_the_clock_skew_is_accepted(app):
    import datetime as dt

    client = app.test_client()
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    later = soon + dt.timedelta(seconds=600)
    events = [_event("k2", soon.isoformat())]
    assert client.post("/v1/events", json={"events": events}).status_code == 202
    events = [_event("k2", later.isoformat())]
    assert client.post("/v1/events", json={"events": events}).status_code == 422
    app.config["EVENT_CLOCK_SKEW"] = 3600
    assert client.post("/v1/events", json={"events": events}).status_code == 202


# ------------------------------------------------------------------ R15c a SKU twice
def test_the_same_sku_twice_in_a_basket_counts_once(client):
    once = {"profile": {"age": 40}, "basket": [{"sku": "XF-D3-75-TAB"}], "locale": "en"}
    twice = {**once, "basket": [{"sku": "XF-D3-75-TAB"}, {"sku": "XF-D3-75-TAB"}]}
    a = client.post("/v1/intake/check", json=once).get_json()
    b = client.post("/v1/intake/check", json=twice).get_json()
    assert b["totals"]["vitamin_d_ug"]["amount"] == 75
    assert b["violations"] == a["violations"] == []
    cart = {**twice, "placement": "cart"}
    answer = client.post("/v1/recommendations", json=cart).get_json()
    assert answer["intake"]["vitamin_d_ug"]["current"] == 75
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-20-TAB"}, {"sku": "XF-D3-20-TAB"}]}
    answer = client.post("/v1/recommendations", json={"profile": profile}).get_json()
    assert answer["intake"]["vitamin_d_ug"]["current"] == 20


def test_the_same_sku_twice_with_servings_is_refused(client):
    basket = [{"sku": "XF-D3-20-TAB"}, {"sku": "XF-D3-20-TAB", "servings_per_day": 2}]
    response = client.post("/v1/intake/check", json={"profile": {"age": 40}, "basket": basket})
    assert response.status_code == 422
    assert "basket.1.sku" in response.get_json()["error"]["fields"]
    # one line with servings_per_day 2 is how two a day is said
    basket = [{"sku": "XF-D3-20-TAB", "servings_per_day": 2}]
    totals = client.post("/v1/intake/check", json={"profile": {"age": 40}, "basket": basket})
    assert totals.get_json()["totals"]["vitamin_d_ug"]["amount"] == 40


def test_the_same_sku_twice_in_a_get_basket_counts_once(client):
    _stored(client, "q", {"age": 75})
    path = "/v1/customers/q/recommendations?placement=cart&basket=XF-D3-75-TAB,XF-D3-75-TAB"
    body = client.get(path).get_json()
    assert body["intake"]["vitamin_d_ug"]["current"] == 75


@pytest.mark.parametrize(
    "stamp, status",
    [
        # review s5 S13: refused now (more than DOSEWISE_EVENT_MAX_AGE_DAYS ago), still no 500
        ("0001-01-01T00:00:00", 422),
        ("0001-01-01T00:00:00+14:00", 422),
        ("9999-12-31T23:59:59", 422),
        ("9999-12-31T23:00:00-05:00", 422),
    ],
)
def test_extreme_timestamps_are_answered_not_a_500(client, stamp, status):
    response = client.post("/v1/events", json={"events": [_event("k3", stamp)]})
    assert response.status_code == status, response.get_json()


def test_the_length_limits_count_repeated_skus(client):
    basket = [{"sku": "XF-D3-20-TAB"}] * 101
    response = client.post("/v1/intake/check", json={"profile": {"age": 40}, "basket": basket})
    assert response.status_code == 422
    _stored(client, "q2", {"age": 40})
    many = ",".join(["XF-D3-20-TAB"] * 101)
    path = f"/v1/customers/q2/recommendations?placement=cart&basket={many}"
    assert client.get(path).status_code == 422


@pytest.mark.parametrize(
    "stamp", ["2026-11-28t10:00:00z", "2026-11-28T10:00:00z", "2026-11-28t10:00:00+01:00"]
)
def test_rfc3339_lower_case_t_and_z_are_accepted(client, stamp):
    """Review s35b F9: RFC 3339 allows `t` and `z` in lower case; they were refused (422)."""
    response = client.post("/v1/events", json={"events": [_event("k4", stamp)]})
    assert response.status_code == 202, response.get_json()


@pytest.mark.parametrize("stamp", ["2026-11-28T10:00:00zz", "2026-11-28T10:00:00ZZ"])
def test_a_doubled_zone_letter_is_refused(client, stamp):
    """Review s35c 7: the lower-case `z` fix made `...00zz` pass while `...00ZZ` was refused."""
    response = client.post("/v1/events", json={"events": [_event("k5", stamp)]})
    assert response.status_code == 422, response.get_json()
