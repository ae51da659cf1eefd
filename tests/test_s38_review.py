"""Session 38: the order of the lines decided what a list names in place of products that do
not suit (review s38b: 50 of 2,400 random profiles answered otherwise with their current
supplements or basket in another order, 13 of them naming a replacement for a product in one
order and nothing in the other).

A vegan of 52 with an omega-3 + D3 softgel and a calcium + D3 tablet in her basket, neither
vegan, was named a vegan omega-3 + D3 in place of the softgel and a calcium in place of the
tablet; with the tablet first, a vegan calcium + D3 in its place, and for the softgel only "ask
your pharmacist". The products that do not suit are now taken in an order of their own (the
multivitamins first, then the catalog's), and where that order leaves a product without a
replacement or an advice short, the other orders of its groups are tried too: the first that
leaves the fewest is named. Every order was an answer the list could give before; which one is
no longer up to the shop's basket order.

Expectations from the catalog (oracle) and the answers' own fields."""

from __future__ import annotations

import datetime as dt
import json
import re
from itertools import permutations
from pathlib import Path

import pytest
import yaml

from .conftest import dated_client, memory_app, notice_texts, recommend, store_customer
from .oracle import PRODUCTS, expected_food, expected_upper_limit, per_day

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


def _substance(answer: dict, lines: set[str]) -> tuple:
    """What an answer advises, whatever the order of its lines: the items, the notice codes
    (any `instead:` as one), the products named in place of others, and the products that do
    not suit with nothing named in their place."""
    texts = notice_texts(answer)
    instead = " ".join(t for c, t in texts.items() if c.startswith("instead:"))
    named = {s for s, p in PRODUCTS.items() if s not in lines and p["name"]["en"] in instead}
    unsuited = {c.split(":", 1)[1] for c in texts if c.startswith("product_not_suited:")}
    alone = {s for s in unsuited if PRODUCTS[s]["name"]["en"] not in instead}
    codes = {"instead" if c.startswith("instead:") else c for c in texts}
    items = {(i["sku"], i.get("servings_per_day")) for i in answer["items"]}
    return frozenset(items), frozenset(codes), frozenset(named), frozenset(alone)


def _every_order(client, profile: dict, taken: list[str], basket: list[str], placement: str | None):
    lines = set(taken) | set(basket)
    for some in permutations(taken):
        for other in permutations(basket):
            body = {
                "profile": {**profile, "current_supplements": [{"sku": s} for s in some]},
                "basket": [{"sku": s} for s in other],
                **({"placement": placement} if placement else {}),
            }
            yield (some, other), _substance(recommend(client, body), lines)


VEGAN_52 = {"age": 52, "sex": "other", "country": "DE", "diet": "vegan"}
VEGAN_91 = {"age": 91, "sex": "male", "country": "NL", "diet": "vegan", "allergies": ["fish"]}
CASES = {
    # s38b F1: the softgel's replacement, or nothing for it, by the basket's order
    "vegan 52, omega-3 + D3 and calcium + D3 in the basket": (
        {**VEGAN_52, "conditions": ["bariatric_surgery"], "sun_exposure": "high"},
        [],
        ["XF-OMEGA3-D3-SG", "XF-CAD3-1000-20-TAB"],
    ),
    # s38b #223: which of the D3 and the kids' omega-3 chew got nothing, 20 or 12.5 µg
    "vegan 91, calcium chew, kids' omega-3 chew and a D3 in the basket": (
        VEGAN_91,
        [],
        ["NV-CA-400-CHEW", "KV-OMEGA3-KIDS-CHEW", "BL-D3-20-70PLUS-TAB"],
    ),
    # s38b F2 #1344: 10 µg and "make up the rest", or 20 µg, by the order of what is taken
    "vegan woman of 66 on an anticonvulsant and four products": (
        {
            "age": 66,
            "sex": "female",
            "country": "DE",
            "diet": "vegan",
            "medications": ["anticonvulsant"],
        },
        ["VL-CAD3K2-TAB", "XF-MULTI-PREGNANCY", "GR-D3-KIDS-DROPS-VEGAN", "XF-D3-25-DROPS"],
        [],
    ),
    # s38b F3 #400: the list's own items changed (magnesium or a second calcium)
    "vegan 91, kids' magnesium chew beside D3 products": (
        {
            "age": 91,
            "sex": "unspecified",
            "country": "NL",
            "diet": "vegan",
            "allergies": ["fish", "soy"],
            "goals": ["muscles"],
        },
        ["XF-D3K2-TAB", "GR-D3-KIDS-DROPS-VEGAN", "KV-MG-KIDS-CHEW"],
        ["XF-FOLIC-D3-TAB"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_order_of_the_lines_decides_nothing(client, case) -> None:
    profile, taken, basket = CASES[case]
    answers = dict(_every_order(client, profile, taken, basket, None))
    first = next(iter(answers.values()))
    differing = {order: a for order, a in answers.items() if a != first}
    assert not differing, (first, differing)


@pytest.mark.parametrize("placement", ["cart", "checkout", "account"])
def test_the_placements_follow_no_order_either(client, placement) -> None:
    profile, taken, basket = CASES["vegan 91, kids' magnesium chew beside D3 products"]
    answers = {a for _, a in _every_order(client, profile, taken, basket, placement)}
    assert len(answers) == 1, answers


def test_an_order_that_replaces_every_product_is_the_one_named(client) -> None:
    """s38b F1: of the orders, one names something in place of both basket products that do
    not suit: that one is the answer, whatever the basket's order."""
    profile, taken, basket = CASES["vegan 52, omega-3 + D3 and calcium + D3 in the basket"]
    for order, (_, _, named, alone) in _every_order(client, profile, taken, basket, None):
        assert not alone, (order, alone)
        assert all(PRODUCTS[s]["vegan"] for s in named), named


def test_a_vegan_of_91_is_named_the_vitamin_d_advised_at_his_age(client) -> None:
    """s38b #223: the kids' omega-3 chew and the 70+ D3 cannot both be replaced beside each
    other. One order named a vegan D3 for the D3 and nothing for the chew (its omega-3 lost),
    the other an algae omega-3 with 25 µg of vitamin D a day for the chew: the omega-3 kept and
    at least the 20 µg the Health Council advises from 70, in every order."""
    profile, taken, basket = CASES[
        "vegan 91, calcium chew, kids' omega-3 chew and a D3 in the basket"
    ]
    for order, (_, _, named, _) in _every_order(client, profile, taken, basket, None):
        vitamin_d = sum(per_day(PRODUCTS[s]).get("vitamin_d_ug", 0.0) for s in named)
        assert vitamin_d >= 20, (order, named)
        assert any("omega3_mg" in per_day(PRODUCTS[s]) for s in named), (order, named)


def test_a_vegan_of_66_is_named_her_whole_vitamin_d(client) -> None:
    """s38b #1344: in one order a calcium + D3 of 10 µg with "make up the rest" (DGE: 20 µg),
    in the other a 20 µg D3 beside calcium and B12: the order that leaves no advice short."""
    profile, taken, _ = CASES["vegan woman of 66 on an anticonvulsant and four products"]
    body = {"profile": {**profile, "current_supplements": [{"sku": s} for s in taken]}}
    texts = notice_texts(recommend(client, body))
    instead = " ".join(t for c, t in texts.items() if c.startswith("instead:"))
    assert "make up the rest" not in instead, instead


# ---------------------------------------------------------------- review s38a (texts)
def _translated(node, path: str, out: list) -> list:
    """Every mapping of a data file with an `en`, `nl` and `de` text: (path, mapping)."""
    if isinstance(node, dict):
        if all(isinstance(node.get(k), str) for k in ("en", "nl", "de")):
            out.append((path, node))
        for key, value in node.items():
            _translated(value, f"{path}.{key}", out)
    elif isinstance(node, list):
        for k, value in enumerate(node):
            _translated(value, f"{path}[{k}]", out)
    return out


def _numbers(text: str) -> list[str]:
    """The numbers a text says, not of a name (B12, D3, omega-3, pyridoxal 5'-phosphate) or a
    placeholder."""
    text = re.sub(r"\{[^}]*\}", "", text)
    return sorted(n.replace(",", ".") for n in re.findall(r"(?<![\w-])\d+(?:[.,]\d+)?(?!')", text))


def test_every_text_says_the_same_numbers_in_every_language() -> None:
    """s38a F2: the Dutch rule text said children "van 0 tot 4 jaar", the English and German
    "0 to 3": the same advice, other numbers on the page of each language."""
    files = sorted((ROOT / "rules").rglob("*.yaml")) + [ROOT / "catalog" / "products.yaml"]
    differing = [
        (path, {k: _numbers(node[k]) for k in ("en", "nl", "de")})
        for f in files
        for path, node in _translated(yaml.safe_load(f.read_text()), f.name, [])
        if not _numbers(node["en"]) == _numbers(node["nl"]) == _numbers(node["de"])
    ]
    assert not differing, differing


def test_the_german_levothyroxine_warning_says_apart_from_what() -> None:
    """s38a F3: "Nehmen Sie Calcium, Magnesium und Eisen mit mindestens 4 Stunden Abstand"
    reads as 4 hours between those three; it is 4 hours from the levothyroxine."""
    interactions = yaml.safe_load((ROOT / "rules" / "reference" / "interactions.yaml").read_text())
    texts = [
        i["text"]["de"]
        for i in interactions["interactions"]
        if "levothyroxine" in i["trigger"].get("medications", []) and "4 Stunden" in i["text"]["de"]
    ]
    assert texts and all("zu Ihrem Levothyroxin" in t for t in texts), texts


# ---------------------------------------------------------------- review s38d (/refills)
TODAY_S38 = dt.date(2026, 12, 7)


def _stored(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> str:
    """Store `profile` with purchases (SKU, days before TODAY_S38); the customer's path."""
    purchases = [(sku, TODAY_S38 - dt.timedelta(days=ago)) for sku, ago in bought]
    store_customer(client, customer_id, profile, purchases)
    return f"/v1/customers/{customer_id}"


def _reorder_day(client, profile: dict, bought: list[tuple[str, int]], nutrient: str) -> float:
    """A stored customer's /refills: what the reorder proposes of `nutrient` a day, beside every
    current supplement the profile names that the reorder leaves out (still taken: the
    customer says so), with the food allowance."""
    answer = client.get(f"{_stored(client, 's38d', profile, bought)}/refills?locale=en").get_json()
    items = answer["reorder"]["items"]
    proposed = {i["sku"] for i in items}
    left = {i["sku"] for i in answer["reorder"]["left_out"]}
    said = [x["sku"] for x in profile["current_supplements"] if x["sku"] not in proposed]
    assert set(said) & left, answer  # the case: a product the profile names is left out
    day = sum(per_day(PRODUCTS[i["sku"]], i["servings_per_day"]).get(nutrient, 0.0) for i in items)
    day += sum(per_day(PRODUCTS[sku]).get(nutrient, 0.0) for sku in said)
    return day + expected_food(profile, nutrient)


def test_refills_count_a_current_supplement_left_out_of_the_reorder(redis_url) -> None:
    """s38d F1 (unsafe): a vegan of 92 says he takes a 75 µg D3 + K2 whose purchases here ran
    out 55 days ago; /refills left it out and proposed a 20 µg D3 in place of kids' gummies:
    95 µg, 105 µg with food, against 100."""
    client = dated_client(redis_url, TODAY_S38)
    profile = {
        "age": 92,
        "sex": "male",
        "country": "DE",
        "diet": "vegan",
        "current_supplements": [{"sku": "XF-D3K2-TAB"}],
    }
    bought = [("XF-D3K2-TAB", 295), ("XF-D3K2-TAB", 227), ("KV-MULTI-KIDS-GUMMY", 59)]
    day = _reorder_day(client, profile, bought, "vitamin_d_ug")
    assert day <= expected_upper_limit("vitamin_d_ug", 92, "none"), day


def test_refills_keep_calcium_within_the_limit_beside_a_multivitamin_taken(redis_url) -> None:
    """s38d F5: a 500 mg calcium in place of a women's multivitamin beside a vegan
    multivitamin she names (100 mg), its purchase run out: 2,600 mg with food against 2,500."""
    client = dated_client(redis_url, TODAY_S38)
    taken = ["GR-D3-20-SPRAY-VEGAN", "VL-MULTI-WOMEN50", "NV-COD-LIVER-OIL", "GR-MULTI-VEGAN"]
    profile = {
        "age": 45,
        "sex": "other",
        "country": "DE",
        "diet": "vegan",
        "medications": ["corticosteroid"],
        "current_supplements": [{"sku": s} for s in taken],
    }
    bought = list(zip(taken, [91, 51, 52, 146], strict=True))
    day = _reorder_day(client, profile, bought, "calcium_mg")
    assert day <= expected_upper_limit("calcium_mg", 45, "none"), day


def test_the_email_reorders_a_pregnant_womans_folate_beside_gummies_it_says_to_stop(
    redis_url,
) -> None:
    """s38d F3: /refills, buy again and the account page reorder her active folate; the
    e-mail held it back "more folic acid than suits you" for kids' gummies (unsuitable in
    pregnancy as a product, 80 µg folic acid: 480 µg in all against 1,000) that the same
    e-mail tells her to stop."""
    client = dated_client(redis_url, TODAY_S38)
    profile = {
        "age": 37,
        "sex": "female",
        "country": "NL",
        "diet": "vegan",
        "life_stage": "pregnant",
        "medications": ["levothyroxine"],
        "current_supplements": [{"sku": "KV-MULTI-KIDS-GUMMY"}],
    }
    bought = [("GR-METHYLFOLATE-400-CAP", 80), ("KV-MULTI-KIDS-GUMMY", 39)]
    base = _stored(client, "s38d-f3", profile, bought)
    refills = client.get(f"{base}/refills?locale=en").get_json()["reorder"]["items"]
    assert "GR-METHYLFOLATE-400-CAP" in {i["sku"] for i in refills}, refills
    email = client.get(f"{base}/recommendations?placement=email&locale=en").get_json()
    assert "GR-METHYLFOLATE-400-CAP" in {i["sku"] for i in email["items"]}, email
    assert not any(n["code"].startswith("refill_held_back:") for n in email["notices"]), email


def test_buy_again_offers_nothing_beside_what_the_account_page_names(redis_url) -> None:
    """s38d F4: buy again offered a 20 µg D3 spray, where the account page (documented as the
    same list) named a 20 µg D3 in place of an A-Z multivitamin that no longer fits (iron with
    haemochromatosis): who followed both took two vitamin D products."""
    client = dated_client(redis_url, TODAY_S38)
    profile = {
        "age": 74,
        "sex": "other",
        "country": "NL",
        "diet": "vegetarian",
        "medications": ["bisphosphonate"],
        "conditions": ["haemochromatosis"],
    }
    bought = [("GR-D3-20-SPRAY-VEGAN", 212), ("BL-MULTI-AZ", 36)]
    base = _stored(client, "s38d-f4", profile, bought)
    account = client.get(f"{base}/recommendations?placement=account&locale=en").get_json()
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    shown = {i["sku"] for i in account["items"]}
    assert {i["sku"] for i in again} <= shown, (again, account["items"])


OTHER_STAGE = {"en": "breastfeeding", "nl": "borstvoeding", "de": "Stillzeit"}


@pytest.mark.parametrize("locale", sorted(OTHER_STAGE))
def test_a_pregnant_woman_is_told_of_pregnancy_not_of_breastfeeding(client, locale) -> None:
    """s38a F4: the cod-liver oil's page told a pregnant woman its 250 µg of retinol is more
    than the 0 µg "that suits pregnancy or breastfeeding" and that it is "not suitable during
    pregnancy or breastfeeding"; the 0 µg is pregnancy's maximum and the oil suits
    breastfeeding (the catalog's flag), as its page tells a breastfeeding woman."""
    profile = {"age": 34, "sex": "female", "country": "NL", "life_stage": "pregnant"}
    page = {"placement": "product_page", "product_sku": "NV-COD-LIVER-OIL"}
    texts = notice_texts(recommend(client, {"profile": profile, **page}, locale))
    taken = {**profile, "current_supplements": [{"sku": "XF-MULTI-WOMEN"}]}
    texts |= notice_texts(recommend(client, {"profile": taken}, locale))
    said = [texts["page_product_not_suited"], texts["product_not_suited:XF-MULTI-WOMEN"]]
    assert not any(OTHER_STAGE[locale] in text for text in said), said


def test_refills_stop_nothing_for_a_pack_no_longer_proposed(redis_url) -> None:
    """s38f F1: a reorder held back beside what the profile names (a pregnant vegan's vegan
    multivitamin beside a 20 µg D3 she names: above the 25 µg of pregnancy) still told her to
    stop her lasting D3 "when you start the new pack of GreenRoots Vegan Multivitamin"."""
    client = dated_client(redis_url, TODAY_S38)
    profile = {
        "age": 30,
        "sex": "female",
        "country": "NL",
        "diet": "vegan",
        "life_stage": "pregnant",
        "current_supplements": [{"sku": "GR-MULTI-VEGAN"}, {"sku": "XF-D3-20-TAB"}],
    }
    bought = [("GR-MULTI-VEGAN", 88), ("XF-D3-20-TAB", 150), ("GR-D3-20-TAB", 1)]
    answer = client.get(f"{_stored(client, 's38f', profile, bought)}/refills?locale=en").get_json()
    proposed = {i["name"] for i in answer["reorder"]["items"]}
    starts = re.findall(
        r"when you start the new pack of (.+?):", json.dumps(answer, ensure_ascii=False)
    )
    assert set(starts) <= proposed, (starts, proposed)
