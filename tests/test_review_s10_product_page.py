"""Review 10 U1: on a product page the profile list's items were put next to the product on
the page without counting it. A pregnant woman on the pregnancy multivitamin's page was offered
a vegan multivitamin (35 µg vitamin D together, above the 25 µg pregnancy maximum; zinc above
its upper limit with food), a folic acid + D3 and an iodine tablet, each "filling a gap" the
page product fills. Now, where the page product suits the person, nothing but an alternative
(instead of it) gives a nutrient it gives (vitamin K1 and K2 as one), and an answer left short
by that says so. Seen failing before the fix."""

from __future__ import annotations

import pytest

from tests.conftest import memory_app, notice_texts, recommend

K = {"vitamin_k1_ug", "vitamin_k2_ug"}
PROFILES = [
    {"age": 30, "country": "NL", "sex": "female", "life_stage": "pregnant", "goals": ["energy"]},
    {"age": 45, "country": "NL", "sex": "female", "goals": ["energy", "bones", "immunity"]},
    {"age": 72, "country": "DE", "sex": "male"},
    {"age": 34, "country": "NL", "sex": "male", "diet": "vegan", "goals": ["sport"]},
]


def _gives(nutrients: dict) -> set[str]:
    given = {k for k, v in nutrients.items() if v > 0}
    return given | K if given & K else given


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


@pytest.fixture(scope="module")
def catalog(client):
    return {p["sku"]: p for p in client.get("/v1/products?limit=500").get_json()["items"]}


def test_the_pregnancy_multivitamin_page_adds_no_second_source(client):
    body = {
        "profile": PROFILES[0],
        "placement": "product_page",
        "product_sku": "XF-MULTI-PREGNANCY",
        "limit": 4,
    }
    answer = recommend(client, body, "en")
    added = [i["sku"] for i in answer["items"] if i["strategy"] != "alternatives"]
    assert not added, added
    notices = notice_texts(answer)
    assert "folic acid" in notices["no_items"] and "this page" in notices["no_items"], notices
    assert "page_product_not_suited" not in notices


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p['age']}-{p['country']}")
def test_nothing_added_to_a_page_product_that_suits_gives_what_it_gives(client, catalog, profile):
    checked = 0
    for sku, product in catalog.items():
        body = {"profile": profile, "placement": "product_page", "product_sku": sku, "limit": 4}
        answer = recommend(client, body, "en")
        suits = "page_product_not_suited" not in notice_texts(answer)
        given = _gives(product["nutrients_per_day"]) if suits else set()
        # what goes with it (or with an alternative bought instead) is taken together with it
        # and with each other: one source each (review 10b F1: unsuited pages too)
        for item in answer["items"]:
            if item["strategy"] == "alternatives":
                given |= _gives(item["nutrients_per_day"])
                continue
            shared = given & _gives(item["nutrients_per_day"])
            assert not shared, (sku, suits, item["sku"], item["strategy"], shared)
            given |= _gives(item["nutrients_per_day"])
            checked += 1
    assert checked, "no page product of the catalog got an item to go with it"
