"""Review s4 R4 and R11: a stored customer's lists count the supplies still lasting from the
customer's purchases (a purchased product not in the profile's current supplements, until its
run-out date) as taken; refills and buy again offer no second source of what they cover."""

from __future__ import annotations

import datetime as dt

import pytest

from service.api.app import create_app

D = dt.date
TODAY = D(2026, 12, 2)
PLACEMENTS = (None, "home", "account", "email", "cart", "product_page")


def _purchase(client, customer_id: str, sku: str, day: str, quantity: int = 1):
    event = {
        "customer_id": customer_id,
        "sku": sku,
        "type": "purchase",
        "timestamp": f"{day}T10:00:00+00:00",
        "quantity": quantity,
    }
    response = client.post("/v1/events", json={"events": [event]})
    assert response.status_code == 202, response.data


def _list(client, customer_id: str, placement: str | None = None, **query) -> dict:
    params = {"locale": "en", **query}
    if placement is not None:
        params["placement"] = placement
    if placement == "product_page":  # its page product is required (review s6 T10)
        params.setdefault("product_sku", "XF-D3-20-TAB")
    response = client.get(f"/v1/customers/{customer_id}/recommendations", query_string=params)
    assert response.status_code == 200, response.data
    return response.get_json()


def _vitamin_d(body: dict) -> list[str]:
    return [i["sku"] for i in body["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]


@pytest.fixture()
def mem_client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: TODAY
    return app.test_client()


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_r4_a_lasting_vitamin_d_supply_gets_no_second_vitamin_d(mem_client, placement):
    """75 µg D3, 120 tablets bought 20 Nov, one a day: lasts until 20 March. A second D
    product (20 µg) would give 75 + 20 + food 9 = 104 µg > UL 100."""
    assert mem_client.put("/v1/customers/f", json={"age": 75, "sex": "female"}).status_code == 200
    assert _vitamin_d(_list(mem_client, "f", placement))  # before the purchase: D is offered
    _purchase(mem_client, "f", "XF-D3-75-TAB", "2026-11-20")
    body = _list(mem_client, "f", placement)
    assert _vitamin_d(body) == [], body["items"]
    assert body["intake"]["vitamin_d_ug"]["current"] == 75


def test_r4_a_supply_that_ran_out_counts_no_more(mem_client):
    mem_client.put("/v1/customers/g", json={"age": 75, "sex": "female"})
    _purchase(mem_client, "g", "XF-D3-75-TAB", "2026-06-01")  # ran out on 29 September
    body = _list(mem_client, "g")
    assert body["intake"].get("vitamin_d_ug", {}).get("current", 0) == 0
    assert _vitamin_d(body)


def test_r4_a_product_the_profile_names_counts_once(mem_client):
    profile = {"age": 75, "current_supplements": [{"sku": "XF-D3-20-TAB"}]}
    mem_client.put("/v1/customers/h", json=profile)
    _purchase(mem_client, "h", "XF-D3-20-TAB", "2026-11-20")
    assert _list(mem_client, "h")["intake"]["vitamin_d_ug"]["current"] == 20


def test_r4_a_profile_with_the_most_lines_plus_a_supply_still_answers(mem_client):
    """The effective profile may hold more lines than a request may send (50): it is no
    request, and the list still counts the supply."""
    lines = [{"label": f"tea {i}", "nutrients": {"zinc_mg": 0.01}} for i in range(50)]
    assert (
        mem_client.put(
            "/v1/customers/m", json={"age": 40, "current_supplements": lines}
        ).status_code
        == 200
    )
    _purchase(mem_client, "m", "XF-D3-10-TAB", "2026-11-20")
    for placement in PLACEMENTS:
        assert _list(mem_client, "m", placement)["intake"]["vitamin_d_ug"]["current"] == 10


# ---------------------------------------------------------------- R11
def test_r11_buy_again_offers_no_second_vitamin_d_next_to_the_basket(mem_client):
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    mem_client.put("/v1/customers/p", json=profile)
    _purchase(mem_client, "p", "XF-MULTI-WOMEN", "2026-09-01")
    _purchase(mem_client, "p", "XF-D3-10-TAB", "2026-09-01")
    alone = mem_client.get("/v1/customers/p/buy-again?locale=en").get_json()
    assert "XF-D3-10-TAB" in [i["sku"] for i in alone["items"]]  # nothing else gives D
    response = mem_client.get("/v1/customers/p/buy-again?basket=XF-MULTI-PREGNANCY&locale=en")
    assert response.status_code == 200
    assert "XF-D3-10-TAB" not in [i["sku"] for i in response.get_json()["items"]]


def test_r11_a_covered_nutrient_without_advice_is_said_so_not_higher_than_the_advice(mem_client):
    profile = {"age": 45, "sex": "female", "current_supplements": [{"sku": "XF-D3K2-DROPS"}]}
    mem_client.put("/v1/customers/q", json=profile)
    _purchase(mem_client, "q", "XF-D3-10-TAB", "2026-09-01")
    _purchase(mem_client, "q", "XF-MULTI-WOMEN", "2026-10-01")
    placement = _list(mem_client, "q", "account")
    assert any(n["code"].startswith("no_advice") for n in placement["notices"])
    body = mem_client.get("/v1/customers/q/refills?locale=en").get_json()
    for refill in body["refills"]:
        codes = [w["code"] for w in refill.get("why", [])]
        assert "dose_band" not in codes, refill
        assert "already_covered" in codes, refill
        text = next(w["text"] for w in refill["why"] if w["code"] == "already_covered")
        assert "vitamin D" in text and "advice" not in text


def test_a_reorder_left_out_only_because_covered_says_so_not_no_safe_alternative(mem_client):
    """A D3 that runs out while the profile takes a D3 + K2: left out as already covered, and
    its advice says what else gives it, not "found no safe alternative, ask your pharmacist"."""
    profile = {"age": 45, "sex": "female", "current_supplements": [{"sku": "XF-D3K2-DROPS"}]}
    assert mem_client.put("/v1/customers/lo", json=profile).status_code == 200
    _purchase(mem_client, "lo", "XF-D3-10-TAB", "2026-06-10")  # 180 tablets: out on 7 Dec
    response = mem_client.get("/v1/customers/lo/refills", query_string={"locale": "en"})
    assert response.status_code == 200, response.data
    (left,) = response.get_json()["reorder"]["left_out"]
    assert left["sku"] == "XF-D3-10-TAB"
    # and, since the winter campaign no longer counts as a need (review s8 Q6/Q8), that a woman
    # of 45 in NL has no vitamin D advice
    assert [w["code"] for w in left["why"]] == ["already_covered", "no_advice"]
    assert "already gives you enough of what it gave" in left["advice"]
    assert "no safe alternative" not in left["advice"]
