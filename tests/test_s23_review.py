"""Session 23: the findings left open by session 22's reviews."""

from __future__ import annotations

import pytest

from .conftest import buy_again_lists, memory_app, notice_texts, recommend, store_customer
from .oracle import expected_intake
from .test_safety_properties import assert_safe

# review 23p #2: pregnant, 10 µg of vitamin D from her pregnancy multivitamin, 20 nmol/l
PREGNANT_DEFICIENT = {
    "age": 28,
    "sex": "female",
    "country": "NL",
    "life_stage": "pregnant",
    "serum_25ohd_nmol_l": 20,
    "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}],
}


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


@pytest.mark.parametrize("sex, near", [("male", True), ("female", False)])
def test_a_reorder_at_fewer_servings_warns_near_the_limit_at_the_dose_taken(client, sex, near):
    """Session 22 left open: below the label's servings a reorder lost its near-limit warning
    (it quoted the label's amount). A man who takes one 250 mg calcium tablet a day of a
    2-a-day label, with up to 2,000 mg from food, is at 2,250 of the 2,500 mg for total
    intake: the e-mail and GET /refills warn of that, at the 250 mg he takes. A woman (up to
    1,700 mg from food) is at 1,950 mg, below the 80 % at which the list warns: no warning."""
    customer = f"s23-near-fewer-{sex}"
    profile = {
        "age": 40,
        "sex": sex,
        "country": "NL",
        "current_supplements": [{"sku": "VL-CA-CIT-TAB", "servings_per_day": 1}],
    }
    store_customer(client, customer, profile, {"VL-CA-CIT-TAB": "2026-08-01"})
    shown = _reorders(client, customer, "VL-CA-CIT-TAB")
    assert len(shown) == 2
    for item in shown:
        assert item["servings_per_day"] == 1
        texts = [w["text"] for w in item["warnings"] if w["code"].startswith("near_upper_limit")]
        if not near:
            assert not texts, texts
            continue
        assert texts and "250 mg" in texts[0] and "2250" in texts[0], item["warnings"]
        assert "take 500 mg" not in texts[0], texts


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


@pytest.mark.parametrize(
    "profile",
    [
        PREGNANT_DEFICIENT,  # review 23p #2: 10 µg from her pregnancy multivitamin
        {  # breastfeeding, a 10 µg D3, 18 nmol/l
            "age": 28,
            "sex": "female",
            "country": "NL",
            "life_stage": "breastfeeding",
            "serum_25ohd_nmol_l": 18,
            "current_supplements": [{"sku": "XF-D3-10-TAB"}],
        },
    ],
)
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_no_enough_vitamin_d_beside_a_measured_deficiency(client, profile, locale):
    """Review 23p #2: "you already take enough vitamin D (10 µg a day)" stood beside "your
    measured level (20 nmol/l) ... is a deficiency"; the regimen said "nothing needs to be
    added". Beside a deficiency the list says what she takes without calling it enough, and
    that her doctor decides; the regimen does not say nothing is needed."""
    answer = recommend(client, {"profile": profile}, locale)
    notices = notice_texts(answer)
    assert "serum_deficient" in notices
    covered = notices["already_covered:vitamin_d_ug"]
    enough = {"nl": "genoeg", "de": "genug", "en": "enough"}[locale]
    assert enough not in covered and "10" in covered, covered
    assert {"nl": "arts", "de": "Arzt", "en": "doctor"}[locale] in covered, covered
    regimen = client.post("/v1/regimens", json={"profile": profile, "locale": locale})
    texts = notice_texts(regimen.get_json())
    assert "serum_deficient" in texts
    nothing = {"nl": "er hoeft niets bij", "de": "muss nichts", "en": "nothing needs"}[locale]
    assert not any(nothing in t for t in texts.values()), texts


def test_enough_vitamin_d_stays_without_a_measured_deficiency(client):
    """At 40 nmol/l (insufficient, not deficient: no referral) what she takes is enough for the
    advice, and the list says so, as before."""
    profile = {
        "age": 28,
        "sex": "female",
        "country": "NL",
        "life_stage": "pregnant",
        "serum_25ohd_nmol_l": 40,
        "current_supplements": [{"sku": "XF-D3-10-TAB"}],
    }
    notices = notice_texts(recommend(client, {"profile": profile}))
    assert "serum_deficient" not in notices
    assert "enough" in notices["already_covered:vitamin_d_ug"]


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 75, "sex": "male", "country": "NL", "higher_dose_advised": {"vitamin_d_ug": 50}},
        {
            "age": 55,
            "sex": "female",
            "country": "NL",
            "diet": "vegan",
            "higher_dose_advised": {"vitamin_d_ug": 75},
        },
        {
            "age": 72,
            "sex": "female",
            "country": "NL",
            "higher_dose_advised": {"vitamin_d_iu": 2000},
        },
    ],
)
def test_a_doctors_vitamin_d_dose_is_not_quoted_beside_the_health_councils(client, profile):
    """Review 23p #4: a man of 75 whose doctor advised 50 µg got a D3 + K2 (100 µg K2 nobody
    advised) first, with "your doctor advised 50 µg" and "the Dutch Health Council advises
    everyone aged 70 and over to take 20 µg"; a vegan woman of 55 with a doctor's 75 µg "your
    doctor advised 75 µg" beside "advises women aged 50 to 70 ... 10 µg". Two doses on one item
    is no reason true for the person: with a doctor's vitamin D dose the council's age rules,
    and the 65+ D3 + K2 boost, stay out (as dark skin and little sun did, review 20b F6)."""
    answer = recommend(client, {"profile": profile, "limit": 5})
    assert answer["items"]
    for item in answer["items"]:
        codes = {r["code"] for r in item["reasons"]}
        assert "rule:nl-70-plus-vitamin-d" not in codes, item["reasons"]
        assert "rule:nl-women-50-70-vitamin-d" not in codes, item["reasons"]
        assert "rule:older-65-plus-d3-k2" not in codes, item["reasons"]
        texts = " ".join(r["text"] for r in item["reasons"])
        assert "Health Council" not in texts, texts


def test_without_a_doctors_dose_the_health_councils_70_plus_advice_is_quoted(client):
    answer = recommend(client, {"profile": {"age": 75, "sex": "male", "country": "NL"}})
    codes = {r["code"] for i in answer["items"] for r in i["reasons"]}
    assert "rule:nl-70-plus-vitamin-d" in codes


@pytest.mark.parametrize("country", ["NL", "DE"])
def test_a_childs_measured_low_level_brings_no_vitamin_d_product_on_its_own(client, country):
    """Review 23p #7: a girl of 14 with 15 nmol/l who takes a 10 µg D3 was offered a D3 + K2
    drops (50 µg K2) and a 20 µg D3, 30 µg with hers, by the rule for a measured low level
    alone, beside `no_advice`: targets.yaml gives that level a target for adults only (a
    child's is the doctor's dose), and the list says to see the doctor (`serum_deficient`).
    The rule now asks the same age; no vitamin D product is offered for the level alone."""
    profile = {
        "age": 14,
        "sex": "female",
        "country": country,
        "serum_25ohd_nmol_l": 15,
        "current_supplements": [{"sku": "XF-D3-10-TAB"}],
    }
    answer = recommend(client, {"profile": profile})
    assert "serum_deficient" in notice_texts(answer)
    for item in answer["items"]:
        codes = {r["code"] for r in item["reasons"]}
        assert "rule:low-measured-vitamin-d" not in codes, item


def test_an_adults_measured_low_level_still_brings_vitamin_d(client):
    profile = {"age": 40, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": 40}
    answer = recommend(client, {"profile": profile})
    assert any(i["nutrients_per_day"].get("vitamin_d_ug", 0) > 0 for i in answer["items"])


@pytest.mark.parametrize("age, serum", [(6, 40), (10, 25), (17, 12)])
def test_a_child_with_a_low_level_taking_no_vitamin_d_is_offered_one_plain_dose(client, age, serum):
    """The adults' rule left a child of 6 at 40 nmol/l with "tell us more": a child who takes
    no vitamin D yet is offered a plain vitamin D of 10-15 µg (at most the EFSA adequate
    intake, no vitamin K), with the doctor named for the dose (low-measured-vitamin-d-child)."""
    profile = {"age": age, "sex": "female", "country": "NL", "serum_25ohd_nmol_l": serum}
    answer = recommend(client, {"profile": profile})
    offered = [
        i
        for i in answer["items"]
        if "rule:low-measured-vitamin-d-child" in {r["code"] for r in i["reasons"]}
    ]
    assert offered, answer
    for item in answer["items"]:
        amounts = item["nutrients_per_day"]
        if amounts.get("vitamin_d_ug"):
            assert 10 <= amounts["vitamin_d_ug"] <= 15, item
            assert not amounts.get("vitamin_k1_ug") and not amounts.get("vitamin_k2_ug"), item


@pytest.mark.parametrize(
    "country, sku, age", [("DE", "XF-D3-20-TAB", 45), ("NL", "XF-D3-10-TAB", 55)]
)
def test_a_product_taken_above_its_label_that_covers_the_advice_is_bought_again(
    client, country, sku, age
):
    """Re-review 23r #2: two 20 µg D3 a day for a woman of 45 in DE (the DGE's 20 µg) were
    reordered in the e-mail but missing from buy-again and the account page: the product's
    own second tablet counted as covering the advice, so it was a second source of itself."""
    customer = f"s23r-above-label-{country}"
    profile = {
        "age": age,
        "sex": "female",
        "country": country,
        "current_supplements": [{"sku": sku, "servings_per_day": 2}],
    }
    store_customer(client, customer, profile, {sku: "2026-08-20"})
    assert len(_reorders(client, customer, sku)) == 2
    for items in buy_again_lists(client, customer):
        assert [i["sku"] for i in items] == [sku]


def test_beside_a_doctors_dose_a_deficiency_keeps_enough_of_the_doctors_dose(client):
    """Re-review 23r #6: a man at 20 nmol/l who takes the 50 µg his doctor advised read "your
    doctor decides how much vitamin D you need": the doctor has; what he takes is enough for
    the doctor's dose, and the list says so beside the deficiency notice."""
    profile = {
        "age": 45,
        "sex": "male",
        "country": "NL",
        "serum_25ohd_nmol_l": 20,
        "higher_dose_advised": {"vitamin_d_ug": 50},
        "current_supplements": [{"sku": "XF-D3-50-CAP"}],
    }
    notices = notice_texts(recommend(client, {"profile": profile}))
    assert "serum_deficient" in notices
    assert "enough" in notices["already_covered:vitamin_d_ug"]
    regimen = client.post("/v1/regimens", json={"profile": profile, "locale": "en"})
    texts = notice_texts(regimen.get_json())
    assert "discussed it with your doctor" not in texts.get("targets_met", ""), texts


def test_refills_say_no_enough_vitamin_d_beside_a_measured_deficiency(client):
    """Re-review 23r #3: GET /refills left out a pregnant woman's 10 µg D3 (18 nmol/l) with
    "with what you take besides it, you already get enough vitamin D" and no notice of the
    level. It names the advised amount and the doctor, and carries `serum_deficient`."""
    customer = "s23r-refills-serum"
    profile = {
        "age": 28,
        "sex": "female",
        "country": "NL",
        "life_stage": "pregnant",
        "serum_25ohd_nmol_l": 18,
        "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}, {"sku": "XF-D3-10-TAB"}],
    }
    purchases = {"XF-D3-10-TAB": "2026-08-01", "XF-MULTI-PREGNANCY": "2026-11-20"}
    store_customer(client, customer, profile, purchases)
    refills = client.get(f"/v1/customers/{customer}/refills?locale=en").get_json()
    assert "serum_deficient" in notice_texts(refills)
    whys = [w for e in refills["refills"] for w in e.get("why", [])]
    whys += [w for e in (refills["reorder"] or {"left_out": []})["left_out"] for w in e["why"]]
    covered = [w["text"] for w in whys if w["code"] == "already_covered"]
    assert covered, refills
    for text in covered:
        assert "enough" not in text and "doctor" in text, text


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_an_empty_list_beside_a_deficiency_does_not_ask_to_tell_us_more(client, locale):
    """Review 23p #2: the pregnant woman at 20 nmol/l whose multivitamin covers her advice got
    "tell us more (goals, sun, diet)" under the deficiency notice. The empty list points to
    the doctor, as the deficiency notice does."""
    answer = recommend(client, {"profile": PREGNANT_DEFICIENT}, locale)
    assert not answer["items"]
    text = notice_texts(answer)["no_items"]
    assert {"nl": "Vertel ons meer", "de": "Erzählen Sie", "en": "Tell us more"}[locale] not in text
    assert {"nl": "arts", "de": "Arzt", "en": "doctor"}[locale] in text, text
