"""Review s5 S5, S6 and S3: what a list hands over is what a pharmacist would (the reproducing
requests of /work/notes/review_s5.md, 2026-12-02)."""

from __future__ import annotations

import datetime as dt

import pytest

from service.api.app import create_app
from service.core.profile import Profile
from service.core.ranking import evaluate

from .conftest import store_customer

TODAY = dt.date(2026, 12, 2)


@pytest.fixture()
def client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: TODAY
    return app.test_client()


def _bought(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> None:
    """Store the customer with each SKU bought that many days before TODAY."""
    days = [(sku, (TODAY - dt.timedelta(days=ago)).isoformat()) for sku, ago in bought]
    store_customer(client, customer_id, profile, days)


def _list(client, customer_id: str, placement: str | None, locale: str = "en") -> dict:
    query = {"locale": locale}
    if placement:
        query["placement"] = placement
    response = client.get(f"/v1/customers/{customer_id}/recommendations", query_string=query)
    assert response.status_code == 200, response.data
    return response.get_json()


def _warned(body: dict) -> set[str]:
    return {
        n["code"].split(":", 1)[1]
        for n in body["notices"]
        if n["code"].startswith("intake_warning:")
    }


PREGNANT = {"age": 31, "sex": "female", "life_stage": "pregnant"}


# ---------------------------------------------------------------- S5
@pytest.mark.parametrize("placement", ["email", "account", None])
def test_s5_no_item_adds_a_nutrient_the_intake_warning_names(client, placement):
    """The flagship (75 µg D) still lasts until 7 December; the women's multivitamin ran out.
    The notice says "we suggest no extra vitamin D": no item, the refill replacement
    included, adds vitamin D on top of it. Review 9b finding 1 (review s7 P4): a replacement
    of the flagship itself, from the day it runs out, is no vitamin D on top of it."""
    _bought(
        client,
        "preg",
        PREGNANT,
        [("XF-D3K2-TAB", 115), ("VL-VITA-800-CAP", 110), ("XF-MULTI-WOMEN", 115)],
    )
    for locale in ("nl", "en"):
        body = _list(client, "preg", placement, locale)
        assert "vitamin_d_ug" in _warned(body)
        assert body["intake"]["vitamin_d_ug"]["current"] == 75
        flagship_out = (TODAY + dt.timedelta(days=5)).isoformat()  # 120 tablets, 115 days ago
        for item in body["items"]:
            if item.get("for_sku") == "XF-D3K2-TAB" and item["runs_out_on"] == flagship_out:
                assert item["nutrients_per_day"]["vitamin_d_ug"] <= 25, item  # the maximum
                continue
            for key in _warned(body):
                assert not item["nutrients_per_day"].get(key), (item["sku"], key)


def test_s5_the_items_after_a_replacement_add_nothing_it_gives_enough_of(client):
    """Without the flagship the pregnancy multivitamin replaces the women's one; the profile
    items after it do not give folic acid or iodine a second time (the multi gives 400 µg
    folic acid and 150 µg iodine, the advice for pregnancy)."""
    _bought(client, "preg2", PREGNANT, [("XF-MULTI-WOMEN", 115)])
    body = _list(client, "preg2", "email")
    replaced = [i for i in body["items"] if i.get("action") == "replace"]
    assert [i["for_sku"] for i in replaced] == ["XF-MULTI-WOMEN"]
    given = replaced[0]["nutrients_per_day"]
    for item in body["items"]:
        if item is replaced[0]:
            continue
        for key in ("folic_acid_ug", "iodine_ug", "vitamin_d_ug"):
            if given.get(key):
                assert not item["nutrients_per_day"].get(key), (item["sku"], key, body["items"])


# ---------------------------------------------------------------- S6
def _post(client, body: dict) -> dict:
    response = client.post("/v1/recommendations", json={"locale": "en", "limit": 10, **body})
    assert response.status_code == 200, response.data
    return response.get_json()


def test_s6_no_calcium_to_the_upper_limit_for_a_vitamin_d_need(client):
    """75, NL: the need is 20 µg vitamin D; 800 mg calcium on top of the food allowance
    (1700 mg) reaches the 2500 mg upper limit. A plain D product fills the need instead."""
    body = {"profile": {"age": 75, "sex": "female", "country": "NL"}}
    items = _post(client, body)["items"]
    assert items and any(set(i["nutrients_per_day"]) == {"vitamin_d_ug"} for i in items)
    for item in items:
        assert "calcium_mg" not in item["nutrients_per_day"], item["sku"]


@pytest.mark.parametrize("age", [68, 75])
def test_s6_no_fish_oil_with_a_vitamin_k_antagonist_for_a_vitamin_d_need(client, age):
    body = {"profile": {"age": age, "sex": "female", "country": "NL",
                        "medications": ["vitamin_k_antagonist"]}}  # fmt: skip
    items = _post(client, body)["items"]
    assert items
    for item in items:
        assert item["nutrients_per_day"].get("omega3_mg", 0) <= 900, item["sku"]
        assert not [w for w in item["warnings"] if "bleeding" in w["code"]], item["sku"]
    assert any(set(i["nutrients_per_day"]) == {"vitamin_d_ug"} for i in items)


@pytest.mark.parametrize(
    "body",
    [
        {"profile": {"age": 68, "sex": "female", "medications": ["vitamin_k_antagonist"]},
         "placement": "email"},
        {"profile": {"age": 25, "sex": "female", "goals": ["bones", "muscles"]},
         "basket": [{"sku": "XF-MG-CIT-150-TAB"}], "placement": "home"},
        {"profile": {"age": 68, "sex": "female"}},
        {"profile": {"age": 40, "sex": "male", "goals": ["bones"]}},
    ],
)  # fmt: skip
def test_s6_no_pregnancy_folic_acid_product_outside_pregnancy(client, body):
    for item in _post(client, body)["items"]:
        assert not item["nutrients_per_day"].get("folic_acid_ug"), item["sku"]


def test_s6_pregnancy_folic_acid_products_still_for_pregnancy(client):
    for profile in (
        {"age": 30, "sex": "female", "life_stage": "pregnant"},
        {"age": 30, "sex": "female", "goals": ["pregnancy"]},
    ):
        items = _post(client, {"profile": profile})["items"]
        assert any(i["nutrients_per_day"].get("folic_acid_ug") for i in items), profile


def _allowed(recommender, profile: Profile, sku: str) -> bool:
    """What the plain list may offer, whatever the model ranks first (review s5 S6 reproduced
    with the trained model: any product `Offer.allowed` lets through may fill a role)."""
    snapshot = recommender.snapshot
    ev = evaluate(snapshot, profile, [], TODAY)
    return bool(ev.offer.allowed[snapshot.catalog.index[sku]])


@pytest.mark.parametrize(
    ("profile", "extra", "plain"),
    [
        # 800 mg calcium + 1700 mg food = the 2500 mg upper limit, no calcium need
        (Profile(age=75, sex="female", country="NL"), "XF-CAD3K2-TAB", "BL-D3-20-70PLUS-TAB"),
        # 1100 mg omega-3 with a vitamin K antagonist: the bleeding warning, no omega-3 need
        (
            Profile(age=75, sex="female", country="NL", medications=("vitamin_k_antagonist",)),
            "NV-COD-LIVER-OIL",
            "XF-D3-20-TAB",
        ),
    ],
)
def test_s6_a_combination_whose_extra_nutrient_is_a_concern_fills_no_need(
    recommender, profile, extra, plain
):
    assert _allowed(recommender, profile, plain)
    assert not _allowed(recommender, profile, extra)


def test_s6_a_combination_is_offered_where_its_extra_is_no_concern(recommender):
    """The same cod-liver oil without the anticoagulant is no concern (no warning, far from
    the upper limits): the rule removes concerns only."""
    assert _allowed(recommender, Profile(age=75, sex="female", country="NL"), "NV-COD-LIVER-OIL")


# ---------------------------------------------------------------- S3
def _alternatives(client, sku: str, profile: dict) -> dict:
    response = client.post(
        f"/v1/products/{sku}/alternatives", json={"profile": profile, "locale": "en"}
    )
    assert response.status_code == 200, response.data
    return response.get_json()


@pytest.mark.parametrize(
    ("sku", "profile"),
    [
        ("XF-D3K2-TAB", {"age": 68, "sex": "female"}),
        ("XF-D3K2-TAB", {"age": 30, "sex": "female", "life_stage": "pregnant"}),
        ("XF-D3K2-TAB", {"age": 68, "sex": "female", "medications": ["vitamin_k_antagonist"]}),
        ("XF-D3K2-DROPS", {"age": 68, "sex": "female", "medications": ["vitamin_k_antagonist"]}),
    ],
)
def test_s3_an_unsuited_page_product_has_the_safe_alternatives_for_its_need(client, sku, profile):
    """The flagship's 75 µg (or its K2 with an anticoagulant) makes it unsuited; the same need
    within the profile's band is served by products the plain list offers."""
    body = _alternatives(client, sku, profile)
    codes = [n["code"] for n in body["notices"]]
    assert "page_product_not_suited" in codes and "no_items" not in codes, body["notices"]
    assert body["items"]
    for item in body["items"]:
        assert item["nutrients_per_day"].get("vitamin_d_ug"), item["sku"]
        if "vitamin_k_antagonist" in profile.get("medications", []):
            assert not item["nutrients_per_day"].get("vitamin_k2_ug"), item["sku"]
        assert item["nutrients_per_day"]["vitamin_d_ug"] <= 25, item["sku"]


def test_s3_a_suited_page_product_keeps_its_dose_window(client):
    """68, no medication: the 20 µg D3 + K2 drops suit; their alternatives stay D3 + K2
    within 2.5x of their dose."""
    body = _alternatives(client, "XF-D3K2-DROPS", {"age": 68, "sex": "female"})
    assert "page_product_not_suited" not in [n["code"] for n in body["notices"]]
    for item in body["items"]:
        assert item["category"] == "vitamin_d_k2", item["sku"]
        assert 8 <= item["nutrients_per_day"]["vitamin_d_ug"] <= 50, item["sku"]
