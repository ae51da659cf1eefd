"""Session 23: the findings left open by session 22's reviews."""

from __future__ import annotations

import pytest

from .conftest import buy_again_lists, memory_app, recommend, store_customer
from .oracle import expected_intake
from .test_safety_properties import assert_safe


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


def _reorders(client, customer: str, sku: str) -> list[dict]:
    """The reorder of `sku` as the refill e-mail and GET /refills show it."""
    email = client.get(f"/v1/customers/{customer}/recommendations?placement=email&locale=en")
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    shown = [i for i in email.get_json()["items"] if i["sku"] == sku]
    shown += [i for i in (refills["reorder"] or {"items": []})["items"] if i["sku"] == sku]
    return shown


def test_a_reorder_at_fewer_servings_keeps_its_near_limit_warning_at_the_dose_taken(client):
    """Session 22 left open: below the label's servings a reorder lost its near-limit warning
    (it quoted the label's amount). A man who takes one 250 mg calcium tablet a day of a
    2-a-day label, with up to 2,000 mg from food, is at 2,250 of the 2,500 mg for total
    intake: the e-mail and GET /refills warn of that, at the 250 mg he takes."""
    customer = "s23-near-fewer"
    profile = {
        "age": 40,
        "sex": "male",
        "country": "NL",
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    shown = _reorders(client, customer, "VL-CA-CIT-TAB")
    assert len(shown) == 2
    for item in shown:
        assert item["servings_per_day"] == 1
        near = [w["text"] for w in item["warnings"] if w["code"] == "near_upper_limit:calcium_mg"]
        assert near and "250 mg" in near[0] and "2250" in near[0], item["warnings"]
        assert "take 500 mg" not in near[0], near


def test_a_reorder_at_fewer_servings_far_from_the_limit_has_no_near_limit_warning(client):
    """The same tablet at one a day for a woman (up to 1,700 mg from food): 1,950 of 2,500 mg,
    below the 80 % at which the list warns, so no near-limit warning (as before)."""
    customer = "s23-near-fewer-woman"
    profile = {
        "age": 40,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    shown = _reorders(client, customer, "VL-CA-CIT-TAB")
    assert len(shown) == 2
    for item in shown:
        assert not [w for w in item["warnings"] if w["code"].startswith("near_upper_limit")]


def test_the_oracle_counts_the_next_pack_of_a_product_taken_at_its_label_at_least_at_it(client):
    """CI of stop 30: the property tests' oracle counted a basket line of a 100 µg B12 taken at
    its label at the basket's 0.25 a day (25 µg), where the service rightly counts the label
    (review 20a F1); every guarantee check of such an answer failed on the intake."""
    raw = {
        "profile": {"age": 40, "current_supplements": [{"sku": "BL-B12-100-TAB"}]},
        "basket": [{"sku": "BL-B12-100-TAB", "servings_per_day": 0.25}],
        "placement": "cart",
        "locale": "en",
    }
    assert expected_intake(raw)["vitamin_b12_ug"] == 100
    answer = recommend(client, raw)
    assert answer["intake"]["vitamin_b12_ug"]["current"] == 100
    assert_safe(raw, answer)


@pytest.mark.parametrize("sku, servings", [("XF-D3-10-TAB", 2), ("XF-D3-20-TAB", None)])
def test_a_product_taken_above_its_label_is_reordered_in_the_email_and_bought_again(
    client, sku, servings
):
    """Review 23p #1: a woman of 72 takes two 10 µg D3 tablets a day (the 20 µg the Health
    Council advises from 70). GET /refills reordered them, but the e-mail, the account page and
    buy-again were empty beside "you already take enough vitamin D (20 µg a day)" and "tell us
    more": the reorder's own servings above the label counted as taking the product already.
    At the label (one 20 µg tablet) it always was shown."""
    customer = f"s23-above-label-{sku}"
    line = {"sku": sku} if servings is None else {"sku": sku, "servings_per_day": servings}
    profile = {"age": 72, "sex": "female", "country": "NL", "current_supplements": [line]}
    store_customer(client, customer, profile, {sku: "2026-08-01"})
    shown = _reorders(client, customer, sku)
    assert len(shown) == 2, shown
    for item in shown:
        assert item["servings_per_day"] == (servings or 1)
        assert item["nutrients_per_day"]["vitamin_d_ug"] == 20
    for items in buy_again_lists(client, customer):
        assert [i["sku"] for i in items] == [sku]
