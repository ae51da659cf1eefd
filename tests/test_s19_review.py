"""Session 19: the gaps session 18 left open and the findings of this session's reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.core.errors import DataFileError
from service.core.reference_load import load_reference

from .conftest import buy_again_lists, notice_texts, recommend, store_customer

REFERENCE = Path(__file__).resolve().parents[1] / "rules" / "reference"


def test_buy_again_keeps_the_folic_acid_a_plain_d3_bought_more_often_would_push_out(client):
    """Session 18 re-review F7: a pregnant woman who bought a 20 µg D3 three times, a folic acid
    + 10 µg D3 tablet and the pregnancy multivitamin once each (all run out) was offered the D3
    alone: listed most bought first, it left no room for the other two below the 25 µg of
    vitamin D that suits pregnancy, and buy-again had no folic acid. Buy-again now chooses by
    the advice each product serves and lists most bought first; the folic acid tablet, which
    adds only what the multivitamin gives, is not offered beside it."""
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    bought = [
        ("XF-D3-20-TAB", "2025-01-01"),
        ("XF-D3-20-TAB", "2025-05-01"),
        ("XF-D3-20-TAB", "2025-09-01"),
        ("XF-FOLIC-D3-TAB", "2026-05-01"),
        ("XF-MULTI-PREGNANCY", "2026-06-01"),
    ]
    store_customer(client, "s19-f7", profile, bought)
    for items in buy_again_lists(client, "s19-f7"):
        skus = [i["sku"] for i in items]
        assert skus[0] == "XF-MULTI-PREGNANCY", skus
        assert "XF-FOLIC-D3-TAB" not in skus and "XF-D3-20-TAB" not in skus, skus


def test_buy_again_lists_most_bought_first_among_what_it_keeps(client):
    """The order buy-again shows stays packs first: a D3 bought twice before a folic acid tablet
    bought once, though the folic acid was chosen first (both fit together)."""
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    bought = [
        ("XF-D3-10-TAB", "2025-01-01"),
        ("XF-D3-10-TAB", "2025-06-01"),
        ("BL-FOLIC-400-TAB", "2026-06-01"),
    ]
    store_customer(client, "s19-order", profile, bought)
    items = client.get("/v1/customers/s19-order/buy-again?locale=en").get_json()["items"]
    assert [i["sku"] for i in items] == ["XF-D3-10-TAB", "BL-FOLIC-400-TAB"]


def _suggestion(client, profile: dict, basket: list[dict], locale: str = "en") -> dict:
    body = {"profile": profile, "basket": basket, "locale": locale}
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["suggestion"]


def test_the_intake_checks_add_keeps_an_authoritys_advice_before_our_own_aim(client):
    """Review 19 F1: the check's one product to add was the least shortfall summed over every
    gap, so a pregnant woman with liquid iron in her basket was told to add the vegan
    multivitamin (200 of the advised 400 µg folic acid, 25 µg vitamin D) for our own iodine aim,
    and a vegan in DE a calcium + 10 µg D3 (10 of the DGE's 20 µg) for our calcium aim. The gaps
    now count tier by tier (targets.yaml `priorities`), as the regimen solves them."""
    pregnant = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    assert _suggestion(client, pregnant, [{"sku": "GR-IRON-LIQUID"}])["sku"] == "XF-FOLIC-D3-TAB"
    vegan_de = {"age": 29, "country": "DE", "diet": "vegan"}
    added = _suggestion(client, vegan_de, [{"sku": "BL-B12-100-TAB"}])
    assert added["sku"] in ("GR-D3-20-TAB", "GR-D3-20-SPRAY-VEGAN"), added
    assert "20 of the advised 20 µg vitamin D" in added["text"]


def test_folic_acid_comes_first_in_pregnancy_where_one_product_must_choose(client):
    """Review 19 F1: a pregnant vegan taking B12 was told to add calcium + 10 µg D3 and nothing
    for folic acid: folic acid and vitamin D were one tier, and our calcium aim broke the tie.
    Folic acid in pregnancy is the advice with the strongest evidence (targets.yaml priority
    `first`); the one-product regimen chooses it too."""
    profile = {"age": 35, "sex": "female", "life_stage": "pregnant", "diet": "vegan"}
    added = _suggestion(client, profile, [{"sku": "BL-B12-100-TAB"}])
    assert "folic acid" in added["text"] and "400 of our suggested 400 µg" in added["text"]
    body = {
        "profile": {**profile, "current_supplements": [{"sku": "BL-B12-100-TAB"}]},
        "max_products": 1,
        "locale": "en",
    }
    regimen = client.post("/v1/regimens", json=body).get_json()
    assert regimen["targets"]["folic_acid_ug"]["status"] == "achieved", regimen["targets"]


def test_a_total_past_our_own_aim_is_not_called_the_advice(client):
    """Review 19 F3: "500 mg calcium in all, at or above the advised 300 mg" for our own calcium
    aim for vegans (nl "op of boven het advies van", de "die empfohlenen")."""
    profile = {"age": 30, "sex": "male", "diet": "vegan"}
    words = {"en": "at or above our suggested 300 mg", "nl": "door ons voorgestelde 300 mg"}
    words["de"] = "mindestens die von uns vorgeschlagenen 300 mg"
    for locale, expected in words.items():
        text = _suggestion(client, profile, [{"sku": "BL-B12-100-TAB"}], locale)["text"]
        assert expected in text, text


def test_not_indicated_gives_no_iron_reason_for_a_childs_calcium(client):
    """Review 19 F4: a child's product page (and a child's refills) said calcium "is not for
    you: your food gives what you need, and your body stores it" (the iron text; calcium is held
    back under 18 because EFSA set no upper limit there), and "iron and calcium is"."""
    body = {
        "profile": {"age": 7, "sun_exposure": "low"},
        "placement": "product_page",
        "product_sku": "XF-MULTI-WOMEN",
        "locale": "en",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    (text,) = [n["text"] for n in answer["notices"] if n["code"] == "page_product_not_indicated"]
    assert "calcium" in text and "stores" not in text and " is not for you" not in text
    store_customer(client, "s19-f4", {"age": 5}, [("KV-MULTI-KIDS-CHEW", "2026-09-01")])
    refills = client.get("/v1/customers/s19-f4/refills?locale=en").get_json()["refills"]
    (why,) = [w["text"] for e in refills for w in e["why"] if w["code"] == "not_indicated"]
    assert "calcium" in why and "stores" not in why and "calcium is" not in why


def test_a_child_taking_vitamin_d_drops_is_offered_no_second_vitamin_d_product(client):
    """Review 19 F2: a German child of 1 to 10 taking 10 µg vitamin D drops was offered a
    second drops product (at 3 a gummy, at 6 a chew) to reach the DGE's 20 µg for total intake,
    by the list, the intake check and the regimen: two bottles of one vitamin for a small child
    are easily given twice. One product; the notice says whom to ask about a higher dose."""
    for age in (1, 3, 6, 10):
        profile = {
            "age": age,
            "country": "DE",
            "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}],
        }
        answer = recommend(client, {"profile": profile})
        assert not _d_items(answer)
        notices = notice_texts(answer)
        assert (
            "needs more, and how to give it with one product" in notices["one_source:vitamin_d_ug"]
        )
        assert "Tell us more" not in notices.get("no_items", "")
        assert "safely" not in notices.get("no_items", "")
        check = client.post("/v1/intake/check", json={"profile": profile, "locale": "en"})
        suggestion = check.get_json().get("suggestion") or {}
        assert suggestion.get("code") != "add", suggestion
        body = {"profile": profile, "locale": "en"}
        regimen = client.post("/v1/regimens", json=body).get_json()
        assert regimen["totals"]["vitamin_d_ug"] == 10
        assert "no second product" in regimen["targets"]["vitamin_d_ug"]["why"]


def test_one_vitamin_d_product_for_a_child_holds_in_the_cart_and_in_buy_again(client):
    """The same for a basket (the cart's complements) and for what the child's parent bought."""
    profile = {"age": 4, "country": "DE"}
    body = {"profile": profile, "placement": "cart", "basket": [{"sku": "XF-D3-KIDS-DROPS"}]}
    items = client.post("/v1/recommendations", json={**body, "locale": "en"}).get_json()["items"]
    assert not [i for i in items if i["nutrients_per_day"].get("vitamin_d_ug")], items
    bought = [("KV-D3-KIDS-GUMMY", "2025-06-01"), ("XF-D3-KIDS-DROPS", "2025-09-01")]
    store_customer(client, "s19-f2", profile, bought)
    items = client.get("/v1/customers/s19-f2/buy-again?locale=en").get_json()["items"]
    assert len([i for i in items if i["nutrients_per_day"].get("vitamin_d_ug")]) == 1, items


def test_from_eleven_a_child_may_take_two_vitamin_d_products_as_before(client):
    """The rule's ages are data (scoring.yaml lists.one_source): at 11 the list tops up."""
    profile = {"age": 11, "country": "DE", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    answer = client.post("/v1/recommendations", json={"profile": profile, "locale": "en"})
    items = answer.get_json()["items"]
    assert [i for i in items if i["nutrients_per_day"].get("vitamin_d_ug")]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"nutrients": {"vitamin_q": 2.5}, "max_age": 10, "source": "s"}, "nutrient key"),
        ({"nutrients": {"vitamin_d_ug": 0}, "max_age": 10, "source": "s"}, "least amount"),
        ({"nutrients": {"vitamin_d_ug": 2.5}, "max_age": "ten", "source": "s"}, "whole years"),
        ({"nutrients": {"vitamin_d_ug": 2.5}, "max_age": 10}, "source"),
    ],
)
def test_a_broken_one_source_entry_is_refused_with_its_file_and_line(tmp_path, entry, words):
    """scoring.yaml `lists.one_source` is checked when the reference data load."""
    for path in REFERENCE.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    doc = yaml.safe_load((REFERENCE / "scoring.yaml").read_text("utf-8"))
    doc["lists"]["one_source"] = entry
    (tmp_path / "scoring.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_reference(tmp_path)
    (finding,) = [f for f in caught.value.findings if f.code == "one_source"]
    assert words in finding.message and finding.file.endswith("scoring.yaml")
    assert finding.line > 1


def test_a_pregnancy_multivitamin_is_replaced_by_folic_acid_and_iodine_not_folic_acid_alone(client):
    """Left open in session 18: in DE (vitamin D advice 20 µg) a pregnant woman's pregnancy
    multivitamin runs out beside a 20 µg D3 that lasts (30 µg together, above the 25 µg that
    suits pregnancy; the D3 stays, the multivitamin's 10 µg would not reach the advice). It was
    replaced by folic acid alone, and her iodine was lost. A multivitamin's replacement may now
    take a second product for an advice gap it served that the first leaves open; what they
    give is no longer called lost ("only source of ... folic acid ... iodine")."""
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant", "country": "DE"}
    store_customer(
        client,
        "s19-de",
        profile,
        [("XF-MULTI-PREGNANCY", "2026-09-01"), ("XF-D3-20-TAB", "2026-11-01")],
    )
    reorder = client.get("/v1/customers/s19-de/refills?locale=en").get_json()["reorder"]
    items = {i["sku"]: i for i in reorder["items"]}
    assert {i["replaces"] for i in items.values()} == {"XF-MULTI-PREGNANCY"}
    given = {k for i in items.values() for k in i["nutrients_per_day"]}
    assert {"folic_acid_ug", "iodine_ug"} <= given and "vitamin_d_ug" not in given, items
    for item in items.values():
        lost = [w["text"] for w in item["why"] if w["code"] == "only_source"]
        assert lost and "folic acid" not in lost[0] and "iodine" not in lost[0], lost
    email = client.get("/v1/customers/s19-de/recommendations?placement=email&locale=en")
    assert {i["sku"] for i in email.get_json()["items"]} == set(items)


def test_a_product_a_child_must_stop_is_no_first_source(client):
    """The equivalence run of session 19: a vegan boy of 8 with the A-Z multivitamin in his
    basket (not for his diet or age, 5 µg vitamin D) lost the vegan kids' drops: a product the
    answer tells him to take out is no source that a second product would double."""
    profile = {"age": 8, "country": "NL", "diet": "vegan", "goals": ["immunity"]}
    body = {"profile": profile, "basket": [{"sku": "BL-MULTI-AZ"}], "locale": "en"}
    answer = client.post("/v1/recommendations", json=body).get_json()
    assert "GR-D3-KIDS-DROPS-VEGAN" in [i["sku"] for i in answer["items"]]
    assert not [n for n in answer["notices"] if n["code"].startswith("one_source:")]


def test_a_childs_goal_gets_no_second_vitamin_d_product_and_hears_why(client):
    """An NL girl of 8 (no vitamin D advice) taking kids' drops, with the immunity goal, was
    offered a second drops product, a gummy and a chew with vitamin D; now none, and the notice
    says why without quoting an advice she does not have."""
    profile = {
        "age": 8,
        "country": "NL",
        "goals": ["immunity", "sport"],
        "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}],
    }
    body = recommend(client, {"profile": profile})
    assert not _d_items(body)
    notices = notice_texts(body)
    text = notices["one_source:vitamin_d_ug"]
    assert "double dose" in text and "advises" not in text and "gives 20" not in text


def _d_items(answer: dict) -> list[str]:
    """The SKUs of the answer's items that give vitamin D."""
    return [i["sku"] for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]


def _items_with_d(client, body: dict) -> list[str]:
    return _d_items(recommend(client, body))


KIDS_DROPS = "XTRA FUEL Vitamin D3 Kids Drops 10 µg"  # its English name


def _d_offered(answer: dict) -> bool:
    """Vitamin D offered: an item with it, or the kids' drops named in place of a product
    taken (review s30a F3: in place of the chew a child must stop, not beside it)."""
    instead = [n["text"] for n in answer["notices"] if n["code"].startswith("instead:")]
    return bool(_d_items(answer)) or any(f"we suggest {KIDS_DROPS}" in t for t in instead)


def test_a_childs_product_it_must_stop_or_a_trace_is_no_first_source(client):
    """Re-review 19b F1, F7: a fish-allergic child's omega-3 chew with fish (5 µg vitamin D, a
    product to stop) left it with no vitamin D offer; so did a label's 0.1 µg."""
    allergic = {"age": 5, "country": "DE", "allergies": ["fish"]}
    chew = [{"sku": "KV-OMEGA3-KIDS-CHEW"}]
    assert _d_offered(recommend(client, {"profile": {**allergic, "current_supplements": chew}}))
    trace = [{"label": "x", "nutrients": {"vitamin_d_iu": 4}}]
    assert _items_with_d(
        client, {"profile": {"age": 5, "country": "DE", "current_supplements": trace}}
    )


def test_a_childs_alternatives_replace_its_product_and_are_no_second_one(client):
    """Re-review 19b F2: the alternatives to the drops a child takes (GET form with a profile,
    and the product page) were all left out as second products; they replace it."""
    profile = {"age": 4, "country": "DE", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    response = client.post(
        "/v1/products/XF-D3-KIDS-DROPS/alternatives", json={"profile": profile, "locale": "en"}
    )
    assert response.status_code == 200 and response.get_json()["items"]
    page = {"profile": profile, "placement": "product_page", "product_sku": "XF-D3-KIDS-DROPS"}
    assert _items_with_d(client, page)


def test_a_childs_second_vitamin_d_product_is_not_reordered_beside_one_that_lasts(client):
    """Re-review 19b F3: a child of 5 with new drops (lasting to 2027) and a chew running out:
    /refills reordered the chew and the e-mail said "with the 10 µg from your other supplements
    that is 20 µg" beside the one-product notice. The chew is left out, saying why."""
    bought = [("XF-D3-KIDS-DROPS", "2026-11-20"), ("KV-D3-10-CHEW", "2026-06-01")]
    store_customer(client, "s19-k7", {"age": 5, "country": "DE"}, bought)
    reorder = client.get("/v1/customers/s19-k7/refills?locale=en").get_json()["reorder"]
    assert not reorder["items"]
    (left,) = reorder["left_out"]
    assert left["sku"] == "KV-D3-10-CHEW" and [w["code"] for w in left["why"]] == ["one_source"]
    assert "one product" in left["advice"] and "no safe alternative" not in left["advice"]
    email = client.get("/v1/customers/s19-k7/recommendations?placement=email&locale=en")
    assert not [i for i in email.get_json()["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]


def test_a_doctors_dose_for_a_child_is_the_doctors_to_divide(client):
    """Re-review 19b F4: a doctor's 20 µg for a child taking 10 µg drops got "no product that
    suits you and stays close to that dose": the one-product rule leaves a doctor's dose alone."""
    profile = {
        "age": 5,
        "country": "NL",
        "higher_dose_advised": {"vitamin_d_ug": 20},
        "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}],
    }
    answer = client.post("/v1/recommendations", json={"profile": profile, "locale": "en"})
    codes = [n["code"] for n in answer.get_json()["notices"]]
    assert "advice_unmet:vitamin_d_ug" not in codes and "one_source:vitamin_d_ug" not in codes
    assert _items_with_d(client, {"profile": profile})


def test_two_vitamin_d_products_for_a_child_are_warned_of(client):
    """Re-review 19b F6: drops taken and a gummy in the basket passed the intake check without
    a word, and the cart said "you get enough"; both now say to keep one."""
    profile = {"age": 4, "country": "NL", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    body = {"profile": profile, "basket": [{"sku": "KV-D3-KIDS-GUMMY"}], "locale": "en"}
    warnings = client.post("/v1/intake/check", json=body).get_json()["warnings"]
    (two,) = [w for w in warnings if w["code"] == "two_sources:vitamin_d_ug"]
    assert set(two["skus"]) == {"XF-D3-KIDS-DROPS", "KV-D3-KIDS-GUMMY"}
    cart = client.post("/v1/recommendations", json={**body, "placement": "cart"}).get_json()
    assert "two_sources:vitamin_d_ug" in [n["code"] for n in cart["notices"]]
    body["basket"] = [{"sku": "XF-D3-KIDS-DROPS"}]  # its next pack is no second product
    warnings = client.post("/v1/intake/check", json=body).get_json()["warnings"]
    assert not [w for w in warnings if w["code"].startswith("two_sources:")]


def _codes(answer: dict) -> list[str]:
    return [n["code"] for n in answer["notices"]]


def test_a_childs_vitamin_d_given_by_its_label_counts_as_its_one_product(client):
    """Re-review 19c F1: drops bought elsewhere and entered by label (Vigantol, 10 µg) were
    never counted (`None == None` with no page product): the German toddler got a second
    bottle of drops offered, added by the check and by the regimen."""
    label = {"label": "Vigantol Öl", "nutrients": {"vitamin_d_iu": 400}}
    profile = {"age": 5, "country": "DE", "current_supplements": [label]}
    assert not _items_with_d(client, {"profile": profile})
    check = client.post("/v1/intake/check", json={"profile": profile, "locale": "en"})
    assert (check.get_json().get("suggestion") or {}).get("code") != "add"


def test_a_doctors_dose_for_a_child_is_left_alone_in_germany_too(client):
    """Re-review 19c F2: in DE a doctor's 20 µg (equal to the DGE's) was not exempt."""
    for dose in (15, 20):
        profile = {
            "age": 5,
            "country": "DE",
            "higher_dose_advised": {"vitamin_d_ug": dose},
            "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}],
        }
        assert _items_with_d(client, {"profile": profile}), dose


def test_the_cart_does_not_ask_whether_to_add_a_second_product_for_a_child(client):
    """Re-review 19c F3: `basket_short` ("ask your pharmacist whether to add one") beside
    `one_source` ("not a second one")."""
    body = {"profile": {"age": 5, "country": "DE"}, "basket": [{"sku": "XF-D3-KIDS-DROPS"}]}
    codes = _codes(recommend(client, {**body, "placement": "cart"}))
    assert "one_source:vitamin_d_ug" in codes and "basket_short:vitamin_d_ug" not in codes


def test_two_products_for_a_child_are_not_called_enough_nor_tell_us_more(client):
    """Re-review 19c F4 (and a 500 found while fixing F5: a short of nothing, as a bool, in the
    mask): "you get enough vitamin D" and "Tell us more" beside "keep one of them"."""
    profile = {"age": 4, "country": "NL", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    body = {"profile": profile, "basket": [{"sku": "KV-D3-KIDS-GUMMY"}], "placement": "cart"}
    answer = recommend(client, body)
    notices = notice_texts(answer)
    assert "two_sources:vitamin_d_ug" in notices
    assert "already_covered:vitamin_d_ug" not in notices
    assert "Tell us more" not in notices.get("no_items", "")


def test_a_product_below_a_childs_advice_does_not_keep_out_the_one_that_meets_it(client):
    """Re-review 19c F5: a 3-year-old's omega-3 chew (5 µg) kept the Gezondheidsraad's 10 µg
    drops out of the list, and the refill dropped the drops while the chew went on."""
    profile = {"age": 3, "country": "NL", "current_supplements": [{"sku": "KV-OMEGA3-KIDS-CHEW"}]}
    answer = recommend(client, {"profile": profile})
    assert _d_offered(answer)  # the 10 µg drops, in the chew's place (review s30a F3)
    assert "one_source:vitamin_d_ug" not in _codes(answer)
    bought = [("XF-D3-KIDS-DROPS", "2026-01-20"), ("KV-OMEGA3-KIDS-CHEW", "2026-11-20")]
    store_customer(client, "s19-r3", {"age": 3, "country": "NL"}, bought)
    reorder = client.get("/v1/customers/s19-r3/refills?locale=en").get_json()["reorder"]
    assert [(i["sku"], i["action"]) for i in reorder["items"]] == [("XF-D3-KIDS-DROPS", "reorder")]


def test_a_second_product_in_the_same_order_is_not_called_lasting(client):
    """Re-review 19c F6: drops and a gummy both run out; the gummy left out said "another one
    that you take still lasts" (neither lasts)."""
    bought = [("XF-D3-KIDS-DROPS", "2026-01-20"), ("KV-D3-KIDS-GUMMY", "2026-09-25")]
    store_customer(client, "s19-r6", {"age": 5, "country": "DE"}, bought)
    reorder = client.get("/v1/customers/s19-r6/refills?locale=en").get_json()["reorder"]
    (left,) = reorder["left_out"]
    texts = " ".join(w["text"] for w in left["why"]) + left["advice"]
    assert "still lasts" not in texts and "or in this order" in texts


def test_a_childs_regimen_does_not_blame_safety_and_a_second_products_page_says_so(client):
    """Re-review 19c F7, F8: the regimen added "could not put together a regimen that safely
    fits" beside the one-product reason; the gummy's page beside the drops taken said only
    that nothing else was to suggest."""
    profile = {"age": 5, "country": "DE", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    regimen = client.post("/v1/regimens", json={"profile": profile, "locale": "en"}).get_json()
    assert "regimen_infeasible" not in [n["code"] for n in regimen["notices"]]
    page = {"profile": profile, "placement": "product_page", "product_sku": "KV-D3-KIDS-GUMMY"}
    notices = notice_texts(recommend(client, page))
    assert "would be a second product with vitamin D" in notices["page_product_second_source"]
