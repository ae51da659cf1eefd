"""Session 36: findings left open by session 35's reviews, and this session's reviews.

- s35a F3: a woman of 72 on digoxin whose D3 + K2 runs out while her K2 drops still last.
  /refills reorders the D3 + K2 (her only vitamin D source) and stops the drops; buy again
  offered the drops and not the D3 + K2 (checked beside the drops, its vitamin K2 duplicated
  them). Buy again now follows the plan: the drops are not offered, the D3 + K2 is.
Expectations from the catalog (oracle) and the answers' own fields."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import TODAY, memory_app, store_customer
from .oracle import PRODUCTS, per_day


def _bought(sku: str, days_left: int) -> tuple[str, str]:
    """A purchase of one pack of `sku` that has `days_left` days left today."""
    product = PRODUCTS[sku]
    days = product["pack_size"] // product["servings_per_day"]
    return sku, (TODAY - dt.timedelta(days=days - days_left)).isoformat()


DIGOXIN = {"age": 72, "sex": "female", "medications": ["digoxin"], "country": "NL"}
D3K2, K2_DROPS = "VL-D3K2-20-50-TAB", "XF-K2-MK7-DROPS"


def test_buy_again_follows_the_reorder_that_stops_a_lasting_supply() -> None:
    client = memory_app().test_client()
    store_customer(client, "c-s36-dig", DIGOXIN, [_bought(D3K2, -20), _bought(K2_DROPS, 100)])
    refills = client.get("/v1/customers/c-s36-dig/refills?locale=en").get_json()
    reorder = {i["sku"]: i for i in refills["reorder"]["items"]}
    # the premise: /refills reorders the D3 + K2 and stops the drops beside it
    assert reorder[D3K2]["action"] == "reorder"
    assert f"stop:{K2_DROPS}" in {r["code"] for r in reorder[D3K2]["reasons"]}
    for path in ("/buy-again?locale=en", "/recommendations?placement=account&locale=en"):
        answer = client.get(f"/v1/customers/c-s36-dig{path}").get_json()
        offered = {i["sku"] for i in answer["items"]}
        assert K2_DROPS not in offered, (path, offered)
        assert D3K2 in offered, (path, offered)


# s36a F1: a breastfeeding vegan on a women's multivitamin (10 µg vitamin D) and a 25 µg D3,
# neither vegan, 35 µg against the 25 µg that suits breastfeeding. The list named B12, iodine
# and calcium in place of the multivitamin (judged beside the D3's 25 µg: no vitamin D) and
# nothing in place of the D3 (judged beside the multivitamin's 10 µg: a 20 µg vegan D3 would be
# 30): who stopped both as told had no vitamin D. /refills did the same.
BREASTFEEDING_VEGAN = {"age": 34, "sex": "female", "life_stage": "breastfeeding", "diet": "vegan"}
MULTI, D3_25 = "XF-MULTI-WOMEN", "XF-D3-25-SG"


def _vitamin_d(sku: str) -> float:
    return per_day(PRODUCTS[sku]).get("vitamin_d_ug", 0.0)


def test_a_multivitamin_and_a_d3_that_do_not_suit_are_replaced_together_with_vitamin_d() -> None:
    client = memory_app().test_client()
    body = {
        "profile": {**BREASTFEEDING_VEGAN, "current_supplements": [{"sku": MULTI}, {"sku": D3_25}]},
        "locale": "en",
    }
    answer = client.post("/v1/recommendations", json=body).get_json()
    notices = {n["code"]: n["text"] for n in answer["notices"]}
    text = next(t for code, t in notices.items() if code.startswith("instead:"))
    named = [sku for sku, p in PRODUCTS.items() if p["name"]["en"] in text]
    assert PRODUCTS[D3_25]["name"]["en"] in text  # stop both, in one notice
    giving_d = [sku for sku in named if _vitamin_d(sku) > 0 and sku not in (MULTI, D3_25)]
    assert giving_d, text
    assert all(PRODUCTS[sku]["vegan"] for sku in giving_d)
    assert sum(_vitamin_d(sku) for sku in giving_d) <= 25


def test_refills_name_vitamin_d_in_place_of_the_multivitamin_and_the_d3() -> None:
    client = memory_app().test_client()
    profile = {**BREASTFEEDING_VEGAN, "country": "NL"}
    store_customer(client, "c-s36-bf", profile, [_bought(MULTI, 40), _bought(D3_25, 70)])
    refills = client.get("/v1/customers/c-s36-bf/refills?locale=en").get_json()
    named = [
        item["sku"]
        for row in refills["refills"]
        for item in [row.get("instead") or {}, *row.get("instead_also", [])]
        if item
    ]
    giving_d = [sku for sku in named if _vitamin_d(sku) > 0]
    assert giving_d, refills["refills"]
    assert all(PRODUCTS[sku]["vegan"] for sku in giving_d)
    assert sum(_vitamin_d(sku) for sku in giving_d) <= 25


# s36a F3, F4: placements with `rules: none` (checkout, the e-mail) chose the replacement of a
# product that does not suit with their own rule set, or (the e-mail) named none: a vegan girl
# of 14's e-mail said no product fits where the list named a B12 in place of her sport
# multivitamin; checkout named a calcium without vitamin D in place of a vegan woman's calcium
# + D3 + K2 where the list named a vegan calcium + D3.
def _instead_notices(body: dict) -> dict[str, str]:
    answer = memory_app().test_client().post("/v1/recommendations", json=body)
    assert answer.status_code == 200, answer.get_json()
    return {
        n["code"]: n["text"]
        for n in answer.get_json()["notices"]
        if n["code"].startswith("instead:")
    }


@pytest.mark.parametrize(
    "body",
    [
        {
            "profile": {
                "age": 14,
                "sex": "female",
                "diet": "vegan",
                "current_supplements": [{"sku": "XF-MULTI-SPORT"}],
            }
        },
        {
            "profile": {"age": 38, "sex": "female", "diet": "vegan", "goals": ["bones"]},
            "basket": [{"sku": "XF-CAD3K2-TAB"}],
        },
        {
            "profile": {"age": 38, "sex": "female", "diet": "vegan", "goals": ["bones"]},
            "basket": [{"sku": "XF-D3K2-TAB"}],
        },
    ],
    ids=["vegan-girl-sport-multi", "vegan-cad3k2-basket", "vegan-d3k2-basket"],
)
@pytest.mark.parametrize("placement", ["email", "checkout", "cart", "home"])
def test_every_placement_names_the_lists_replacement(body: dict, placement: str) -> None:
    plain = _instead_notices({**body, "locale": "en"})
    assert plain  # the premise: the list names one
    assert _instead_notices({**body, "locale": "en", "placement": placement}) == plain


# s36a F6: a woman of 66 in DE with kidney disease whose vitamin A (retinol) 800 µg ran low got
# it reordered, and offered again by buy again, the account page and the e-mail, with no word.
# Vitamin A builds up when the kidneys work less well (interactions.yaml kidney-disease-vitamin-a).
def test_kidney_disease_gets_no_vitamin_a_again() -> None:
    client = memory_app().test_client()
    profile = {"age": 66, "sex": "female", "country": "DE", "conditions": ["kidney_disease"]}
    store_customer(client, "c-s36-kid", profile, [_bought("VL-VITA-800-CAP", 5)])
    refills = client.get("/v1/customers/c-s36-kid/refills?locale=en").get_json()
    reordered = [i["sku"] for i in (refills["reorder"] or {"items": []})["items"]]
    assert "VL-VITA-800-CAP" not in reordered, refills["reorder"]
    offered = []
    for path in ("/buy-again", "/recommendations?placement=account", "/recommendations"):
        answer = client.get(f"/v1/customers/c-s36-kid{path}").get_json()
        offered += [i["sku"] for i in answer["items"]]
    assert offered == [] or all(
        per_day(PRODUCTS[sku]).get("vitamin_a_ug", 0) == 0 for sku in offered
    ), offered


# s36a F5: a man of 60 whose men's multivitamin runs out beside K2 capsules that last: /refills
# said both "you already get enough vitamin K1" (he takes no K1 besides it: his K2 covers
# vitamin K) and "your only source of ... vitamin K1".
def test_refills_say_the_vitamin_k_taken_covers_not_k1() -> None:
    client = memory_app().test_client()
    profile = {"age": 60, "sex": "male", "country": "NL"}
    purchases = [_bought("XF-MULTI-MEN", 10), _bought("XF-K2-MK7-100-CAP", 100)]
    store_customer(client, "c-s36-k", profile, purchases)
    refills = client.get("/v1/customers/c-s36-k/refills?locale=en").get_json()
    row = next(r for r in refills["refills"] if r["sku"] == "XF-MULTI-MEN")
    why = {w["code"]: w["text"] for w in row["why"]}
    assert "vitamin K2" in why["already_covered"], why
    assert "vitamin K1" not in why["already_covered"], why
    assert "vitamin K" not in why.get("only_source", ""), why


# s36a F7: /v1/intake/check of a vegan woman of 67 on 75 µg vitamin D (her band: 50 µg) with a
# 25 µg D3 + K2 in the basket named the upper limit only; taking the basket's product out, as
# its suggestion says, still leaves the 75 µg the check warned of without the basket.
def test_intake_check_keeps_the_warning_of_what_is_taken_beside_a_basket_over_the_limit() -> None:
    profile = {
        "age": 67,
        "sex": "female",
        "diet": "vegan",
        "country": "DE",
        "current_supplements": [{"label": "D3", "nutrients": {"vitamin_d_ug": 75}}],
    }
    client = memory_app().test_client()
    alone = client.post("/v1/intake/check", json={"profile": profile, "locale": "en"}).get_json()
    code = "intake_warning:vitamin_d_ug"
    assert code in {w["code"] for w in alone["warnings"]}  # the premise
    body = {"profile": profile, "basket": [{"sku": "XF-D3K2-TAB"}], "locale": "en"}
    answer = client.post("/v1/intake/check", json=body).get_json()
    assert [v["nutrient"] for v in answer["violations"]] == ["vitamin_d_ug"]
    warned = {w["code"]: w for w in answer["warnings"]}
    assert code in warned, answer["warnings"]
    assert warned[code]["skus"] == ["D3"]


# s36b F4: /refills said of a 45 mg MK-4 capsule only "The shop no longer sells it." (read as
# out of the range, to be bought elsewhere) where the list says it is not allowed as a food
# supplement and to talk to a pharmacist or doctor.
def test_refills_say_why_a_product_is_not_sold() -> None:
    client = memory_app().test_client()
    profile = {"age": 50, "sex": "male", "country": "NL"}
    store_customer(client, "c-s36-mk4", profile, [_bought("XF-K2-MK4-45MG-CAP", -20)])
    for locale, words in (("en", "not allowed as a food supplement"), ("nl", "niet toegestaan")):
        refills = client.get(f"/v1/customers/c-s36-mk4/refills?locale={locale}").get_json()
        why = {w["code"]: w["text"] for w in refills["refills"][0]["why"]}
        assert words in why["not_sellable"], why


# s36b F1: the catalog's diet flags and allergens were never checked against what a product is
# made of: a fish-oil vitamin D 50 µg in a gelatin softgel marked vegan, vegetarian and free of
# allergens loaded without a finding, and a fish-allergic vegan with a doctor's 50 µg got it
# first. rules/reference/ingredients.yaml says what each source and tag implies; a catalog whose
# flags say more is refused at the product's line.
FISH_BLOCK = "    vegan: false\n    vegetarian: false\n    allergens: [fish]\n"


def _catalog_with(data_copy, sku: str, old: str, new: str) -> int:
    """Replace `old` by `new` in `sku`'s block of the copied catalog; the line of `new`."""
    text = data_copy.catalog.read_text(encoding="utf-8")
    start = text.index(f"  - sku: {sku}\n")
    at = text.index(old, start)
    data_copy.catalog.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text[:at].count("\n") + 1


@pytest.mark.parametrize(
    ("sku", "old", "new", "codes"),
    [
        (
            "NV-D3-50-FISH-SG",
            FISH_BLOCK,
            "    vegan: true\n    vegetarian: true\n    allergens: []\n",
            {"diet", "allergens"},
        ),
        ("VL-K2-MK7-45-TAB", "    allergens: [soy]\n", "    allergens: []\n", {"allergens"}),
        ("XF-D3-10-TAB", "    vegan: false\n", "    vegan: true\n", {"diet"}),
    ],
    ids=["fish-oil-vegan", "natto-without-soy", "lanolin-vegan"],
)
def test_a_product_whose_flags_deny_its_source_is_refused_at_its_line(
    data_copy, sku: str, old: str, new: str, codes: set[str]
) -> None:
    from service.core.errors import DataFileError
    from service.core.snapshot import load_snapshot

    first = _catalog_with(data_copy, sku, old, new)
    with pytest.raises(DataFileError) as refused:
        load_snapshot(data_copy)
    mine = [f for f in refused.value.findings if sku in f.message]
    assert {f.code for f in mine} == codes, refused.value.findings
    assert all(first <= f.line < first + 3 for f in mine), [(f.line, first) for f in mine]
    assert all(str(data_copy.catalog.name) in str(f.file) for f in mine)


# s36a F2: /v1/regimens named nothing in place of products taken that do not suit: the same
# breastfeeding vegan on the multivitamin and a 10 µg D3 got one calcium tablet beside them (its
# 500 mg beside the vegan calcium + D3 the list names would be 900 mg); a vegan girl of 14 on a
# sport multivitamin got an empty regimen where the list names a B12. The regimen names what
# the list names, and its own lines give none of those products' nutrients.
@pytest.mark.parametrize(
    "taken",
    [
        ({**BREASTFEEDING_VEGAN}, [MULTI, "XF-D3-10-TAB"]),
        ({"age": 14, "sex": "female", "diet": "vegan"}, ["XF-MULTI-SPORT"]),
    ],
    ids=["breastfeeding-vegan", "vegan-girl"],
)
def test_a_regimen_names_the_lists_replacement_and_adds_nothing_of_it(taken) -> None:
    profile, skus = taken
    body = {
        "profile": {**profile, "current_supplements": [{"sku": s} for s in skus]},
        "locale": "en",
    }
    client = memory_app().test_client()
    plain = _instead_notices(body)
    assert plain  # the premise
    regimen = client.post("/v1/regimens", json=body).get_json()
    notices = {n["code"]: n["text"] for n in regimen["notices"]}
    assert {c: t for c, t in notices.items() if c.startswith("instead:")} == plain
    named = [
        sku for sku, p in PRODUCTS.items() if any(p["name"]["en"] in t for t in plain.values())
    ]
    given = {n for sku in named for n in per_day(PRODUCTS[sku]) if sku not in skus}
    for line in regimen["lines"]:
        assert not set(line["nutrients_per_day"]) & given, (line["sku"], given)
    if not regimen["lines"]:  # not "we could not put together a regimen" beside the notice
        assert "regimen_infeasible" not in notices, notices


# s36c F1, s36d F3: the grouping reached the lasting supplies of /refills only: with the
# multivitamin due (the D3 lasting, or only in the profile) the reorder replaced it by B12 and
# iodine beside the D3, and nothing gave vitamin D once she stopped both. The reorder now judges
# it on the day without the D3, and names up to four products (B12, vitamin D and iodine).
@pytest.mark.parametrize(
    ("listed", "purchases"),
    [
        ([], [(MULTI, 5), (D3_25, 90)]),
        ([{"sku": D3_25}], [(MULTI, 5)]),
        ([], [(MULTI, 5), (D3_25, -5)]),
    ],
    ids=["d3-lasting", "d3-in-profile", "both-due"],
)
def test_the_reorder_of_a_multivitamin_that_does_not_suit_gives_her_vitamin_d(
    listed, purchases
) -> None:
    client = memory_app().test_client()
    profile = {**BREASTFEEDING_VEGAN, "country": "NL", "current_supplements": listed}
    store_customer(client, "c-s36-re", profile, [_bought(s, d) for s, d in purchases])
    refills = client.get("/v1/customers/c-s36-re/refills?locale=en").get_json()
    named = [i["sku"] for i in refills["reorder"]["items"]]
    assert MULTI not in named and D3_25 not in named, named
    giving_d = [sku for sku in named if _vitamin_d(sku) > 0]
    assert giving_d, named
    assert all(PRODUCTS[sku]["vegan"] for sku in named), named
    assert sum(_vitamin_d(sku) for sku in giving_d) <= 25
    iodine = [sku for sku in named if per_day(PRODUCTS[sku]).get("iodine_ug", 0) > 0]
    assert iodine, named  # her iodine too (breastfeeding), as the list names it


# s36d F1: a D3 + K2 was never grouped with the multivitamin (its K2 is not the multivitamin's
# K1, though vitamin K counts as one), and the gap came back with every D3 + K2.
@pytest.mark.parametrize("second", ["NV-D3K2-FISH-SG", "VL-D3K2-25-100-SG", "XF-D3K2-CHEW"])
def test_a_d3_k2_is_replaced_with_the_multivitamin_too(second: str) -> None:
    body = {
        "profile": {
            **BREASTFEEDING_VEGAN,
            "current_supplements": [{"sku": MULTI}, {"sku": second}],
        },
        "locale": "en",
    }
    texts = _instead_notices(body)
    named = [s for s, p in PRODUCTS.items() if any(p["name"]["en"] in t for t in texts.values())]
    giving_d = [s for s in named if _vitamin_d(s) > 0 and s not in (MULTI, second)]
    assert giving_d, texts
    assert sum(_vitamin_d(s) for s in giving_d) <= 25


# s36d F2: buy again offered the calcium + D3 chew the reorder restarts without a word of the
# 25 µg D3 drops the reorder stops (45 µg together); /refills says "stop".
def test_buy_again_says_what_the_reorder_stops() -> None:
    client = memory_app().test_client()
    profile = {"age": 60, "sex": "female", "goals": ["bones"], "country": "NL"}
    store_customer(
        client, "c-s36-st", profile, [_bought("BL-CAD3-CHEW", -10), _bought("XF-D3-25-DROPS", 380)]
    )
    refills = client.get("/v1/customers/c-s36-st/refills?locale=en").get_json()
    chew = next(i for i in refills["reorder"]["items"] if i["sku"] == "BL-CAD3-CHEW")
    stop = {r["code"] for r in chew["reasons"] if r["code"].startswith("stop:")}
    assert stop == {"stop:XF-D3-25-DROPS"}  # the premise
    for path in ("/buy-again?locale=en", "/recommendations?placement=account&locale=en"):
        answer = client.get(f"/v1/customers/c-s36-st{path}").get_json()
        item = next(i for i in answer["items"] if i["sku"] == "BL-CAD3-CHEW")
        assert stop <= {r["code"] for r in item["reasons"]}, (path, item["reasons"])


# s36c F2, s36d F4: the e-mail dropped the list's replacement whenever its refills picked
# anything (an unrelated algae omega-3 running out).
def test_the_email_names_the_replacement_beside_an_unrelated_reorder() -> None:
    client = memory_app().test_client()
    profile = {
        **BREASTFEEDING_VEGAN,
        "country": "NL",
        "current_supplements": [{"sku": MULTI}, {"sku": D3_25}],
    }
    store_customer(client, "c-s36-em", profile, [_bought("GR-ALGAE-OMEGA3-SG", 3)])
    got = {}
    for path in ("/recommendations?locale=en", "/recommendations?placement=email&locale=en"):
        answer = client.get(f"/v1/customers/c-s36-em{path}").get_json()
        got[path] = {
            n["code"]: n["text"] for n in answer["notices"] if n["code"].startswith("instead:")
        }
        if "email" in path:
            assert "GR-ALGAE-OMEGA3-SG" in {i["sku"] for i in answer["items"]}  # the premise
    plain, email = got.values()
    assert plain and email == plain
