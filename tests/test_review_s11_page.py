"""Review s11 F6 and F5b: the product page's alternatives for a product that does not suit.

F6: a man of 45 on a vitamin K antagonist on the page of the 75 µg D3 + 200 µg K2 tablet heard
"We have no other product for the same need that suits your profile", while plain D3 of 10-25
µg suits him (he has no vitamin D advice, but the shop sells D3 to adults and his dose band
allows 37.5 µg) and is what he is offered as an alternative on the page of a plain D3 that
suits him. The alternatives of an unsuited page product asked for a need of the profile only.
Now, where the profile has no need of that kind, they are what would be an alternative on a
suited page: every safety mask, the dose band, no more of a nutrient than the comparable window
around the page product, nothing a goal may not bring the profile (scoring.yaml
`lists.goal_indication`: calcium to a boy of 13, F5b) and no extra nutrient that is a concern.
The `no_items` text of such a page no longer says that nothing suits where something would.

Oracle: tests/oracle.py and the catalog YAML (assert_safe of the contract's guarantees), the
dose band from scoring.yaml and targets.yaml. Seen failing before the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import memory_app, notice_texts, recommend

from .oracle import PRODUCTS, per_day
from .test_placement_safety import assert_placement_promises
from .test_safety_properties import assert_safe

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "rules" / "reference"
SCORING = yaml.safe_load((REFERENCE / "scoring.yaml").read_text(encoding="utf-8"))
TARGETS = yaml.safe_load((REFERENCE / "targets.yaml").read_text(encoding="utf-8"))
PLACEMENTS = yaml.safe_load((ROOT / "rules" / "placements.yaml").read_text(encoding="utf-8"))
ROLES = SCORING["lists"]["roles"]
RATIO = float(PLACEMENTS["alternatives"]["max_dose_ratio"])
K = ("vitamin_k1_ug", "vitamin_k2_ug")
VKA_MAN = {"age": 45, "sex": "male", "medications": ["vitamin_k_antagonist"]}
BOY = {"age": 13, "sex": "male"}
SWEEP = {
    "vka-45": VKA_MAN,
    "vka-68": {"age": 68, "sex": "female", "medications": ["vitamin_k_antagonist"]},
    "vegan-30": {"age": 30, "sex": "female", "diet": "vegan"},
    "pregnant-30": {"age": 30, "sex": "female", "life_stage": "pregnant"},
    "boy-13": BOY,
    "woman-70": {"age": 70, "sex": "female"},
    "man-70": {"age": 70, "sex": "male"},
}
# no_items texts (en) that say nothing else suits or fits the profile
NONE_SUITS = ("suits your profile", "safely fits")


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


def _page(client, profile: dict[str, Any], sku: str) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = {"profile": profile, "placement": "product_page", "product_sku": sku, "limit": 4}
    return raw, recommend(client, raw, "en")


def _gives(sku: str) -> set[str]:
    return {k for k, v in per_day(PRODUCTS[sku]).items() if v > 0}


def _reference_intake(nutrient: str, age: int) -> float:
    return max(
        float(r["amount"])
        for r in TARGETS["reference_intakes"]
        if r["nutrient"] == nutrient and r["min_age"] <= age <= r["max_age"]
    )


def test_f6_plain_d3_for_a_man_on_an_anticoagulant_on_the_d3_k2_page(client):
    raw, answer = _page(client, VKA_MAN, "XF-D3K2-TAB")
    notices = notice_texts(answer)
    assert "page_product_not_suited" in notices and "no_advice" in notices, notices
    items = [i for i in answer["items"] if i["strategy"] == "alternatives"]
    assert items, notices
    assert_placement_promises(raw, answer)
    band = SCORING["dose_band"]["factor"] * _reference_intake("vitamin_d_ug", VKA_MAN["age"])
    page = per_day(PRODUCTS["XF-D3K2-TAB"])["vitamin_d_ug"]
    for item in items:
        amounts = per_day(PRODUCTS[item["sku"]])
        assert amounts.get("vitamin_d_ug"), item["sku"]
        assert not any(amounts.get(k) for k in K), item["sku"]
        assert amounts["vitamin_d_ug"] <= min(band, page * RATIO) + 1e-9, item["sku"]


def test_f6_the_same_as_on_a_suited_page_and_as_for_a_woman_with_an_advice(client):
    """What he is offered instead of the unsuited page product, he is offered on the page of
    a plain D3 that suits him too (within the band); the woman of 68 keeps hers."""
    _, answer = _page(client, VKA_MAN, "XF-D3K2-TAB")
    unsuited = {i["sku"] for i in answer["items"] if i["strategy"] == "alternatives"}
    suited_page = min(unsuited, key=lambda s: per_day(PRODUCTS[s])["vitamin_d_ug"])
    _, other = _page(client, VKA_MAN, suited_page)
    assert "page_product_not_suited" not in notice_texts(other)
    assert {i["sku"] for i in other["items"] if i["strategy"] == "alternatives"}
    _, woman = _page(client, SWEEP["vka-68"], "XF-D3K2-TAB")
    assert [i for i in woman["items"] if i["strategy"] == "alternatives"]


def test_f5b_no_calcium_for_a_boy_of_13_without_an_advice(client):
    """Calcium pages: a boy of 13 has no calcium advice and EFSA sets no upper limit below 18;
    a page product that does not suit him (the adult 1000 mg calcium + D3) brings him no
    calcium in its place (lists.goal_indication: calcium only for an advice, rule or doctor)."""
    rule = SCORING["lists"]["goal_indication"]["calcium_mg"]
    assert BOY["age"] < rule["min_age"]
    calcium_pages = [s for s in PRODUCTS if "calcium_mg" in _gives(s)]
    checked = 0
    for sku in calcium_pages:
        raw, answer = _page(client, BOY, sku)
        assert_placement_promises(raw, answer)
        if "page_product_not_suited" not in notice_texts(answer):
            continue
        checked += 1
        for item in answer["items"]:
            assert "calcium_mg" not in _gives(item["sku"]), (sku, item["sku"])
    assert checked, "no calcium page the boy is not suited for"


def _main(sku: str) -> set[str]:
    product = PRODUCTS[sku]
    role = ROLES.get(product["category"], product["category"])
    return {k for k in _gives(sku) if k.rsplit("_", 1)[0] == role}


def _oracle_safe_alike(raw: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """Other catalog products giving the page product's main nutrient (a multivitamin: of its
    category) that pass every guarantee of the contract for the request, by the oracle."""
    sku = raw["product_sku"]
    main = _main(sku)
    safe = []
    for other in PRODUCTS:
        if other == sku:
            continue
        if main and not main & _gives(other):
            continue
        if not main and PRODUCTS[other]["category"] != PRODUCTS[sku]["category"]:
            continue
        item = {"sku": other, "nutrients_per_day": per_day(PRODUCTS[other])}
        try:
            assert_safe(
                raw,
                {"intake": answer["intake"], "items": [{**item, "reasons": [], "warnings": []}]},
            )
        except AssertionError:
            continue
        safe.append(other)
    return safe


@pytest.mark.parametrize("name", sorted(SWEEP))
def test_sweep_no_unsuited_page_says_nothing_suits_where_something_does(client, name):
    """Every catalog page: where the product does not suit and nothing is offered, `no_items`
    says nothing else suits the profile only where the oracle finds no product of the same
    main nutrient that passes every guarantee."""
    checked = 0
    for sku in PRODUCTS:
        raw, answer = _page(client, SWEEP[name], sku)
        notices = notice_texts(answer)
        if answer["items"] or "page_product_not_suited" not in notices:
            continue
        checked += 1
        if any(claim in notices["no_items"] for claim in NONE_SUITS):
            safe = _oracle_safe_alike(raw, answer)
            assert not safe, (sku, notices["no_items"], safe)
    assert checked or name != "boy-13", "the boy of 13 has unsuited pages without items"


@pytest.mark.parametrize("name", ["woman-70", "man-70", "boy-13", "vka-45"])
def test_an_out_of_stock_page_product_is_not_called_unsuited(client, name):
    """Out of stock says nothing about the person: the bare "does not suit your profile"
    (no reason to name) was said of the out-of-stock women's 50+ multivitamin to a woman of 70
    whom it suits by every guarantee."""
    texts = PLACEMENTS["texts"]
    bare = {texts[k]["en"] for k in texts if k.startswith("notice_page_product_not_suited")}
    bare = {t for t in bare if "{" not in t}
    checked = 0
    for sku, product in PRODUCTS.items():
        if product.get("in_stock", True):
            continue
        raw, answer = _page(client, SWEEP[name], sku)
        item = {"sku": sku, "nutrients_per_day": per_day(product), "reasons": [], "warnings": []}
        try:  # the page product itself passes every guarantee for the person (the oracle)
            assert_safe(raw, {"intake": answer["intake"], "items": [item]})
        except AssertionError:
            continue
        checked += 1
        assert notice_texts(answer).get("page_product_not_suited") not in bare, (sku, name)
    assert checked


def test_a_suited_page_with_nothing_beside_it_does_not_say_nothing_fits(client):
    """Review 11 (s11-page report): a boy of 13 on the page of a calcium + D3 the catalog
    allows from 12 got no item and "We found no product that safely fits your profile" next to
    a page product that suits him; the answer now says there is nothing else to suggest."""
    body = {
        "profile": {"age": 13, "sex": "male"},
        "placement": "product_page",
        "product_sku": "GR-CAD3-VEGAN-TAB",
        "locale": "en",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    codes = {n["code"] for n in answer["notices"]}
    assert "page_product_not_suited" not in codes, "the case needs a page product that suits"
    assert not answer["items"]
    (notice,) = [n for n in answer["notices"] if n["code"] == "no_items"]
    assert notice["text"] == PLACEMENTS["texts"]["notice_no_items_page"]["en"]
