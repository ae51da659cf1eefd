"""Session 14: review 16's findings (placements, alternatives, intake check, regimens,
customers), each seen failing before its fix."""

from __future__ import annotations

import pytest

from .oracle import PRODUCTS, per_day


def _post(client, path: str, body: dict) -> dict:
    response = client.post(path, json=body)
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


@pytest.mark.parametrize(
    ("stage", "taken", "basket", "locale"),
    [
        ("pregnant", "XF-MULTI-PREGNANCY", "XF-FOLIC-D3-TAB", "en"),
        ("pregnant", "XF-MULTI-PREGNANCY", "XF-D3-10-TAB", "nl"),
        ("pregnant", "XF-FOLIC-D3-TAB", "XF-MULTI-PREGNANCY", "en"),
        ("breastfeeding", "XF-MULTI-PREGNANCY", "XF-FOLIC-D3-TAB", "de"),
    ],
)
def test_the_intake_check_removes_nothing_for_a_total_within_the_life_stage_maximum(
    client, stage, taken, basket, locale
):
    """review 16 F1: a pregnant woman on the pregnancy multivitamin (10 µg vitamin D) with a
    folic acid + D3 (10 µg) in her basket was told to remove it: 'vitamin D: 20 µg a day ... is
    more than the 25 µg a day that suits pregnancy or breastfeeding'."""
    profile = {"age": 30, "sex": "female", "life_stage": stage}
    profile["current_supplements"] = [{"sku": taken}]
    body = {"profile": profile, "basket": [{"sku": basket}], "locale": locale}
    answer = _post(client, "/v1/intake/check", body)
    assert answer["totals"]["vitamin_d_ug"]["amount"] == pytest.approx(20)
    suggestion = answer.get("suggestion") or {}
    assert not suggestion.get("remove"), suggestion
    assert "25 µg" not in (suggestion.get("text") or ""), suggestion


@pytest.mark.parametrize("character", ["\u202e", "\n", "\u2066", "\x07", "\u2028", "\u200f"])
@pytest.mark.parametrize("where", ["basket", "current_supplements"])
def test_a_label_with_control_or_bidi_characters_is_refused_with_its_field(
    client, character, where
):
    """review 16 F9: a label with a right-to-left override and a newline was pasted into the
    intake check's suggestion ('Remove <b>Vit\\nD</b> \\u202eevil from your basket')."""
    line = {"label": f"Vit D{character}evil", "nutrients": {"vitamin_d_iu": 4000}}
    profile: dict = {"age": 40, "sex": "female"}
    body: dict = {"profile": profile, "locale": "en"}
    if where == "basket":
        body["basket"], field = [line], "basket.0.label"
    else:
        profile["current_supplements"], field = [line], "profile.current_supplements.0.label"
    paths = ["/v1/intake/check", "/v1/recommendations"]
    for path in paths + (["/v1/regimens"] if where != "basket" else []):
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.get_data(as_text=True))
        assert field in response.get_json()["error"]["fields"], response.get_json()


@pytest.mark.parametrize(
    "label",
    [
        "Vit D3\u00a050\u202fµg – 🌞",  # non-breaking spaces, µ, a dash, an emoji
        "Vit D 👨\u200d⚕️ Apotheker",  # an emoji ZWJ sequence (review 17 L1)
        "Vitamin\u00adD-Kapseln",  # a soft hyphen, common in German web text
        "Vit D\t25 µg",  # a tab pasted from a spreadsheet
        "Vit D 🩷",  # an emoji newer than Python 3.11's Unicode database
        "क्\u200dष میشود\u200cها",  # Indic ZWJ, Persian ZWNJ
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # a tag flag
    ],
)
def test_a_label_with_ordinary_characters_is_fine(client, label):
    """Copied from a web page or a spreadsheet: none of these is refused (review 17 L1: ZWJ
    emoji, soft hyphens, tabs and newer emoji answered 422)."""
    line = {"label": label, "nutrients": {"vitamin_d_ug": 10}}
    body = {"profile": {"age": 40}, "basket": [line], "locale": "en"}
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 40, "sex": "male", "diet": "vegan", "medications": ["thiazide_diuretic"]},
        {
            "age": 19,
            "sex": "male",
            "diet": "vegan",
            "country": "DE",
            "medications": ["thiazide_diuretic", "integrase_inhibitor"],
            "current_supplements": [{"sku": "XF-D3-50-CAP"}],
        },
        {"age": 50, "sex": "female", "diet": "vegan", "medications": ["digoxin"]},
    ],
)
def test_no_aim_of_ours_is_planned_past_a_medicines_warning(client, profile):
    """review 16 F7: a vegan thiazide user was planned 500 mg calcium 'at or above our
    suggested 300 mg' (calcium for vegans is dosewise's own aim, targets.yaml priorities) beside
    'Together with vitamin D or calcium it can raise blood calcium too far: talk to your doctor
    first' (one of them already taking 50 µg vitamin D, past the thiazide's 20 µg). An aim of
    ours past such a warning is no target: no list or regimen item for it, the interaction's
    notice says why."""
    body = {"profile": profile, "locale": "en", "max_products": 3}
    regimen = _post(client, "/v1/regimens", body)
    assert "calcium_mg" not in regimen["targets"], regimen["targets"]
    assert not any(line["nutrients_per_day"].get("calcium_mg") for line in regimen["lines"])
    answer = _post(client, "/v1/recommendations", {"profile": profile, "locale": "en"})
    for item in answer["items"]:  # a multivitamin for vitamin D may carry some, with a warning
        assert "fills_gap:calcium_mg" not in [r["code"] for r in item["reasons"]], item
    medicine = "thiazide-diuretic" if "thiazide_diuretic" in profile["medications"] else "digoxin"
    for notices in (regimen["notices"], answer["notices"]):
        assert f"interaction:{medicine}" in [n["code"] for n in notices], notices


def test_an_authoritys_advice_stays_beside_the_warning(client):
    """The advice of a health council (vitamin D at 70+) is still served to a digoxin user,
    with the warning (domain.md: warn on calcium and D; doctor first)."""
    profile = {"age": 75, "medications": ["digoxin"]}
    regimen = _post(client, "/v1/regimens", {"profile": profile, "locale": "en"})
    assert regimen["targets"]["vitamin_d_ug"]["status"] == "achieved"
    assert "interaction:digoxin" in [w["code"] for w in regimen["warnings"]]


def _applied(basket: list[dict], suggestion: dict) -> list[dict]:
    out = [dict(line) for line in basket]
    for change in suggestion["changes"]:
        index = int(change["line"].split(".")[1])
        if change["code"] == "remove":
            out[index] = None  # type: ignore[call-overload]
        else:
            out[index]["servings_per_day"] = change["servings_per_day"]
    return [line for line in out if line is not None]


@pytest.mark.parametrize(
    ("profile", "basket"),
    [
        (
            {"age": 40},
            [
                {"sku": "XF-D3-75-TAB", "servings_per_day": 50},
                {"sku": "XF-D3-10-TAB", "servings_per_day": 0.5},
            ],
        ),
        ({"age": 40}, [{"sku": "XF-D3-75-TAB", "servings_per_day": 3}]),
        ({"age": 72, "sex": "female"}, [{"sku": "XF-D3-50-CAP", "servings_per_day": 3}]),
    ],
)
def test_the_intake_checks_fix_is_one_end_state(client, profile, basket):
    """review 16 F8: 'Take 1 instead of 50 servings a day of XTRA FUEL Vitamin D3 75 µg
    Tablets: then you stay within the safe upper limit', and the check of that basket said to
    remove the tablet (80 µg, above the 37.5 µg band of a person of 40). The fix is followed by
    no warning of the band and no second fix."""
    body = {"profile": profile, "basket": basket, "locale": "en"}
    first = _post(client, "/v1/intake/check", body)
    assert first["violations"] and first["suggestion"], first
    after = _post(
        client, "/v1/intake/check", {**body, "basket": _applied(basket, first["suggestion"])}
    )
    assert not after["violations"], after
    codes = [w["code"] for w in after["warnings"]]
    assert "intake_warning:vitamin_d_ug" not in codes, after["warnings"]
    assert (after.get("suggestion") or {}).get("code") not in ("remove", "reduce"), after


@pytest.mark.parametrize("placement", ["cart", "checkout"])
@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_cart_asked_with_a_product_does_not_say_the_basket_gives_it(client, placement, locale):
    """review 16 F3: a cart asked with product_sku (the shop's call) and an empty basket read
    'Your basket or the supplements you already take give vitamin D; we suggest nothing more of
    it' of the product asked about. The product counts as bought, and the texts say so."""
    body = {
        "profile": {"age": 75},
        "placement": placement,
        "product_sku": "XF-D3-20-TAB",
        "locale": locale,
    }
    answer = _post(client, "/v1/recommendations", body)
    product = {"en": "this product", "nl": "dit product", "de": "dieses Produkt"}[locale]
    texts = [n["text"] for n in answer["notices"] if n["code"] in ("basket_covered", "no_items")]
    assert texts, answer["notices"]
    for text in texts:
        assert product in text, text


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_checkout_without_a_basket_says_so_not_that_nothing_is_safe(client, locale):
    """Session 14 (review 16's helper): a checkout (which only completes a basket) asked with an
    empty basket for a woman of 75 said 'We found no product that safely fits your profile',
    while her plain list offers vitamin D."""
    body = {"profile": {"age": 75, "sex": "female"}, "placement": "checkout", "locale": locale}
    answer = _post(client, "/v1/recommendations", body)
    assert answer["items"] == []
    (notice,) = [n for n in answer["notices"] if n["code"] == "no_items"]
    safely = {"en": "safely", "nl": "veilig", "de": "sicher"}[locale]
    assert safely not in notice["text"], notice
    empty = {"en": "empty", "nl": "leeg", "de": "leer"}[locale]
    assert empty in notice["text"], notice


@pytest.mark.parametrize(
    ("profile", "placement", "sku"),
    [
        ({"age": 75, "sex": "female"}, "cart", "XF-D3-20-TAB"),
        ({"age": 75, "sex": "female"}, "checkout", "XF-D3-10-TAB"),
        ({"age": 40, "sex": "female", "diet": "vegan"}, "cart", "GR-MULTI-VEGAN"),
    ],
)
def test_a_cart_with_a_product_counts_the_product_in_what_is_short(client, profile, placement, sku):
    """review 17 P1: a cart asked with a product_sku said 'your basket, this product ... give
    0 µg of vitamin D a day, less than the advised 20 µg' of a 20 µg tablet (the product was
    not counted in the amount)."""
    body = {"profile": profile, "placement": placement, "product_sku": sku, "locale": "en"}
    answer = _post(client, "/v1/recommendations", body)
    for notice in answer["notices"]:
        if notice["code"].startswith("basket_short:"):
            assert " give 0 " not in notice["text"], notice
            key = notice["code"].split(":")[1]
            given = per_day(PRODUCTS[sku]).get(key, 0)
            assert f"give {given:g} " in notice["text"] or given == 0, notice


def test_a_cart_quotes_no_reference_intake_as_advice(client):
    """review 17 P2: a man of 40 (no advice) with a 10 µg D3 in the cart read 'less than the
    advised 15 µg' (EFSA's reference intake, the dose band's yardstick) beside 'there is no
    advised daily amount'; a vegan's 300 mg calcium is our suggestion, not 'advised'."""
    body = {
        "profile": {"age": 40, "sex": "male"},
        "placement": "cart",
        "basket": [{"sku": "XF-D3-10-TAB"}],
        "locale": "en",
    }
    answer = _post(client, "/v1/recommendations", body)
    assert "basket_short:vitamin_d_ug" not in [n["code"] for n in answer["notices"]]
    vegan = {
        "profile": {"age": 40, "sex": "female", "diet": "vegan"},
        "placement": "cart",
        "basket": [{"sku": "GR-MULTI-VEGAN"}],
        "locale": "en",
    }
    answer = _post(client, "/v1/recommendations", vegan)
    (calcium,) = [n for n in answer["notices"] if n["code"] == "basket_short:calcium_mg"]
    assert "we suggest for your profile" in calcium["text"] and "advised" not in calcium["text"]


@pytest.mark.parametrize(
    ("profile", "named"),
    [
        (
            {
                "age": 30,
                "sex": "female",
                "life_stage": "pregnant",
                "current_supplements": [{"sku": "BL-MULTI-AZ"}, {"sku": "XF-D3-20-TAB"}],
            },
            "BasisLijn A-Z Multivitamin",
        ),
        (
            {
                "age": 75,
                "sex": "female",
                "medications": ["vitamin_k_antagonist"],
                "current_supplements": [
                    {"label": "D3+K2 mix", "nutrients": {"vitamin_d_ug": 10, "vitamin_k2_ug": 100}}
                ],
            },
            "D3+K2 mix",
        ),
    ],
)
def test_a_regimen_names_every_kind_of_unsuited_product_taken(client, profile, named):
    """review 17 R1, R2: the A-Z multivitamin taken in pregnancy read 'What you already take
    gives 25 µg of vitamin D ... does not suit your profile' (25 µg is the pregnancy maximum,
    not above it), and a label D3 + K2 mix beside a vitamin K antagonist counted toward an
    'achieved' 20 µg vitamin D; the catalog's D3 + K2 drops got the product's own text."""
    regimen = _post(client, "/v1/regimens", {"profile": profile, "locale": "en"})
    target = regimen["targets"]["vitamin_d_ug"]
    assert target["status"] == "fails_guarantee", target
    assert named in target["why"], target


def test_alternatives_left_out_by_a_warning_do_not_blame_the_basket(client):
    """review 17 A1: a digoxin user with no basket and nothing taken read 'Beside what your
    basket and the supplements you already take give, we have nothing else to suggest' on the
    alternatives of a 10 µg D3 (they were left out by the medicine's warning)."""
    body = {"profile": {"age": 40, "sex": "male", "medications": ["digoxin"]}, "locale": "en"}
    answer = _post(client, "/v1/products/XF-D3-10-TAB/alternatives", body)
    for notice in answer["notices"]:
        assert "your basket" not in notice["text"], notice


@pytest.mark.parametrize(
    ("profile", "sku", "servings"),
    [
        ({"age": 75, "sex": "female"}, "XF-D3-20-TAB", 5),
        ({"age": 1}, "XF-D3-KIDS-DROPS", 3),
    ],
)
def test_a_reduction_goes_no_higher_than_the_labelled_dose(client, profile, sku, servings):
    """review 17 B2: the reduce went to the top of the dose band, twice the label: 'Take 2
    instead of 5' of a one-a-day 20 µg tablet at 75, 20 µg of 10 µg drops for a child of 1."""
    basket = [{"sku": sku, "servings_per_day": servings}]
    answer = _post(client, "/v1/intake/check", {"profile": profile, "basket": basket})
    suggestion = answer["suggestion"]
    assert suggestion is not None, answer
    for change in suggestion["changes"]:
        if change["code"] == "reduce":
            assert change["servings_per_day"] <= PRODUCTS[sku]["servings_per_day"], change
