"""Session 20: the findings left open by session 19 and this session's reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import notice_texts, recommend

PREGNANT = {"age": 30, "sex": "female", "life_stage": "pregnant", "country": "NL"}
REGIMEN_TEXTS = Path(__file__).resolve().parents[1] / "rules" / "reference" / "regimen_texts.yaml"


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_folic_acid_in_pregnancy_is_our_aim_in_the_regimen_and_the_check_as_in_the_list(
    client, locale
):
    """Review 19 F5: the list's reason quotes folic acid in pregnancy as our aim (targets.yaml:
    authority dosewise, not in domain.md's tables), while the regimen and the intake check
    called the same 400 µg "the advised": its `first` priority, which only orders it before
    the other advice, made it read as an authority's. A target's wording follows its
    authority; its priority only orders it."""
    words = yaml.safe_load(REGIMEN_TEXTS.read_text(encoding="utf-8"))["texts"]
    ours, advised = words["advised_ours"][locale], words["advised"][locale]
    listed = recommend(client, {"profile": PREGNANT, "limit": 5}, locale)
    reasons = [r for i in listed["items"] for r in i["reasons"]]
    assert any(r["code"] == "fills_gap:folic_acid_ug" for r in reasons)
    body = {"profile": PREGNANT, "locale": locale}
    regimen = client.post("/v1/regimens", json=body).get_json()
    why = regimen["targets"]["folic_acid_ug"]["why"]
    assert f"{ours} 400" in why and advised not in why, why
    check = {"profile": PREGNANT, "basket": [{"sku": "XF-D3-10-TAB"}], "locale": locale}
    added = client.post("/v1/intake/check", json=check).get_json()["suggestion"]
    assert added["sku"] in {"BL-FOLIC-400-TAB", "GR-METHYLFOLATE-400-CAP"}, added
    assert f"{ours} 400" in added["text"] and advised not in added["text"], added["text"]


@pytest.mark.parametrize("servings", [0.01, 0.5])
def test_the_next_pack_of_a_product_taken_at_its_label_never_lowers_what_is_counted(
    client, servings
):
    """Review 20a F1 (unsafe): a basket line of a product taken at its label (no
    `servings_per_day`) with fewer servings a day than the label replaced the taken line's
    servings: a 50 µg D3 taken and its next pack at 0.01 a day counted 0.5 µg, and with 25 µg
    from a label line and 9 µg from food, 20 µg products were offered (104 of the limit of
    100). The next pack counts only above the label's serving."""
    taken = [{"sku": "NV-D3-50-FISH-SG"}, {"label": "D3 drops", "nutrients": {"vitamin_d_ug": 25}}]
    profile = {"age": 40, "sex": "male", "serum_25ohd_nmol_l": 10, "current_supplements": taken}
    basket = [{"sku": "NV-D3-50-FISH-SG", "servings_per_day": servings}]
    plain = recommend(client, {"profile": profile, "limit": 50})
    answer = recommend(client, {"profile": profile, "basket": basket, "limit": 50})
    assert answer["intake"]["vitamin_d_ug"] == plain["intake"]["vitamin_d_ug"]
    assert answer["intake"]["vitamin_d_ug"]["current"] == 75
    assert [i["sku"] for i in answer["items"]] == [i["sku"] for i in plain["items"]]
    check = client.post("/v1/intake/check", json={"profile": profile, "basket": basket})
    assert check.get_json()["totals"]["vitamin_d_ug"]["amount"] == 75


def test_the_next_pack_raises_a_label_dose_as_before(client):
    """What review s6 T4 built stays: the next pack at more servings than the label counts at
    those servings (2 a day of a 10 µg tablet taken at its label is 20 µg)."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-10-TAB"}]}
    basket = [{"sku": "XF-D3-10-TAB", "servings_per_day": 2}]
    answer = recommend(client, {"profile": profile, "basket": basket})
    assert answer["intake"]["vitamin_d_ug"]["current"] == 20
    one = recommend(client, {"profile": profile, "basket": [{"sku": "XF-D3-10-TAB"}]})
    assert one["intake"]["vitamin_d_ug"]["current"] == 10


@pytest.mark.parametrize("goal", ["bones", "muscles", "sport"])
@pytest.mark.parametrize("medications", [["digoxin", "thiazide_diuretic"], ["thiazide_diuretic"]])
def test_a_goal_brings_no_calcium_past_a_medicines_warning(client, goal, medications):
    """Review 20b F1 (unsafe): a woman of 80 on digoxin and a thiazide with osteoporosis and
    the goal bones was offered 400 and 500 mg calcium for their claim alone ("talk to your
    doctor first" as the warning), though without the goal the list had no calcium: no aim of
    ours past a medicine's warning is a target (review 16 F7), and a goal is less than an aim.
    A goal (or a learned preference) brings no product past such a threshold; the vitamin D
    advice for 70+ stays, with its warning."""
    profile = {
        "age": 80,
        "sex": "female",
        "country": "NL",
        "medications": medications,
        "conditions": ["osteoporosis"],
        "goals": [goal],
    }
    answer = recommend(client, {"profile": profile, "limit": 10})
    calcium = [i["sku"] for i in answer["items"] if i["nutrients_per_day"].get("calcium_mg")]
    assert not calcium, calcium
    assert any(i["nutrients_per_day"].get("vitamin_d_ug") for i in answer["items"])
    home = recommend(client, {"profile": profile, "placement": "home", "limit": 10})["items"]
    assert not [i["sku"] for i in home if i["nutrients_per_day"].get("calcium_mg")]
    # the list says why: each medicine's notice ("talk to your doctor first")
    codes = {n["code"] for n in answer["notices"]}
    assert {f"interaction:{m.replace('_diuretic', '-diuretic')}" for m in medications} <= codes


def test_a_goal_kept_out_by_a_medicines_warning_says_why(client):
    """Review 20b F1 follow-up: a person of 44 on digoxin with the goals muscles and sport lost
    the vitamin D products the goal's claim brought (digoxin warns of any vitamin D); the list
    names digoxin's notice, as it does for an aim of ours (review 16 F7)."""
    profile = {"age": 44, "goals": ["muscles", "sport"], "medications": ["digoxin"]}
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert not [i for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]
    assert "interaction:digoxin" in {n["code"] for n in answer["notices"]}


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 67, "sex": "female", "country": "NL", "goals": ["immunity"]},
        {"age": 63, "sex": "female", "country": "DE", "diet": "vegan"},
        {"age": 63, "sex": "male", "country": "DE", "diet": "vegan"},
    ],
)
def test_a_rule_brings_no_iron_to_whom_iron_is_not_indicated(client, profile):
    """Review 20b F2: rules of a goal or a diet with multivitamins among their categories
    (`goal-immunity-vitamin-d`, `vegan-vitamin-b12`) counted as a need and skipped the check a
    goal's claim passes (scoring.yaml `lists.goal_indication`): a woman of 67 with the goal
    immunity got a women's multivitamin with 14 mg iron, a vegan of 63 a vegan one with 10 mg,
    each with a vitamin D or B12 reason; the regimen and the check gave plain products."""
    for placement in (None, "home"):
        body = {"profile": profile, "limit": 10, **({"placement": placement} if placement else {})}
        items = recommend(client, body)["items"]
        assert items
        iron = [i["sku"] for i in items if i["nutrients_per_day"].get("iron_mg")]
        assert not iron, (placement, iron)


def test_a_doctors_iron_is_not_answered_past_its_dose_by_a_multivitamin(client):
    """Review 20b F4: a doctor's 7 mg iron for a woman of 75 was answered, beside the 7 mg
    tablet, by a women's multivitamin with 14 mg ("more than the advised amount; your doctor
    advised 7 mg"). Iron is not indicated for her but for the doctor's dose, so only a product
    within that dose serves it."""
    profile = {"age": 75, "sex": "female", "country": "NL", "higher_dose_advised": {"iron_mg": 7}}
    items = recommend(client, {"profile": profile, "limit": 10})["items"]
    iron = {
        i["sku"]: i["nutrients_per_day"]["iron_mg"]
        for i in items
        if "iron_mg" in i["nutrients_per_day"]
    }
    assert iron and all(amount <= 7 for amount in iron.values()), iron


def test_liver_disease_warns_of_retinol_and_iron_and_no_goal_brings_them(client):
    """Review 20b F3: with liver disease a woman of 45 with the goal immunity was offered
    multivitamins with 600-800 µg retinol and 14 mg iron, and a man of 90 with the goal heart
    cod-liver oil (250 µg retinol), each without a word of the liver; the only notice was about
    poor uptake. interactions.yaml `liver-retinol-iron` warns of both (a warning: the doctor
    decides), so a goal or a rule's reason no longer brings them; what is taken is warned of."""
    liver = {"conditions": ["liver_disease"]}
    for profile in (
        {"age": 45, "sex": "female", "diet": "vegetarian", "goals": ["immunity"], **liver},
        {"age": 90, "sex": "male", "country": "DE", "goals": ["heart"], **liver},
    ):
        items = recommend(client, {"profile": profile, "limit": 10})["items"]
        assert items
        for item in items:
            gives = item["nutrients_per_day"]
            assert not gives.get("vitamin_a_ug") and not gives.get("iron_mg"), item["sku"]
    taken = [{"label": "Vitamine A 5000 IE", "nutrients": {"vitamin_a_ug": 1500}}]
    profile = {"age": 58, "sex": "male", "goals": ["heart"], "current_supplements": taken, **liver}
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert "interaction:liver-retinol-iron" in {n["code"] for n in answer["notices"]}
    body = {"profile": {"age": 58, **liver}, "basket": [{"sku": "NV-COD-LIVER-OIL"}]}
    warnings = client.post("/v1/intake/check", json=body).get_json()["warnings"]
    assert "interaction:liver-retinol-iron" in {w["code"] for w in warnings}


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 75, "sex": "female", "sun_exposure": "low", "skin_type": 6},
        {"age": 88, "sex": "male", "sun_exposure": "low"},
        {
            "age": 69,
            "sex": "male",
            "sun_exposure": "low",
            "higher_dose_advised": {"vitamin_d_ug": 30},
        },
        {"age": 50, "sex": "female", "skin_type": 5, "higher_dose_advised": {"vitamin_d_iu": 1200}},
    ],
)
def test_one_vitamin_d_item_quotes_one_advice(client, profile):
    """Review 20b F6: in NL a woman of 75 with little sun and dark skin had on one D3 + K2
    item "the Dutch Health Council advises 20 µg" (70+) and twice "then advises 10 µg" (the
    low-sun and dark-skin rules, for under 70); a man of 69 with a doctor's 30 µg had the
    doctor's dose and "then advises 10 µg" on one item. Those rules now hold below 70 and
    without a doctor's vitamin D dose, as risk_groups.yaml already says for a measured level
    ("a second number on the same item misleads", review s8 Q5)."""
    answer = recommend(client, {"profile": {"country": "NL", **profile}, "limit": 10}, "nl")
    vitamin_d = [i for i in answer["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]
    assert vitamin_d
    for item in vitamin_d:
        codes = {r["code"] for r in item["reasons"]}
        assert not codes & {"rule:nl-low-sun-vitamin-d", "rule:dark-skin-vitamin-d"}, codes


def test_a_doctors_lower_vitamin_d_dose_takes_the_place_of_our_serum_estimate(client):
    """Review 20a F3: a man of 40 with a measured 10 nmol/l and a doctor's 10 µg was offered
    only 50 µg products, each with the reason "Your doctor advised 10 µg of vitamin D a day;
    this product gives 50 µg a day": five times the doctor's dose. Our estimate from the level
    (about 40 µg) gives way to the doctor's lower dose, in lists and regimens; a doctor's
    higher dose than the estimate is capped as before, and the estimate then stays."""
    advised = {"age": 40, "sex": "male", "serum_25ohd_nmol_l": 10}
    profile = {**advised, "higher_dose_advised": {"vitamin_d_ug": 10}}
    items = recommend(client, {"profile": profile, "limit": 5})["items"]
    doses = [
        i["nutrients_per_day"]["vitamin_d_ug"]
        for i in items
        if "vitamin_d_ug" in i["nutrients_per_day"]
    ]
    assert doses and max(doses) <= 25, doses
    body = {"profile": profile, "locale": "en"}
    regimen = client.post("/v1/regimens", json=body).get_json()
    assert regimen["targets"]["vitamin_d_ug"]["target"] == 10, regimen["targets"]
    capped = {**advised, "higher_dose_advised": {"vitamin_d_ug": 150}}
    answer = recommend(client, {"profile": capped, "limit": 5})
    assert "doctor_dose_capped:vitamin_d_ug" in {n["code"] for n in answer["notices"]}
    assert max(i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in answer["items"]) > 25


@pytest.mark.parametrize("dose", [1, 1.4])
def test_a_doctors_b6_that_only_a_magnesium_tablet_reaches_has_its_notice(client, dose):
    """Review 20b F5: for a doctor's 1-1.5 mg vitamin B6 the list left out the magnesium + B6
    tablet (200 mg magnesium a day, near its limit, which nobody asked for) and said "we found
    no product for a need in your profile, tell us more". The list now says the doctor's dose
    has no product that suits (as at 0.5 mg). The regimen still gives that tablet (its
    candidates do not weigh a product's other nutrients as a list does; left open)."""
    profile = {"age": 40, "sex": "female", "higher_dose_advised": {"vitamin_b6_mg": dose}}
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert not answer["items"]
    codes = {n["code"] for n in answer["notices"]}
    assert "advice_unmet:vitamin_b6_mg" in codes, answer["notices"]
    assert "Tell us more" not in notice_texts(answer)["no_items"]


def test_the_preview_says_why_a_goal_or_rule_is_no_need(client):
    """Merchandisers read why a product their rule speaks to is left out (docs/merchandisers.md):
    past a medicine's warning threshold, or a nutrient not indicated for the profile."""

    def no_need(profile: dict, sku: str) -> str:
        answer = client.post("/v1/preview", json={"profile": profile}).get_json()
        found = [x for x in answer["excluded"] if x["sku"] == sku]
        return next(r["text"] for r in found[0]["reasons"] if r["code"] == "no_need")

    woman = {"age": 67, "sex": "female", "goals": ["immunity"]}
    assert "iron_mg, not indicated" in no_need(woman, "XF-MULTI-WOMEN")
    medicines = {"medications": ["digoxin"], "conditions": ["osteoporosis"], "goals": ["bones"]}
    assert "warning threshold" in no_need({"age": 80, **medicines}, "BL-CA-500-TAB")


@pytest.mark.parametrize(
    ("profile", "warned"),
    [
        (
            {
                "age": 30,
                "sex": "female",
                "diet": "vegetarian",
                "conditions": ["liver_disease", "osteoporosis"],
                "medications": ["digoxin"],
                "goals": ["sport"],
            },
            ("iron_mg", "vitamin_a_ug", "calcium_mg", "vitamin_d_ug"),
        ),
        (
            {"age": 30, "sex": "female", "life_stage": "pregnant", "conditions": ["liver_disease"]},
            ("iron_mg", "vitamin_a_ug"),
        ),
        ({"age": 75, "sex": "female", "medications": ["thiazide_diuretic"]}, ("calcium_mg",)),
    ],
)
def test_an_advice_gap_of_one_nutrient_brings_nothing_past_anothers_warning(
    client, profile, warned
):
    """Re-review 20d F1: a liver patient's magnesium gap brought a women's multivitamin with
    iron and retinol (newly, once the calcium + magnesium tablet left the magnesium role), a
    pregnant liver patient's folic acid gap the pregnancy multivitamin with 14 mg iron, a
    thiazide user's vitamin D a calcium + D3. A gap brings a product past a warning only for
    the warned nutrient itself, as the regimen holds it (`_warned_unneeded`)."""
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert answer["items"]
    for item in answer["items"]:
        assert not any(item["nutrients_per_day"].get(n) for n in warned), item["sku"]


def test_a_doctors_iron_is_not_planned_past_its_dose(client):
    """Re-review 20d F2: with a doctor's 7 mg iron and half a 7 mg tablet taken, the regimen
    planned a 14 mg capsule (17.5 mg a day, "achieved"), where the list offers none; both now
    say the dose is not served."""
    taken = [{"sku": "VL-IRON-7-TAB", "servings_per_day": 0.5}]
    profile = {
        "age": 75,
        "sex": "female",
        "higher_dose_advised": {"iron_mg": 7},
        "current_supplements": taken,
    }
    regimen = client.post("/v1/regimens", json={"profile": profile, "locale": "en"}).get_json()
    assert regimen["targets"]["iron_mg"]["amount"] <= 7, regimen["targets"]["iron_mg"]
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert not [i for i in answer["items"] if i["nutrients_per_day"].get("iron_mg")]
    assert "advice_unmet:iron_mg" in {n["code"] for n in answer["notices"]}


def test_a_list_a_medicine_empties_says_so_not_tell_us_more(client):
    """Re-review 20d F4: a woman of 45 with osteoporosis on digoxin had D3 + K2 through the
    osteoporosis rule; digoxin now keeps it out, and the empty list said "tell us more"."""
    profile = {
        "age": 45,
        "sex": "female",
        "conditions": ["osteoporosis"],
        "medications": ["digoxin"],
    }
    for extra in ({}, {"placement": "home"}):
        answer = recommend(client, {"profile": profile, "limit": 10, **extra})
        assert not answer["items"]
        texts = notice_texts(answer)
        assert "interaction:digoxin" in texts
        assert "Tell us more" not in texts["no_items"], texts["no_items"]


def test_a_doctors_dose_below_the_estimate_keeps_the_levels_band(client):
    """Re-review 20d F5: with a measured 5 nmol/l and a doctor's 40 µg only 25 µg products were
    left (the doctor's dose had also taken the level's band away); the level keeps the band,
    so the 50 µg product closest to 40 µg leads, as before this session."""
    profile = {
        "age": 40,
        "sex": "male",
        "serum_25ohd_nmol_l": 5,
        "higher_dose_advised": {"vitamin_d_ug": 40},
    }
    items = recommend(client, {"profile": profile, "limit": 10})["items"]
    assert items and items[0]["nutrients_per_day"]["vitamin_d_ug"] == 50


def test_a_doctors_dose_of_zero_is_no_dose_for_the_nl_vitamin_d_rules(client):
    """Re-review 20d (cosmetic): `higher_dose_advised: {"vitamin_d_ug": 0}` (no dose, as the
    service reads it everywhere else) silenced the low-sun rule's reason."""
    for advised in ({"vitamin_d_ug": 0}, {"vitamin_d_iu": 0}):
        profile = {"age": 40, "sun_exposure": "low", "higher_dose_advised": advised}
        items = recommend(client, {"profile": profile, "limit": 3})["items"]
        codes = {r["code"] for i in items for r in i["reasons"]}
        assert "rule:nl-low-sun-vitamin-d" in codes, codes


@pytest.mark.parametrize("sku", ["NV-COD-LIVER-OIL", "XF-MULTI-WOMEN"])
def test_the_page_of_a_retinol_or_iron_product_warns_a_liver_patient(client, sku):
    """Re-review 20d F6: on the page of cod-liver oil (250 µg retinol) or a multivitamin with
    retinol and iron, a liver patient heard nothing of the liver (only "the product on this
    page already gives vitamin D"): the page product's warning is the page's notice."""
    profile = {"age": 45, "sex": "female", "conditions": ["liver_disease"]}
    body = {"profile": profile, "placement": "product_page", "product_sku": sku, "limit": 5}
    answer = recommend(client, body)
    assert "interaction:liver-retinol-iron" in notice_texts(answer)


@pytest.mark.parametrize("medication", ["antiplatelet", "vitamin_k_antagonist"])
def test_a_goals_own_aim_brings_no_dose_past_a_medicines_warning(client, medication):
    """Re-review 20f F3: the goal heart's omega-3 aim (250 mg, the claim's condition of use:
    our aim, not an advice) counted as a gap and let a 1,000 mg product past the 900 mg at
    which an antiplatelet or anticoagulant warns; the 600 mg product meets the aim."""
    profile = {"age": 45, "medications": [medication], "goals": ["heart"]}
    items = recommend(client, {"profile": profile, "limit": 10})["items"]
    omega3 = [i["nutrients_per_day"].get("omega3_mg", 0) for i in items]
    assert any(omega3) and max(omega3) <= 900, omega3


def test_an_empty_list_of_a_goal_past_a_warning_speaks_of_what_was_told(client):
    """Re-review 20f F4: with no advice for the profile, the empty list of a goal kept out by
    digoxin said "nothing fits the advice for your profile" under "there is no advised daily
    amount"; it now says what the person told us points to products the medicine warns of."""
    profile = {"age": 67, "sex": "other", "medications": ["digoxin"], "goals": ["pregnancy"]}
    answer = recommend(client, {"profile": profile, "limit": 10})
    assert not answer["items"]
    text = notice_texts(answer)["no_items"]
    assert "advice for your profile" not in text and "warns" in text, text


@pytest.mark.parametrize("label", [54, 56, 58, 60])
def test_removing_a_next_pack_is_not_promised_to_fix_what_it_cannot(client, label):
    """Session 20 mend: 89607de counted the raise of a next pack from the label even where the
    taken line said fewer servings (half a 75 µg tablet taken, the next pack at 0.8 a day: a
    raise of 30 µg, not 22.5), so the intake check said "Remove it from your basket: then you
    stay within the safe upper limit" where without it the day is still above the room food
    leaves (37.5 + 56 + 9 µg food). A suggestion only promises what its change brings."""
    taken = [
        {"sku": "XF-D3-75-TAB", "servings_per_day": 0.5},
        {"label": "D", "nutrients": {"vitamin_d_ug": label}},
    ]
    profile = {"age": 40, "current_supplements": taken}
    basket = [{"sku": "XF-D3-75-TAB", "servings_per_day": 0.8}]
    with_pack = client.post("/v1/intake/check", json={"profile": profile, "basket": basket})
    without = client.post("/v1/intake/check", json={"profile": profile, "basket": []}).get_json()
    assert without["violations"], without["totals"]  # still above without the next pack
    suggestion = with_pack.get_json()["suggestion"]
    assert suggestion is None or suggestion["code"] != "remove", suggestion
