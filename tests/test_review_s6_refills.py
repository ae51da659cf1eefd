"""Review s6 T4, T5, T6: the next pack of what a person takes, the refill e-mail and account
lists next to their notices, and the refill texts (/work/notes/review_s6.md).

T4: a basket line of a product the person already takes (a current supplement, or a stored
customer's supply still lasting) is the refill of the same daily dose: counted once.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import memory_app, store_customer

TODAY = dt.date(2026, 12, 2)


@pytest.fixture()
def client():
    return memory_app(TODAY).test_client()


def _post(client, path: str, body: dict) -> dict:
    response = client.post(path, json={"locale": "en", **body})
    assert response.status_code == 200, response.data
    return response.get_json()


def _get(client, customer_id: str, what: str = "recommendations", **query) -> dict:
    response = client.get(
        f"/v1/customers/{customer_id}/{what}", query_string={"locale": "en", **query}
    )
    assert response.status_code == 200, response.data
    return response.get_json()


def _codes(body: dict) -> list[str]:
    return [n["code"] for n in body.get("notices", [])]


# ---------------------------------------------------------------- T4: the next pack
TAKES_D50 = {"age": 40, "current_supplements": [{"sku": "XF-D3-50-CAP"}]}


def test_t4_intake_check_counts_the_next_pack_of_what_is_taken_once(client):
    body = _post(
        client, "/v1/intake/check", {"profile": TAKES_D50, "basket": [{"sku": "XF-D3-50-CAP"}]}
    )
    assert body["totals"]["vitamin_d_ug"]["amount"] == 50
    assert body["totals"]["vitamin_d_ug"]["status"] == "ok"
    assert body["violations"] == []
    assert body.get("suggestion") is None or not any(
        c.get("code") == "remove" for c in body["suggestion"].get("changes", [])
    ), body["suggestion"]


@pytest.mark.parametrize("placement", [None, "cart", "checkout"])
def test_t4_lists_count_the_next_pack_of_what_is_taken_once(client, placement):
    request = {"profile": TAKES_D50, "basket": [{"sku": "XF-D3-50-CAP"}]}
    if placement:
        request["placement"] = placement
    body = _post(client, "/v1/recommendations", request)
    assert body["intake"]["vitamin_d_ug"]["current"] == 50
    assert not [c for c in _codes(body) if c.startswith("above_upper_limit")], body["notices"]


def test_t4_the_servings_the_person_gave_stand(client):
    """Two capsules a day taken (100 µg) and the next pack in the basket: still 100, not 150."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-20-TAB", "servings_per_day": 2}]}
    body = _post(
        client, "/v1/intake/check", {"profile": profile, "basket": [{"sku": "XF-D3-20-TAB"}]}
    )
    assert body["totals"]["vitamin_d_ug"]["amount"] == 40


def test_t4_another_product_with_the_same_nutrient_still_adds(client):
    """Same SKU only: another 50 µg D3 product is a second tablet a day (100 µg)."""
    body = _post(
        client, "/v1/intake/check", {"profile": TAKES_D50, "basket": [{"sku": "VL-D3-50-TAB"}]}
    )
    assert body["totals"]["vitamin_d_ug"]["amount"] == 100
    assert body["totals"]["vitamin_d_ug"]["status"] == "above_upper_limit"


@pytest.mark.parametrize("placement", ["cart", "checkout", "email", "account", "home"])
def test_t4_a_stored_customers_lasting_supply_and_its_next_pack(client, placement):
    """Repro A: XF-D3-50-CAP (120 capsules) bought 24 August lasts until 22 December; the
    same SKU in the cart is its next pack: 50 µg a day, no doctor warning, a list."""
    store_customer(client, "r6-c5", {"age": 45, "sex": "male"}, {"XF-D3-50-CAP": "2026-08-24"})
    query = {"basket": "XF-D3-50-CAP"}
    if placement:
        query["placement"] = placement
    body = _get(client, "r6-c5", **query)
    assert body["intake"]["vitamin_d_ug"]["current"] == 50
    assert not [c for c in _codes(body) if c.startswith("above_upper_limit")], body["notices"]


def test_t4_refills_count_the_next_pack_in_the_basket_once(client):
    """She takes XF-D3-50-CAP (her profile says so) and has its next pack in the cart; the
    20 µg tablets she bought run out on 8 December. With 50 µg counted twice (100 + 20) the
    reorder's why was the upper limit; with 50 µg it is what she takes besides (50 µg)."""
    profile = {"age": 45, "current_supplements": [{"sku": "XF-D3-50-CAP"}]}
    store_customer(client, "r6-t4", profile, {"XF-D3-20-TAB": "2026-08-10"})
    body = _get(client, "r6-t4", "refills", basket="XF-D3-50-CAP")
    (refill,) = body["refills"]
    # review s8 Q1: the 50 µg alone is above the dose band (the list's intake_warning), so
    # the why says that, not "already enough"; and since the winter campaign no longer counts
    # as a need (review s8 Q6/Q8), that a man of 45 in NL has no vitamin D advice at all
    assert [w["code"] for w in refill["why"]] == ["besides_dose_band", "no_advice"], refill["why"]


# ---------------------------------------------------------------- T6: true refill texts
PREGNANT = {"age": 30, "sex": "female", "life_stage": "pregnant"}


def _why(body: dict, sku: str) -> dict[str, str]:
    entry = next(r for r in body["refills"] if r["sku"] == sku)
    return {w["code"]: w["text"] for w in entry.get("why", [])}


def test_t6_a_sum_above_the_pregnancy_maximum_is_not_called_the_products_own_dose(client):
    """25 µg + 10 µg D3: neither daily dose is above 25 µg, their sum is. The 25 µg is not
    reordered because the lasting folic acid + D3 tablet gives the advised 10 µg: that is
    said, not "found no safe alternative"."""
    purchases = {
        "XF-D3-25-SG": "2026-08-09",
        "XF-FOLIC-D3-TAB": "2026-11-12",
        "VL-IODINE-150-TAB": "2026-09-08",
    }
    store_customer(client, "r6-c1", PREGNANT, purchases)
    body = _get(client, "r6-c1", "refills")
    for sku in ("XF-D3-25-SG", "XF-FOLIC-D3-TAB"):
        texts = " ".join(_why(body, sku).values())
        assert "Its daily dose is higher" not in texts, (sku, texts)
        assert "life_stage_maximum" not in _why(body, sku), sku
        assert "Together with what you take besides it" in texts, (sku, texts)
    (left,) = body["reorder"]["left_out"]
    assert left["sku"] == "XF-D3-25-SG"
    assert "no safe alternative" not in left["advice"], left["advice"]
    assert "already gives you enough" in left["advice"], left["advice"]


def test_t6_the_only_calcium_is_not_dropped_as_already_covered(client):
    """72: D3 20 µg and calcium + D3 (500 mg + 10 µg) run out within a day of each other.
    Nothing else gives calcium: the calcium product is reordered, not left out with "what you
    take besides it already gives you what it gave"."""
    purchases = {"XF-D3-20-TAB": "2026-08-08", "XF-CAD3-500-10-TAB": "2026-09-08"}
    store_customer(client, "r6-b", {"age": 72, "sex": "female"}, purchases)
    body = _get(client, "r6-b", "refills")
    reordered = [i["sku"] for i in body["reorder"]["items"]]
    assert "XF-CAD3-500-10-TAB" in reordered, body["reorder"]
    for left in body["reorder"]["left_out"]:
        assert "already gives you" not in left["advice"], left


def test_t6_three_vitamin_d_products_the_calcium_one_kept_the_duplicate_left_out(client):
    """D3 10, D3 20 and calcium + D3 10 all run out within 5 days (40 µg, advised 20 µg):
    the calcium + D3 is kept (the only calcium), the D3 10 µg makes 20 µg with it, and the
    D3 20 µg is left out because what she takes besides it gives enough vitamin D."""
    purchases = {
        "XF-D3-10-TAB": "2026-06-09",
        "XF-D3-20-TAB": "2026-08-08",
        "XF-CAD3-500-10-TAB": "2026-09-08",
    }
    store_customer(client, "r6-b2", {"age": 72, "sex": "female"}, purchases)
    body = _get(client, "r6-b2", "refills")
    assert sorted(i["sku"] for i in body["reorder"]["items"]) == [
        "XF-CAD3-500-10-TAB",
        "XF-D3-10-TAB",
    ]
    (left,) = body["reorder"]["left_out"]
    assert left["sku"] == "XF-D3-20-TAB" and "already gives you enough" in left["advice"]


def test_t6_a_lasting_vitamin_d_and_the_only_calcium_says_the_calcium_stops(client):
    """The D3 20 µg lasts until March; the calcium + D3 runs out. Left out as a second source
    of vitamin D, its texts say it was her only calcium, never "already gives what it gave"."""
    purchases = {"XF-D3-20-TAB": "2026-11-20", "XF-CAD3-500-10-TAB": "2026-09-08"}
    store_customer(client, "r6-b3", {"age": 72, "sex": "female"}, purchases)
    body = _get(client, "r6-b3", "refills")
    for left in body["reorder"]["left_out"]:
        texts = " ".join(w["text"] for w in left["why"])
        assert "calcium" in texts, left
        assert "already gives you" not in left["advice"], left


# ---------------------------------------------------------------- T5: e-mail, account, /refills
def test_t5_a_reorder_is_not_next_to_no_more_of_its_nutrient(client):
    """60, D3 10 µg runs out 7 December: the e-mail and account propose it again; their
    notice may not say "we suggest no more vitamin D" without saying the reorder continues
    what she takes."""
    store_customer(client, "r6-c7", {"age": 60, "sex": "female"}, {"XF-D3-10-TAB": "2026-06-10"})
    for placement in ("email", "account"):
        body = _get(client, "r6-c7", placement=placement)
        assert [i["sku"] for i in body["items"]][:1] == ["XF-D3-10-TAB"], body["items"]
        notice = next(n for n in body["notices"] if n["code"] == "already_covered:vitamin_d_ug")
        assert "runs out" in notice["text"], notice


def test_t5_the_email_proposes_the_reorder_of_refills(client):
    purchases = {
        "XF-D3-10-TAB": "2026-06-09",
        "XF-D3-20-TAB": "2026-08-08",
        "XF-CAD3-500-10-TAB": "2026-09-08",
    }
    store_customer(client, "r6-e", {"age": 72, "sex": "female"}, purchases)
    reorder = _get(client, "r6-e", "refills")["reorder"]
    email = _get(client, "r6-e", placement="email", limit=5)
    proposed = sorted(i["sku"] for i in reorder["items"])
    assert proposed
    assert sorted(i["sku"] for i in email["items"] if i["strategy"] == "refills") == proposed
    assert "no_items" not in _codes(email)


def test_t6_a_lasting_product_is_not_said_to_stop(client):
    """The folic acid + D3 tablet still lasts: its why never says it "was" the only source."""
    purchases = {"XF-D3-25-SG": "2026-08-09", "XF-FOLIC-D3-TAB": "2026-11-12"}
    store_customer(client, "r6-c1b", PREGNANT, purchases)
    body = _get(client, "r6-c1b", "refills")
    assert "only_source" not in _why(body, "XF-FOLIC-D3-TAB")
