"""Session 22: the findings left open by session 21's reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.core.errors import DataFileError
from service.core.snapshot import load_snapshot

from .conftest import buy_again_lists, memory_app, notice_texts, recommend, store_customer

REFILL_TEXTS = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "rules" / "refills.yaml").read_text(encoding="utf-8")
)["texts"]


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


THIAZIDE_DOCTOR = {
    "age": 70,
    "sex": "female",
    "country": "NL",
    "medications": ["thiazide_diuretic"],
    "higher_dose_advised": {"calcium_mg": 250},
}


@pytest.mark.parametrize("sku", ["BL-CA-500-TAB", "VL-CA-CIT-TAB", "XF-CAD3-500-10-TAB"])
def test_no_reorder_past_a_doctors_dose_beside_a_medicines_warning(client, sku):
    """Re-review 21 #10: a thiazide user's doctor advised 250 mg calcium a day; the list
    offers nothing past it beside the thiazide's warning, but
    buy-again offered her 500 mg calcium again and the refills reordered it. Neither does
    now; the refills say why it is left out."""
    customer = f"s22-thiazide-{sku}"
    store_customer(client, customer, THIAZIDE_DOCTOR, {sku: "2026-09-15"})
    for items in buy_again_lists(client, customer):
        assert sku not in {i["sku"] for i in items}, items
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    reorder = refills["reorder"] or {"items": [], "left_out": []}
    assert sku not in {i["sku"] for i in reorder["items"]}
    for left in reorder["left_out"]:
        if left["sku"] == sku:
            assert "past_advice_warned" in {w["code"] for w in left["why"]}


def test_without_a_doctors_dose_the_thiazide_users_calcium_continues_with_its_warning(client):
    """Without an advice of calcium, what she bought is hers to continue: it is reordered,
    with the thiazide's warning, as before."""
    customer = "s22-thiazide-no-doctor"
    profile = {k: v for k, v in THIAZIDE_DOCTOR.items() if k != "higher_dose_advised"}
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-09-15"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    items = {i["sku"]: i for i in refills["reorder"]["items"]}
    assert "interaction:thiazide-diuretic" in {
        w["code"] for w in items["VL-CA-CIT-TAB"]["warnings"]
    }


def test_a_doctors_dose_the_product_stays_within_is_reordered(client):
    """One tablet a day of the 250 mg citrate (as her profile says she takes it) is within
    the doctor's 250 mg: reordered, with the warning."""
    customer = "s22-thiazide-one-a-day"
    profile = {
        **THIAZIDE_DOCTOR,
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    items = {i["sku"]: i for i in refills["reorder"]["items"]}
    assert items["VL-CA-CIT-TAB"]["action"] == "reorder"
    assert items["VL-CA-CIT-TAB"]["servings_per_day"] == 1


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_over_a_limit_a_pregnant_woman_still_hears_of_her_folic_acid(client, locale):
    """Left open in session 20: a pregnant woman over her magnesium limit got an empty list
    (guarantee 1 counts what is taken for every item) and no word of the folic acid advised
    for her in the first weeks. The list stays empty; an `advice_open:<nutrient>` notice
    names each advice open, folic acid first, and whom to ask."""
    profile = {
        "age": 30,
        "sex": "female",
        "country": "NL",
        "life_stage": "pregnant",
        "current_supplements": [{"sku": "VL-MG-B6-TAB", "servings_per_day": 3}],
    }
    answer = recommend(client, {"profile": profile}, locale)
    assert answer["items"] == []
    codes = [n["code"] for n in answer["notices"]]
    assert "above_upper_limit:magnesium_mg" in codes
    unmet = [c for c in codes if c.startswith("advice_open:")]
    assert unmet[:2] == ["advice_open:folic_acid_ug", "advice_open:vitamin_d_ug"]
    assert "400" in notice_texts(answer)["advice_open:folic_acid_ug"]


def test_over_a_limit_without_an_advice_open_nothing_more_is_said(client):
    """A man of 40 over his magnesium limit has no advice open: only the limit's notice."""
    profile = {
        "age": 40,
        "sex": "male",
        "country": "NL",
        "current_supplements": [{"nutrients": {"magnesium_mg": 400}}],
    }
    answer = recommend(client, {"profile": profile})
    assert answer["items"] == []
    assert not [
        n for n in answer["notices"] if n["code"].startswith(("advice_unmet:", "advice_open:"))
    ]


PREGNANT_VEGAN = {
    "age": 30,
    "sex": "female",
    "country": "NL",
    "life_stage": "pregnant",
    "diet": "vegan",
    "goals": ["immunity"],
}


def _doctor_d_placement(client, customer: str, placement: str) -> dict:
    """A man of 50 whose doctor advised 100 µg vitamin D, who bought the 100 µg capsule (not
    allowed in NL) on 2026-08-20: his `placement` list, in English, up to 8 items."""
    profile = {
        "age": 50,
        "sex": "male",
        "country": "NL",
        "higher_dose_advised": {"vitamin_d_ug": 100},
    }
    store_customer(client, customer, profile, {"XF-D3-100-CAP": "2026-08-20"})
    return client.get(
        f"/v1/customers/{customer}/recommendations?placement={placement}&locale=en&limit=8"
    ).get_json()


def _vitamin_d(items: list[dict]) -> list[float]:
    return [i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in items]


@pytest.mark.parametrize(
    ("profile", "placement", "nutrient"),
    [
        (PREGNANT_VEGAN, "home", "vitamin_d_ug"),
        (
            {
                "age": 85,
                "sex": "female",
                "country": "DE",
                "conditions": ["osteoporosis"],
                "goals": ["energy", "sport", "bones"],
            },
            "home",
            "calcium_mg",
        ),
    ],
)
def test_a_placements_items_that_cross_a_cap_together_say_so(client, profile, placement, nutrient):
    """Review 22 F1 (re-review 21 #4 left open): `not_together:<nutrient>` was on the plain
    list only; the home placement showed a pregnant vegan 25 + 20 µg vitamin D (the pregnancy
    maximum is 25 µg) and a woman of 85 1,400 mg calcium beside 1,800 mg from food, without a
    word. The placement says it as the plain list does."""
    plain = recommend(client, {"profile": profile, "limit": 5})
    placed = recommend(client, {"profile": profile, "limit": 5, "placement": placement})
    assert f"not_together:{nutrient}" in notice_texts(plain)
    assert [i["sku"] for i in placed["items"]] == [i["sku"] for i in plain["items"]]
    assert (
        notice_texts(placed)[f"not_together:{nutrient}"]
        == notice_texts(plain)[f"not_together:{nutrient}"]
    )


@pytest.mark.parametrize("placement", ["account", "home", "email"])
def test_a_stored_customers_placements_say_what_not_to_take_together(client, placement):
    """Review 22 F1: a man whose doctor advised 100 µg vitamin D, who bought the 100 µg capsule
    (not allowed in NL), saw the 75 µg D3 + K2 and the 75 µg D3 side by side on `account`:
    150 µg, with no word. Wherever two items shown cross a cap together, the notice says so;
    an item that continues what is taken is counted once."""
    customer = f"s22-doctor-d-{placement}"
    answer = _doctor_d_placement(client, customer, placement)
    doses = _vitamin_d(answer["items"])
    crossing = sum(doses) > 91 and len([d for d in doses if d > 0]) > 1
    assert ("not_together:vitamin_d_ug" in notice_texts(answer)) is crossing, answer["items"]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_retinol_left_out_in_pregnancy_is_called_unsuited_not_unneeded(client, locale):
    """Review 22 F3: a pregnant woman's vitamin A 800 µg capsules (retinol, not for pregnancy)
    were left out of the reorder with the advice "for your profile as it is now, there is no
    reason to take what it gives": for a product that does not suit pregnancy the advice says
    so and whom to ask, and `why` does not end in `no_advice`."""
    customer = f"s22-retinol-{locale}"
    profile = {"age": 32, "sex": "female", "country": "NL", "life_stage": "pregnant"}
    store_customer(client, customer, profile, {"VL-VITA-800-CAP": "2026-09-01"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale={locale}").get_json()
    [left] = [x for x in refills["reorder"]["left_out"] if x["sku"] == "VL-VITA-800-CAP"]
    codes = [w["code"] for w in left["why"]]
    assert "life_stage" in codes and "no_advice" not in codes
    expected = REFILL_TEXTS["notice_not_reordered_life_stage"][locale].format(name="")
    assert expected.split(":", 1)[1].strip()[:30] in left["advice"]


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 13, "sex": "female", "country": "NL", "goals": ["energy"]},
        {"age": 5, "sex": "male", "country": "NL", "goals": ["energy", "sport"]},
        {"age": 14, "sex": "male", "country": "DE", "goals": ["muscles"]},
    ],
)
@pytest.mark.parametrize("placement", [None, "home"])
def test_a_childs_goal_of_energy_or_sport_brings_no_supplement(client, profile, placement):
    """Review 22 F6: a girl of 13 with the goal energy was offered 100 and 500 µg vitamin B12
    and magnesium for tiredness, a child of 5 magnesium chews for energy or sport. Below 15
    (scoring.yaml lists.goals_min_age, the rules' own bound) these goals bring nothing, and
    `goals_age` says a goal is no reason for a child to take a supplement."""
    body = {"profile": profile, "limit": 6} | ({"placement": placement} if placement else {})
    answer = recommend(client, body)
    given = {n for i in answer["items"] for n in i["nutrients_per_day"]}
    assert not given & {"vitamin_b12_ug", "magnesium_mg"}, answer["items"]
    assert "goals_age" in notice_texts(answer)


def test_a_teenager_of_16_keeps_the_fatigue_claim_products(client):
    """From 15 the goal energy brings its products with their claims, as before."""
    profile = {"age": 16, "sex": "female", "country": "NL", "goals": ["energy"]}
    answer = recommend(client, {"profile": profile, "limit": 6})
    given = {n for i in answer["items"] for n in i["nutrients_per_day"]}
    assert {"vitamin_b12_ug", "magnesium_mg"} <= given
    assert "goals_age" not in notice_texts(answer)


def test_a_child_with_the_goal_immunity_still_gets_vitamin_d_and_hears_of_no_age(client):
    """The immunity goal's vitamin D for a child of 8 stays (rules/tests/vignettes.yaml)."""
    profile = {"age": 8, "sex": "male", "country": "NL", "goals": ["immunity"]}
    answer = recommend(client, {"profile": profile, "limit": 6})
    assert any(i["nutrients_per_day"].get("vitamin_d_ug") for i in answer["items"])
    assert "goals_age" not in notice_texts(answer)


MAGNESIUM_OVER = {"sku": "BL-MG-375-TAB"}


@pytest.mark.parametrize(
    "profile",
    [  # re-review 22 U1: a contraindication keeps the nutrient out whatever is adjusted
        {"age": 75, "sex": "female", "country": "NL", "conditions": ["hypercalcaemia"]},
        {"age": 75, "sex": "female", "country": "NL", "medications": ["active_vitamin_d"]},
        {"age": 75, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 150},
        {
            "age": 60,
            "sex": "male",
            "country": "NL",
            "conditions": ["hyperparathyroidism"],
            "higher_dose_advised": {"calcium_mg": 800},
        },
        # U2: the nutrient itself above its limit with food
        {
            "age": 40,
            "sex": "male",
            "country": "NL",
            "higher_dose_advised": {"zinc_mg": 20},
            "current_supplements": [{"sku": "VL-ZINC-15-CAP"}],
        },
        # M1: enough taken already
        {
            "age": 75,
            "sex": "female",
            "country": "NL",
            "current_supplements": [{"label": "x", "nutrients": {"vitamin_d_ug": 19}}],
        },
    ],
)
def test_advice_open_names_no_nutrient_the_answer_keeps_out_or_calls_covered(client, profile):
    """Re-review 22 U1, U2, M1: beside a magnesium overdose, `advice_open` told a woman with
    hypercalcaemia (and one on active vitamin D, one with a high measured level) to expect
    vitamin D, a man above his zinc limit to expect zinc, a woman with enough vitamin D
    taken to expect more. None of these is an advice open."""
    taken = [*profile.get("current_supplements", []), MAGNESIUM_OVER]
    answer = recommend(client, {"profile": {**profile, "current_supplements": taken}})
    codes = [n["code"] for n in answer["notices"]]
    assert "above_upper_limit:magnesium_mg" in codes
    assert not [c for c in codes if c.startswith("advice_open:")], codes


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 8, "country": "NL", "higher_dose_advised": {"iron_mg": 30}},
        {"age": 9, "country": "NL", "diet": "vegan"},
    ],
)
def test_advice_open_does_not_contradict_the_answers_own_notice_of_that_nutrient(client, profile):
    """Re-review 22 U4: beside "we cannot supply this dose" (a doctor's 30 mg iron for a child
    of 8) or "we have no vitamin B12 product suitable for this age", `advice_open` said "we
    suggest it once what you take is within the limits"."""
    taken = [{"label": "x", "nutrients": {"zinc_mg": 25}}]
    answer = recommend(client, {"profile": {**profile, "current_supplements": taken}})
    codes = [n["code"] for n in answer["notices"]]
    assert "above_upper_limit:zinc_mg" in codes
    assert not [c for c in codes if c.startswith("advice_open:")], codes


def test_buy_again_shows_no_product_past_the_doctors_dose_at_the_servings_it_shows(client):
    """Re-review 22 U3: a thiazide user's doctor advised 250 mg calcium; she takes one 250 mg
    citrate tablet a day (the label says two). The refills reorder it at one a day; buy-again
    and the account placement offered it at the label's two (500 mg), and the e-mail showed
    the reorder at two. Buy-again leaves it out; the e-mail shows it as taken."""
    customer = "s22-u3"
    profile = {
        **THIAZIDE_DOCTOR,
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    for items in buy_again_lists(client, customer):
        assert "VL-CA-CIT-TAB" not in {i["sku"] for i in items}
    email = client.get(f"/v1/customers/{customer}/recommendations?placement=email&locale=en")
    shown = {i["sku"]: i for i in email.get_json()["items"]}
    if "VL-CA-CIT-TAB" in shown:
        assert shown["VL-CA-CIT-TAB"]["servings_per_day"] == 1
        assert shown["VL-CA-CIT-TAB"]["nutrients_per_day"]["calcium_mg"] == 250


def test_goals_age_names_only_the_goals_set_aside(client):
    """Re-review 22 M2: a girl of 16 with the goals energy and heart got her energy products
    and "we suggest nothing for a goal such as energy, sport or your heart"."""
    profile = {"age": 16, "sex": "female", "country": "NL", "goals": ["energy", "heart"]}
    answer = recommend(client, {"profile": profile})
    assert answer["items"]
    text = notice_texts(answer)["goals_age"]
    assert "your heart" in text and "energy" not in text and "sport" not in text


def test_a_child_with_the_goal_sport_gets_no_sport_reason(client):
    """Re-review 22 M3: a child of 9 training indoors got the kids' drops with the rule
    indoor-sport-vitamin-d's muscle reason beside "we suggest nothing for sport"."""
    profile = {"age": 9, "country": "DE", "goals": ["sport"], "sun_exposure": "low"}
    answer = recommend(client, {"profile": profile, "explain": True})
    reasons = [r["code"] for i in answer["items"] for r in i["reasons"]]
    assert "rule:indoor-sport-vitamin-d" not in reasons


def test_alternatives_on_a_product_page_are_not_called_a_routine(client):
    """Re-review 22 M5: three multivitamins offered instead of the page's one each got "do
    not take all of these together": alternatives are one instead of another."""
    profile = {"age": 34, "sex": "female", "country": "DE", "conditions": ["bariatric_surgery"]}
    body = {
        "profile": {**profile, "goals": ["bones"]},
        "placement": "product_page",
        "product_sku": "XF-MULTI-SPORT",
        "limit": 5,
    }
    answer = recommend(client, body)
    alternatives = [i for i in answer["items"] if i["strategy"] == "alternatives"]
    others = [i for i in answer["items"] if i["strategy"] != "alternatives"]
    assert len(alternatives) >= 2
    if len(others) < 2:
        assert not [n for n in answer["notices"] if n["code"].startswith("not_together:")]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_high_measured_level_is_not_called_a_medicine_or_condition(client, locale):
    """Re-review 21 #6: the high-serum exclusion reused "does not go with your medication or
    condition" (intake warning, product not suited, a doctor's dose excluded, no items) for a
    person with neither. Each says "measured" in the interaction's own variant (texts.yaml
    `<key>.high-serum-vitamin-d`); a kidney patient keeps the common words."""
    level = {"age": 50, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 150}
    taken = {**level, "current_supplements": [{"sku": "XF-D3-25-SG"}]}
    doctor = {**level, "higher_dose_advised": {"vitamin_d_ug": 20}}
    texts = {
        **notice_texts(recommend(client, {"profile": taken}, locale)),
        **notice_texts(recommend(client, {"profile": doctor}, locale)),
    }
    codes = {
        "intake_warning:vitamin_d_ug",
        "product_not_suited:XF-D3-25-SG",
        "doctor_dose_excluded:vitamin_d_ug",
        "no_items",
    }
    assert codes <= set(texts)
    medicine = {"nl": "medicijn", "de": "Medikament", "en": "medic"}[locale]
    measured = {"nl": "gemeten", "de": "gemessen", "en": "measure"}[locale]
    for code in codes:
        assert medicine not in texts[code] and measured in texts[code], (code, texts[code])
    kidney = {
        "age": 75,
        "sex": "female",
        "country": "NL",
        "conditions": ["kidney_disease"],
        "higher_dose_advised": {"vitamin_d_ug": 20},
    }
    common = notice_texts(recommend(client, {"profile": kidney}, locale))
    assert measured not in common["doctor_dose_excluded:vitamin_d_ug"]


@pytest.mark.parametrize(
    "key",
    [
        "notice_product_unsuited_interaction.high-serum-vitamin-d",  # SERVICE_TEXTS' base
        "notice_no_items_condition.high-serum-vitamin-d",  # ADVICE_TEXTS' base
    ],
)
def test_an_interactions_own_text_with_a_placeholder_its_base_lacks_is_refused(data_copy, key):
    """An interaction's variant of a text takes its base's placeholders; one naming another
    would fail at the first request that shows it: refused at load with file and key."""
    path = data_copy.reference_dir / "texts.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["texts"][key]["en"] = "contains {medicine}"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError) as refused:
        load_snapshot(data_copy)
    text = " ".join(str(f) for f in refused.value.findings)
    assert "texts.yaml" in text and key in text, text


def test_the_email_adds_no_second_product_to_a_doctors_dose_its_notice_forbids(client):
    """Review 22 F2: a man whose doctor advised 100 µg vitamin D bought the 100 µg capsule
    (not allowed in NL); the e-mail reordered the 75 µg D3 in its place and added cod-liver
    oil "with the 75 µg from your other supplements that is 85 µg", beside its own notice
    "do not take a second product with vitamin D to make up the rest"."""
    customer = "s22-f2"
    answer = _doctor_d_placement(client, customer, "email")
    assert "doctor_dose_short:vitamin_d_ug" in notice_texts(answer)
    giving = [i["sku"] for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]
    assert len(giving) == 1, answer["items"]


def test_a_product_not_suited_suggests_no_product_of_a_nutrient_nothing_calls_for(client):
    """Review 22 F4: a kidney patient on levothyroxine who bought the vegan multivitamin read
    "a product with vitamin K2 without vitamin D, calcium, magnesium and iodine can suit you";
    nothing in her profile calls for vitamin K2. The notice says only "no more" of it."""
    customer = "s22-f4"
    profile = {
        "age": 60,
        "sex": "female",
        "country": "DE",
        "conditions": ["kidney_disease"],
        "medications": ["levothyroxine"],
    }
    store_customer(client, customer, profile, {"GR-MULTI-VEGAN": "2026-09-01"})
    answer = client.get(
        f"/v1/customers/{customer}/recommendations?placement=account&locale=en&limit=8"
    ).get_json()
    text = notice_texts(answer)["product_not_suited:GR-MULTI-VEGAN"]
    assert "can suit you" not in text and "no more vitamin K2" in text


def test_a_reorder_at_fewer_servings_says_nothing_of_the_labels_dose(client):
    """Re-review 22b U1: the e-mail showed one 250 mg tablet a day with the reason "gives 500 mg
    of calcium a day, more than the advised amount", a near-limit warning "with this you take
    500 mg" and the label's price a month; GET /refills the same warning and price. Both show
    the reorder at the servings taken, at their price, with the reorder's own reasons."""
    customer = "s22-u1"
    profile = {
        **THIAZIDE_DOCTOR,
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    email = client.get(f"/v1/customers/{customer}/recommendations?placement=email&locale=en")
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    shown = [i for i in email.get_json()["items"] if i["sku"] == "VL-CA-CIT-TAB"]
    shown += [i for i in refills["reorder"]["items"] if i["sku"] == "VL-CA-CIT-TAB"]
    assert len(shown) == 2
    for item in shown:
        assert item["servings_per_day"] == 1 and item["price_per_month"] < 3.0
        texts = " ".join(r["text"] for r in item["reasons"]) + " ".join(
            w["text"] for w in item["warnings"]
        )
        assert "500 mg" not in texts.replace("Citrate 500 mg", ""), texts


@pytest.mark.parametrize(
    "profile",
    [  # re-review 22b M1: a child's one product of vitamin D goes on
        {
            "age": 6,
            "country": "DE",
            "current_supplements": [
                {"nutrients": {"vitamin_d_ug": 8}},
                {"nutrients": {"iodine_ug": 300}},
            ],
        },
        # M2: no room for a baby's second vitamin D; no B12 product for a child of 8
        {
            "age": 0,
            "country": "NL",
            "current_supplements": [
                {"nutrients": {"vitamin_d_ug": 5}},
                {"nutrients": {"vitamin_e_mg": 100}},
            ],
        },
        {
            "age": 8,
            "country": "NL",
            "higher_dose_advised": {"vitamin_b12_ug": 250},
            "current_supplements": [{"nutrients": {"zinc_mg": 25}}],
        },
    ],
)
def test_advice_open_promises_nothing_no_list_would_offer(client, profile):
    """Re-review 22b M1, M2: `advice_open` said "we suggest it once what you take is within
    the limits" of a child's second vitamin D product, of a baby's vitamin D with no room,
    of vitamin B12 no product suits a child of 8 for."""
    answer = recommend(client, {"profile": profile})
    codes = [n["code"] for n in answer["notices"]]
    assert any(c.startswith("above_upper_limit:") for c in codes)
    assert not [c for c in codes if c.startswith("advice_open:")], codes


@pytest.mark.parametrize("placement", ["cart", "checkout"])
def test_the_cart_does_not_promise_what_it_says_not_to_add(client, placement):
    """Re-review 22b M3: "we suggest vitamin D once ..." beside "in the cart we suggest no
    second product with vitamin D"."""
    profile = {
        "age": 75,
        "sex": "female",
        "country": "NL",
        "current_supplements": [{"nutrients": {"magnesium_mg": 300}}],
    }
    body = {"profile": profile, "placement": placement, "basket": [{"sku": "XF-D3-10-TAB"}]}
    codes = [n["code"] for n in recommend(client, body)["notices"]]
    assert "basket_short:vitamin_d_ug" in codes and "advice_open:vitamin_d_ug" not in codes


def test_no_product_is_said_to_suit_for_a_nutrient_already_covered_besides(client):
    """Re-review 22b m1: beside a 20 µg D3 that covers her vitamin D, the D3 + K2 drops of a
    woman on a vitamin K antagonist said "a product with vitamin D without vitamin K2 can suit
    you"; with the drops her only vitamin D, it still says so."""
    base = {"age": 75, "sex": "female", "country": "NL", "medications": ["vitamin_k_antagonist"]}
    key = "product_not_suited:XF-D3K2-DROPS"
    both = [{"sku": "XF-D3K2-DROPS"}, {"sku": "XF-D3-20-TAB"}]
    covered = notice_texts(recommend(client, {"profile": {**base, "current_supplements": both}}))
    alone = [{"sku": "XF-D3K2-DROPS"}]
    only = notice_texts(recommend(client, {"profile": {**base, "current_supplements": alone}}))
    assert "can suit you" not in covered[key] and "can suit you" in only[key]


# re-review 22b M5: a vegan whose doctor advised 100 µg, on 75 µg capsules (also session 29)
VEGAN_ON_DOCTORS_100 = {
    "age": 40,
    "sex": "female",
    "country": "NL",
    "diet": "vegan",
    "higher_dose_advised": {"vitamin_d_ug": 100},
}


def test_a_replacement_for_a_product_out_of_stock_does_not_say_it_no_longer_fits(client):
    """Re-review 22b M5: a vegan's 75 µg D3 (her doctor's dose) out of stock was replaced
    "instead of ..., which no longer fits your profile": she might stop her doctor's dose."""
    customer = "s22-m5"
    store_customer(client, customer, VEGAN_ON_DOCTORS_100, {"GR-D3-75-VCAP": "2026-08-01"})
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    email = client.get(f"/v1/customers/{customer}/recommendations?placement=email&locale=en")
    items = refills["reorder"]["items"] + email.get_json()["items"]
    replaces = [r["text"] for i in items for r in i["reasons"] if r["code"] == "replaces"]
    assert len(replaces) == 2
    assert all("no longer fits" not in t and "cannot supply" in t for t in replaces)


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_regimen_does_not_call_a_high_measured_level_a_medicine(client, locale):
    """Re-review 22s M4: a regimen for a woman of 75 with a high measured vitamin D level and
    nothing else said "with your condition or medicine we do not suggest products with vitamin
    D" in its target and its `regimen_infeasible`; a kidney patient keeps those words."""
    level = {"age": 75, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 150}
    kidney = {"age": 75, "sex": "female", "country": "NL", "conditions": ["kidney_disease"]}
    measured = {"nl": "gemeten", "de": "gemessen", "en": "measured"}[locale]
    for profile, said in ((level, True), (kidney, False)):
        answer = client.post("/v1/regimens", json={"profile": profile, "locale": locale})
        body = answer.get_json()
        why = body["targets"]["vitamin_d_ug"]["why"]
        [notice] = [n["text"] for n in body["notices"] if n["code"] == "regimen_infeasible"]
        assert (measured in why) is said and (measured in notice) is said, (why, notice)
