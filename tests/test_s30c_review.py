"""Review s30c (the session's later changes, /work/notes/review_s30c.md): F1, F4, F5, F9,
reproduced through the API (F8, the e-mail's sentence: test_s30_refills_reorder)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from .conftest import RULES, dated_client, recommend, store_customer

REFILLS = yaml.safe_load((RULES / "refills.yaml").read_text(encoding="utf-8"))["texts"]
LOCALES = ["nl", "de", "en"]


def _instead(answer: dict) -> str:
    (text,) = [n["text"] for n in answer["notices"] if n["code"].startswith("instead:")]
    return text


def test_f1_a_product_taken_is_stopped_not_taken_out_of_the_basket(client):
    """A child of 2 on a calcium + D3 for 12+, with an omega-3 + D softgel in the basket: the
    notice for the basket's softgel stops the calcium + D3 too, and said to take both "out of
    your basket"; the child is given the calcium + D3 every day."""
    profile = {"age": 2, "country": "NL", "current_supplements": [{"sku": "GR-CAD3-VEGAN-TAB"}]}
    body = {"profile": profile, "basket": [{"sku": "XF-OMEGA3-D3-SG"}]}
    text = _instead(recommend(client, body))
    taken = "GreenRoots Vegan Calcium + Vitamin D3 Tablets"
    # both stopped, in the order of the products replaced (session 44: joined as one group,
    # the two together past the child's dose band, review s43a F1)
    stop = text.split("Stop ", 1)[1].split(" before you start", 1)[0]
    assert set(stop.split(" and ")) == {"XTRA FUEL Omega-3 + Vitamin D3 Softgels", taken}, text
    assert f"{taken} out of your basket" not in text, text
    assert "Take XTRA FUEL Omega-3 + Vitamin D3 Softgels out of your basket" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_f4_a_supply_that_ran_out_is_not_told_before_it_runs_out(redis_url, locale):
    client = dated_client(redis_url, dt.date(2026, 12, 5))
    profile = {"age": 66, "sex": "male", "country": "NL", "medications": ["vitamin_k_antagonist"]}
    store_customer(client, "s30c-k1", profile, {"XF-K2-MK7-100-CAP": "2026-07-25"})
    body = client.get("/v1/customers/s30c-k1/refills", query_string={"locale": locale})
    (left,) = body.get_json()["reorder"]["left_out"]
    words = {"nl": "voordat het op is", "de": "bevor es aufgebraucht", "en": "before it runs out"}
    assert words[locale] not in left["advice"], left["advice"]
    assert "INR" in left["advice"]


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 55, "sex": "female", "country": "NL", "conditions": ["sarcoidosis"]},
        {"age": 30, "sex": "female", "country": "NL", "medications": ["active_vitamin_d"]},
    ],
    ids=["sarcoidosis", "active-vitamin-d"],
)
def test_f5_no_vitamin_d_to_make_up_beside_a_medicine_or_condition_that_keeps_it_out(
    client, profile
):
    """Unsafe: "What we name here gives no vitamin D; the Dutch Health Council advises 10 µg
    ... Ask your pharmacist how to make it up" to a woman with sarcoidosis or on active
    vitamin D, after the multivitamin that gave it is stopped."""
    body = {"profile": {**profile, "diet": "vegan"}}
    body["profile"]["current_supplements"] = [{"sku": "XF-MULTI-WOMEN"}]
    text = _instead(recommend(client, body))
    assert "vitamin D" not in text.split("before you start")[-1], text


def test_f9_a_basket_text_for_several_products_is_plural_safe():
    """The basket text beside several products named: not "do not take it together with
    them" of a list of products."""
    texts = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))
    for text in texts["texts"]["notice_instead_basket_only_many"].values():
        assert text.count("{name}") == 3, text


def test_f2_refills_leave_a_childs_calcium_d3_k2_out_rather_than_lose_its_calcium(redis_url):
    """A boy of 10 in DE with a doctor's 500 mg calcium: his calcium + D3 + K2 runs out. The
    drops /refills named in its place said nothing of the calcium lost (a product of three
    nutrients counted as a multivitamin); it is left out with "ask your pharmacist", as the
    calcium + D3 chew is, and the list names the drops saying the calcium is left open."""
    client = dated_client(redis_url, dt.date(2026, 12, 5))
    profile = {"age": 10, "sex": "male", "country": "DE"}
    profile["higher_dose_advised"] = {"calcium_mg": 500}
    store_customer(client, "s30c-b3", profile, {"VL-CAD3K2-TAB": "2026-09-10"})
    body = client.get("/v1/customers/s30c-b3/refills?locale=en").get_json()
    assert body["reorder"]["items"] == []
    assert [e["sku"] for e in body["reorder"]["left_out"]] == ["VL-CAD3K2-TAB"]
    taking = {**profile, "current_supplements": [{"sku": "VL-CAD3K2-TAB"}]}
    text = _instead(recommend(client, {"profile": taking}))
    assert "gives no calcium" in text, text


def test_f7_a_reason_does_not_count_a_product_the_answer_says_does_not_suit(redis_url):
    """A girl of 2 in DE: the drops named for her 25 µg softgel that runs out said "with the
    10 µg from your other supplements that is 20 µg", the 10 µg of a calcium + D3 for 12+
    that lasts and that the same answer says does not fit her (/refills and the e-mail; the
    list did the same of a product taken that does not suit: review s30a F3)."""
    client = dated_client(redis_url, dt.date(2026, 12, 5))
    bought = {"XF-D3-25-SG": "2026-08-17", "GR-CAD3-VEGAN-TAB": "2026-12-04"}
    store_customer(client, "s30c-d1", {"age": 2, "sex": "female", "country": "DE"}, bought)
    body = client.get("/v1/customers/s30c-d1/refills?locale=en").get_json()
    email = client.get("/v1/customers/s30c-d1/recommendations?locale=en&placement=email")
    items = body["reorder"]["items"] + email.get_json()["items"]
    assert items
    for item in items:
        for reason in item["reasons"]:
            assert "other supplements" not in reason["text"], reason
