"""Session 44: what session 43's reviews left open (s43c: a newcomer and a hostile tester) and
what the session's reviews found."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import dated_client, notice_texts, recommend, store_customer


@pytest.mark.parametrize("path", ["refills", "buy-again", "recommendations"])
@pytest.mark.parametrize("basket", ["", ",", ", ,", "%20"])
def test_a_blank_basket_is_refused_on_every_customer_get(redis_url, path, basket) -> None:
    """s43c 7 (inconsistent): `basket=` was a 422 on the customer's recommendations and a 200
    with an empty basket on /refills and /buy-again: one parser (SkuList) for all three."""
    client = dated_client(redis_url, dt.date(2026, 12, 7))
    store_customer(client, "s44-b1", {"age": 40, "country": "NL"}, {"XF-D3-10-TAB": "2026-11-01"})
    response = client.get(f"/v1/customers/s44-b1/{path}?basket={basket}")
    assert response.status_code == 422, response.get_json()
    assert "basket" in response.get_json()["error"]["fields"], response.get_json()
    assert client.get(f"/v1/customers/s44-b1/{path}").status_code == 200


PRESCRIBED = {
    "en": "do not change a dose a doctor prescribed on your own",
    "nl": "verander niet op eigen houtje een dosis die een arts voorschreef",
    "de": "ändern Sie eine ärztlich verordnete Dosis nicht eigenmächtig",
}
NOW = {"en": "now how to get it", "nl": "nu hoe je het", "de": "jetzt, wie Sie Folsäure"}


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize(
    ("country", "iron", "doctor"), [("NL", 65, True), ("DE", 50, False), ("NL", 65, False)]
)
def test_a_prescribed_dose_above_a_limit_is_not_to_be_adjusted_nor_folic_acid_delayed(
    client, locale, country, iron, doctor
) -> None:
    """s44b F1, F3 (unsafe in effect): a pregnant woman on the iron her midwife prescribed for
    anaemia (65 mg, limit 40) read "we suggest nothing more until that is adjusted" and "we
    suggest folic acid too only once what you take is within the safe upper limits again": as
    if to cut the prescription and to wait with folic acid. The list stays empty (guarantee 1
    counts every nutrient), but the limit's notice says not to change a prescribed dose on
    one's own (as the infant's did), and folic acid is to be asked for now, not later."""
    line = {"label": "Ferrofumaraat", "nutrients": {"iron_mg": iron}}
    profile = {"age": 27, "sex": "female", "life_stage": "pregnant", "country": country}
    profile["current_supplements"] = [line]
    if doctor:
        profile["higher_dose_advised"] = {"iron_mg": iron}
    texts = notice_texts(recommend(client, {"profile": profile}, locale))
    assert PRESCRIBED[locale] in texts["above_upper_limit:iron_mg"], texts
    folic = texts["advice_open:folic_acid_ug"]
    assert NOW[locale] in folic, folic
    for words in ("until that is adjusted", "tot dat is aangepast", "bis das angepasst"):
        assert not any(words in text for text in texts.values()), texts


K_CAUTION = "caution:vitamin-k-blood-thinner"


def test_the_vitamin_k_caution_is_on_regimens_checks_and_their_suggestions(client) -> None:
    """s44a F1 (misleading, close to unsafe): the list puts `caution:vitamin-k-blood-thinner`
    on an item with vitamin K (review s39a F3: one who names no medicine may still take
    phenprocoumon); a regimen with the D3 + 50 µg K2 drops (chosen on cost, one in seven), an
    intake check with them in the basket, and its suggestion to add them (a man of 66 on
    amiodarone) said nothing of it. Now a regimen and a suggestion take plain D3 where no
    target asks for vitamin K, and where one does (a doctor's K2) the caution comes with it."""

    def post(path: str, body: dict) -> dict:
        response = client.post(path, json=body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def with_k(lines: list[dict]) -> list[str]:
        keys = {"vitamin_k1_ug", "vitamin_k2_ug"}
        return [line["sku"] for line in lines if keys & set(line["nutrients_per_day"])]

    profile = {"age": 75, "sex": "male", "country": "DE"}
    regimen = post("/v1/regimens", {"profile": profile, "max_products": 3})
    assert regimen["lines"] and not with_k(regimen["lines"]), regimen["lines"]
    doctor = {**profile, "higher_dose_advised": {"vitamin_k2_ug": 100}}
    regimen = post("/v1/regimens", {"profile": doctor, "max_products": 3})
    assert with_k(regimen["lines"]), regimen["lines"]
    (caution,) = [w for w in regimen["warnings"] if w["code"] == K_CAUTION]
    assert caution["skus"] == with_k(regimen["lines"])
    check = post("/v1/intake/check", {"profile": profile, "basket": [{"sku": "XF-D3K2-DROPS"}]})
    assert K_CAUTION in {n["code"] for n in check["notices"]}, check["notices"]
    amiodarone = {"age": 66, "sex": "male", "country": "DE", "medications": ["amiodarone"]}
    body = {"profile": amiodarone, "basket": [{"sku": "GR-KELP-150-TAB"}]}
    suggestion = post("/v1/intake/check", body)["suggestion"]
    added = [c["sku"] for c in suggestion["changes"] if c["code"] == "add"]
    assert added == ["XF-D3-20-TAB"], suggestion  # not the cheaper D3 + K2 drops
    suggestion = post("/v1/intake/check", {"profile": doctor})["suggestion"]
    assert suggestion is not None and "INR" in suggestion["text"], suggestion
    # named as taking one, the medicine's own interaction speaks instead: no caution
    vka = {**profile, "medications": ["vitamin_k_antagonist"]}
    regimen = post("/v1/regimens", {"profile": vka})
    assert K_CAUTION not in {w["code"] for w in regimen["warnings"]}


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 58, "sex": "male", "country": "NL", "medications": ["bisphosphonate"]},
        {"age": 45, "sex": "female", "country": "NL", "conditions": ["osteoporosis"]},
        {"age": 56, "sex": "other", "country": "NL", "conditions": ["osteopenia"]},
    ],
)
def test_a_bone_condition_or_a_bisphosphonate_brings_vitamin_d_with_the_calcium(
    client, profile
) -> None:
    """s44a F2 (misleading): a regimen for osteoporosis or beside a bisphosphonate gave plain
    calcium (cheaper than calcium + D3; no vitamin D target held), where the NHG and DVO
    guidelines give 20 µg (800 IE) vitamin D3 a day beside fracture-preventing medication."""
    regimen = client.post("/v1/regimens", json={"profile": profile, "max_products": 3})
    body = regimen.get_json()
    assert body["targets"]["vitamin_d_ug"]["target"] == 20, body["targets"]
    assert body["totals"]["vitamin_d_ug"] >= 20, body["lines"]
    items = recommend(client, {"profile": profile, "limit": 10})["items"]
    assert any("vitamin_d_ug" in item["nutrients_per_day"] for item in items), items


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_retinoid_with_a_tetracycline_is_for_the_doctor_today(client, locale) -> None:
    """s44b F6 (misleading, a gap): the acne teenager's isotretinoin with a tetracycline, a
    contraindicated pair (benign intracranial hypertension), had only the retinoid's "no
    vitamin A". A notice-only interaction that holds when both are taken
    (`trigger.all_medications`); neither alone brings it."""
    profile = {"age": 17, "sex": "female", "medications": ["oral_retinoid", "tetracycline"]}
    texts = notice_texts(recommend(client, {"profile": profile}, locale))
    assert "interaction:retinoid-tetracycline" in texts, texts
    assert "interaction:oral-retinoid" in texts
    for one in ("oral_retinoid", "tetracycline"):
        alone = notice_texts(recommend(client, {"profile": {**profile, "medications": [one]}}))
        assert "interaction:retinoid-tetracycline" not in alone, alone


def test_a_teenagers_goal_brings_no_iron(client) -> None:
    """s44b F8 (misleading): a girl of 15 with the goal energy was offered a 7 mg iron tablet
    with the tiredness claim: tiredness in a teenager calls for a blood test first
    (scoring.yaml goal_indication.iron_mg.goal_min_age: 18). A woman of 25 still is."""
    girl = {"age": 15, "sex": "female", "country": "DE", "goals": ["energy"]}
    items = recommend(client, {"profile": girl, "limit": 10})["items"]
    assert not [i["sku"] for i in items if "iron_mg" in i["nutrients_per_day"]], items
    woman = {**girl, "age": 25}
    items = recommend(client, {"profile": woman, "limit": 10})["items"]
    assert [i["sku"] for i in items if "iron_mg" in i["nutrients_per_day"]], items


@pytest.mark.parametrize(
    "line",
    [
        {"sku": "XF-D3-50-CAP"},
        {"label": "Vitamine D 50 µg (arts)", "nutrients": {"vitamin_d_ug": 50}},
    ],
)
def test_a_doctors_dose_in_pregnancy_is_hers_to_keep(client, line) -> None:
    """s44b F4 (misleading): a pregnant woman with a measured deficiency (20 nmol/l) on the 50 µg
    D3 her doctor advised read "more than suits pregnancy (at most 25 µg)", and by SKU was told
    to stop it for 25 µg drops. The 25 µg is what we offer in pregnancy (guarantee 10), not her
    limit (EFSA 100 µg): the warning says to keep her doctor's dose, and nothing replaces it.
    Above her doctor's dose the warning and the lower dose stay."""
    profile = {"age": 31, "sex": "female", "life_stage": "pregnant", "serum_25ohd_nmol_l": 20}
    profile |= {"higher_dose_advised": {"vitamin_d_ug": 50}, "current_supplements": [line]}
    answer = recommend(client, {"profile": profile})
    texts = notice_texts(answer)
    warning = texts["intake_warning:vitamin_d_ug"]
    assert "the dose your doctor advised" in warning and "more than suits" not in warning
    assert not [code for code in texts if code.startswith("instead:")], texts
    assert not [i for i in answer["items"] if "vitamin_d_ug" in i["nutrients_per_day"]]
    lower = {**profile, "higher_dose_advised": {"vitamin_d_ug": 40}}
    texts = notice_texts(recommend(client, {"profile": lower}))
    assert "more than suits pregnancy" in texts["intake_warning:vitamin_d_ug"], texts
    if "sku" in line:
        assert "instead:XF-D3-50-CAP" in texts, texts


def test_refills_name_nothing_in_place_of_a_doctors_dose_in_pregnancy(redis_url) -> None:
    """s44b F4 on /refills: her lasting 50 µg D3 (her doctor's dose) named 25 µg drops
    `instead`, as the list did; now neither does, and the notice says to keep the dose."""
    client = dated_client(redis_url, dt.date(2026, 12, 7))
    profile = {"age": 31, "sex": "female", "country": "NL", "life_stage": "pregnant"}
    profile |= {"serum_25ohd_nmol_l": 20, "higher_dose_advised": {"vitamin_d_ug": 50}}
    store_customer(client, "s44-d1", profile, {"XF-D3-50-CAP": "2026-11-25"})
    answer = client.get("/v1/customers/s44-d1/refills?locale=en").get_json()
    (entry,) = answer["refills"]
    assert entry.get("instead") is None, entry
    texts = notice_texts(answer)
    assert "the dose your doctor advised" in texts["intake_warning:vitamin_d_ug"], texts


MULTI_LABEL = {
    "label": "Multivitamine vrouw",
    "nutrients": {
        "vitamin_a_ug": 600,
        "vitamin_d_ug": 10,
        "folic_acid_ug": 400,
        "iodine_ug": 150,
        "iron_mg": 14,
    },
}


def test_a_typed_in_retinol_multivitamin_in_pregnancy_achieves_nothing(client) -> None:
    """s44a F3 (misleading): a pregnant woman's women's multivitamin typed in as a label line
    (600 µg retinol) "achieved" her folic acid, vitamin D and iodine in a regimen, and the list
    said only to talk about the vitamin A: once she stops it, as the midwife will say, she has
    none of them. By SKU the same product fails the guarantee and a replacement is named. The
    label now counts as unsuited as a whole, and the warning says what else it gave."""
    profile = {"age": 30, "sex": "female", "country": "NL", "life_stage": "pregnant"}
    profile["current_supplements"] = [MULTI_LABEL]
    regimen = client.post("/v1/regimens", json={"profile": profile}).get_json()
    for nutrient in ("folic_acid_ug", "vitamin_d_ug", "iodine_ug"):
        assert regimen["targets"][nutrient]["status"] == "fails_guarantee", regimen["targets"]
    warning = notice_texts(recommend(client, {"profile": profile}))["intake_warning:vitamin_a_ug"]
    assert "It also gives vitamin D, folic acid and iodine" in warning, warning


def test_the_intake_check_words_a_maximum_of_none(client) -> None:
    """s44a F7 (cosmetic): "vitamin A (retinol) 250 µg > 0 µg" in pregnancy."""
    profile = {"age": 30, "sex": "female", "country": "NL", "life_stage": "pregnant"}
    profile["current_supplements"] = [{"sku": "NV-COD-LIVER-OIL"}]
    body = {"profile": profile, "locale": "en"}
    check = client.post("/v1/intake/check", json=body).get_json()
    (text,) = [w["text"] for w in check["warnings"] if w["code"] == "life_stage_maximum"]
    assert "> 0 µg" not in text and "of which no amount suits" in text, text


@pytest.mark.parametrize(("age", "country"), [(80, "NL"), (72, "NL"), (75, "DE")])
def test_from_70_plain_vitamin_d_leads_before_an_unadvised_k2(client, age, country) -> None:
    """s44b F5 (misleading): D3 + 50 µg K2 drops led 50 of 84 lists for people of 75+ who named
    no medicine (medications is optional; about 1 in 10 over 75 take a vitamin K antagonist).
    From 70 (scoring.yaml dose_fit.past_caution) plain D3 of the same dose comes first."""
    profile = {"age": age, "sex": "male", "country": country}
    items = recommend(client, {"profile": profile})["items"]
    assert items, items
    first = items[0]["nutrients_per_day"]
    assert "vitamin_d_ug" in first and "vitamin_k2_ug" not in first, items[0]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_a_babys_covered_vitamin_d_is_the_babys(client, locale) -> None:
    """s44b F9 (cosmetic): a baby on 10 µg drops read "You already take enough vitamin D",
    where every other infant text says "your baby"; and the iodine notice spoke of pregnancy
    to a baby (nl: of a midwife, unlike de and en)."""
    profile = {"age": 0, "country": "NL", "current_supplements": [{"sku": "XF-D3-KIDS-DROPS"}]}
    texts = notice_texts(recommend(client, {"profile": profile}, locale))
    baby = {"en": "baby", "nl": "baby", "de": "Baby"}[locale]
    assert baby in texts["already_covered:vitamin_d_ug"], texts
    assert baby in texts["no_items"], texts
    thyroid = {"age": 0, "country": "NL", "conditions": ["thyroid_disease"]}
    iodine = notice_texts(recommend(client, {"profile": thyroid}, locale))
    text = iodine["interaction:iodine-with-a-doctor"]
    for word in ("pregnancy", "zwangerschap", "Schwangerschaft"):
        assert word not in text, text


def test_a_calcium_excess_made_by_the_food_allowance_asks_for_the_dairy(client) -> None:
    """s44b F2 (misleading): an 82-year-old on her prescribed 1,000 mg calcium + D3 read "above
    the safe upper limit ... until that is adjusted" only through the 1,700 mg of a dairy-rich
    diet (with one dairy portion declared: "already enough"). The notice asks for the dairy
    portions where they were not given, and not where they were."""
    line = {"label": "Calci-Chew D3", "nutrients": {"calcium_mg": 1000, "vitamin_d_iu": 800}}
    profile = {"age": 82, "sex": "female", "conditions": ["osteoporosis"]}
    profile |= {"higher_dose_advised": {"calcium_mg": 1000}, "current_supplements": [line]}
    texts = notice_texts(recommend(client, {"profile": profile}))
    assert "how many portions a day" in texts["above_upper_limit:calcium_mg"], texts
    declared = {**profile, "dairy_portions_per_day": 5}
    texts = notice_texts(recommend(client, {"profile": declared}))
    assert "how many portions" not in texts.get("above_upper_limit:calcium_mg", ""), texts
