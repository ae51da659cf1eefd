"""Session 43: what session 42 left open in /refills' `instead` (s42b N2: a nutrient a lasting
product that no longer fits gave, still advised with all named beside it, that no entry named),
and what the session's reviews found (s43a: a pharmacist on POST answers; s43c: a newcomer, a
merchandiser and a hostile tester)."""

from __future__ import annotations

import pytest

from service.core.lint import lint
from service.core.snapshot import load_snapshot

from .conftest import dated_client, memory_app, notice_texts, recommend
from .oracle import PRODUCTS, expected_food, expected_upper_limit, per_day
from .test_data_files import line_no, only_finding, refusal, write_rules
from .test_s42_review import TODAY_S42, _all_named, _named, _refills


def test_two_kids_multivitamins_each_counting_the_others_vitamin_d_name_her_vitamin_d(
    redis_url,
) -> None:
    """A breastfeeding vegan (NL, 31) takes two kids' multivitamins, neither of which suits her
    (diet, age, breastfeeding). Each entry's search counted the other's 10 µg vitamin D as
    taken, so together they named B12, iodine and calcium, and nothing gave the 10 µg vitamin
    D advised while breastfeeding once she stops both."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 31,
        "sex": "female",
        "life_stage": "breastfeeding",
        "diet": "vegan",
        "country": "NL",
    }
    bought = [("KV-MULTI-KIDS-CHEW", 10), ("KV-MULTI-KIDS-GUMMY", 15)]
    answer = _refills(client, "s43-n2", profile, bought)
    named = [sku for entry in answer["refills"] for sku in _named(entry)]
    assert named, answer
    assert any("vitamin_d_ug" in per_day(PRODUCTS[sku]) for sku in named), named
    day = _all_named(answer)
    for nutrient, amount in day.items():
        limit = expected_upper_limit(nutrient, 31, "breastfeeding")
        total = amount + expected_food(profile, nutrient)
        assert limit is None or total <= limit, (nutrient, total, limit)
    assert day["vitamin_d_ug"] <= 25.0, day


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_dark_skin_rule_stands_back_beside_a_measured_low_level(locale: str) -> None:
    """s43a F3: a man with dark skin and a measured 20 nmol/l got on each vitamin D item both
    "about 30 µg ... brings it towards 50 nmol/l" and the dark-skin rule's "the Health Council
    then advises 10 µg": two advised amounts on one item. Its sibling rules (little sun, women
    50-70, 70+, DGE) stand back for a measured level below 50 nmol/l; so does it now."""
    client = memory_app().test_client()
    profile = {"age": 35, "sex": "male", "country": "NL", "skin_type": 6}
    low = recommend(client, {"profile": {**profile, "serum_25ohd_nmol_l": 20}}, locale)
    vitamin_d = [i for i in low["items"] if "vitamin_d_ug" in i["nutrients_per_day"]]
    assert vitamin_d, low
    for item in vitamin_d:
        codes = [r["code"] for r in item["reasons"]]
        assert "rule:dark-skin-vitamin-d" not in codes, item
    plain = recommend(client, {"profile": profile}, locale)
    codes = {r["code"] for i in plain["items"] for r in i["reasons"]}
    assert "rule:dark-skin-vitamin-d" in codes, plain  # without a measured level it still says so


def _zinc_offer(en: str) -> str:
    return f"""\
        source: "merchandising: winter zinc offer"
        rules:
          - id: winter-zinc
            description: "Winter: zinc offer for adults"
            when: "profile.age >= 18"
            categories: [zinc]
            action: boost
            weight: 0.2
            need: false
            reason:
              nl: "Winteractie op zink."
              de: "Winteraktion für Zink."
              en: "{en}"
        """


def test_a_reason_that_sets_a_dose_is_refused_at_its_line(data_copy) -> None:
    """s43c 1 (unsafe): a campaign's reason "take 50 mg of zinc a day, two tablets with
    breakfast" passed lint, check and the reload, and was shown on a 10 mg zinc tablet (the
    adult upper limit is 25 mg). A reason quotes only amounts the reference data states, and no
    number of tablets; the file is refused at the locale's line, naming both."""
    text = "Winter offer on zinc: take 50 mg of zinc a day, two tablets with breakfast."
    path, written = write_rules(data_copy, "winter.yaml", _zinc_offer(text))
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "dose_in_text", str(finding)
    assert finding.line == line_no(written, "      en: "), str(finding)
    assert "50 mg" in finding.message and "two tablets" in finding.message, finding.message


@pytest.mark.parametrize(
    "text",
    [
        "Winter offer on zinc.",
        "The Dutch Health Council advises 10 µg of vitamin D a day.",  # targets.yaml
        "EPA and DHA contribute to the normal function of the heart (250 mg a day).",  # claims
        "A level below 50 nmol/l is low.",  # a measured level, not a dose
    ],
)
def test_a_reason_quoting_the_reference_data_loads(data_copy, text: str) -> None:
    """What the shipped rules say stays allowed: an advice's or a claim's amount, a level."""
    write_rules(data_copy, "winter.yaml", _zinc_offer(text))
    snapshot = load_snapshot(data_copy)
    assert "winter-zinc" in {rule.id for rule in snapshot.rules.rules}


def test_health_wording_outside_an_authorised_claim_is_refused_at_load(data_copy) -> None:
    """s43c 3 (contract guarantee 7: only authorised health-claim wording, whatever the rule
    files say): "Zinc keeps you healthy all winter long." was a lint warning only, and the
    reload served it. Now lint calls it an error and the load refuses it at its line."""
    text = "Zinc keeps you healthy all winter long."
    path, written = write_rules(data_copy, "winter.yaml", _zinc_offer(text))
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "claim-wording", str(finding)
    assert finding.line == line_no(written, "      en: "), str(finding)
    linted = [f for f in lint(data_copy).findings if f.code == "claim-wording"]
    assert [f.severity for f in linted] == ["error"], [str(f) for f in linted]


def test_lint_refuses_a_required_rule_narrowed_so_it_keeps_its_example_in(data_copy) -> None:
    """s43c 4: a required rule (no vitamin K for children nobody advised it to) narrowed from
    `profile.age < 18` to `profile.age < 2` was 0 errors in `rules lint` (and the preview
    page's), while `rules check` and the reload refused it. Lint of the folder and of the
    file now say it, at the rule."""
    path = data_copy.merchandising_dir / "risk_groups.yaml"
    text = path.read_text(encoding="utf-8")
    rule = "id: children-no-vitamin-k-nobody-advised"
    start = text.index(rule)
    narrowed = text[start:].replace('when: "profile.age < 18 &&', 'when: "profile.age < 2 &&', 1)
    assert narrowed != text[start:]
    path.write_text(text[:start] + narrowed, encoding="utf-8")
    assert refusal(data_copy)  # as `rules check` and the reload
    for target in (None, path):
        found = [f for f in lint(data_copy, target).findings if f.code == "required_rule"]
        assert [f.rule_id for f in found] == ["children-no-vitamin-k-nobody-advised"], found
        assert found[0].severity == "error"


def _followed_all(answer: dict, profile: dict) -> dict[str, float]:
    """A day today of one who follows the whole answer: the reorder's items, what every entry
    names, each supply still lasting whose entry names nothing (nothing here says to stop it,
    its why only that it no longer fits), and the current supplements named by SKU, less what
    an entry names a product in place of."""
    skus = [i["sku"] for i in (answer["reorder"] or {}).get("items", [])]
    for entry in answer["refills"]:
        named = _named(entry)
        skus += named
        if not named and entry["runs_out_on"] > TODAY_S42.isoformat():
            skus.append(entry["sku"])
    replaced = {entry["sku"] for entry in answer["refills"] if _named(entry)}
    skus += [line["sku"] for line in profile.get("current_supplements", [])]
    skus = [sku for sku in skus if sku not in replaced]
    total: dict[str, float] = {}
    for sku in dict.fromkeys(skus):
        servings = next(
            (
                line.get("servings_per_day")
                for line in profile.get("current_supplements", [])
                if line["sku"] == sku
            ),
            None,
        )
        for nutrient, amount in per_day(PRODUCTS[sku], servings).items():
            total[nutrient] = total.get(nutrient, 0.0) + amount
    return total


@pytest.mark.parametrize(
    ("profile", "bought"),
    [
        # a lanolin D3 (not vegan) lasts and names nothing; the women's multivitamin named
        # a lichen 20 µg D3: 40 µg a day in pregnancy
        (
            {
                "age": 23,
                "sex": "female",
                "life_stage": "pregnant",
                "country": "NL",
                "diet": "vegan",
            },
            [("BL-MG-OX-250-TAB", 70), ("BL-D3-20-70PLUS-TAB", 50), ("XF-MULTI-WOMEN", 60)],
        ),
        # her calcium + D3 (not vegan) lasts and names nothing; the A-Z named 500 mg calcium:
        # with food 3,000 mg a day
        (
            {"age": 40, "sex": "male", "country": "DE", "diet": "vegan"},
            [("BL-MULTI-AZ", 14), ("GR-MG-CIT-VCAP", 58), ("XF-CAD3-500-10-TAB", 41)],
        ),
        # a breastfeeding girl declares 2 x 50 µg D3 (not for her): a 20 µg D3 was named for
        # her A-Z multivitamin beside it
        (
            {
                "age": 17,
                "sex": "female",
                "life_stage": "breastfeeding",
                "country": "DE",
                "conditions": ["haemochromatosis"],
                "current_supplements": [
                    {"sku": "BL-MULTI-AZ"},
                    {"sku": "XF-D3-50-CAP", "servings_per_day": 2},
                ],
            },
            [("BL-MULTI-AZ", 37), ("GR-B12-500-TAB", 20)],
        ),
    ],
)
def test_what_is_named_counts_a_supply_the_answer_leaves_taken(
    redis_url, profile: dict, bought: list
) -> None:
    """s43b F1 (unsafe if followed): what an entry names was checked as if every supply still
    lasting that no longer fits were stopped, but a supply whose entry names nothing, and a
    current supplement named by SKU, are never told to stop: one who follows the answer takes
    both. Now the product counts them, or is named in place of them too."""
    client = dated_client(redis_url, TODAY_S42)
    customer = f"s43-f1-{profile['age']}"
    answer = _refills(client, customer, profile, bought)
    day = _followed_all(answer, profile)
    named = {sku for entry in answer["refills"] for sku in _named(entry)}
    life_stage = profile.get("life_stage", "none")
    for nutrient, amount in day.items():
        if not any(nutrient in per_day(PRODUCTS[sku]) for sku in named):
            continue  # above a limit now with nothing named for it: the notice says so
        limit = expected_upper_limit(nutrient, profile["age"], life_stage)
        total = amount + expected_food(profile, nutrient)
        assert limit is None or total <= limit, (nutrient, total, limit, answer["refills"])
    if life_stage != "none" and any("vitamin_d_ug" in per_day(PRODUCTS[s]) for s in named):
        assert day.get("vitamin_d_ug", 0.0) <= 25.0, (day, answer["refills"])


def test_her_pregnancy_multivitamin_is_no_second_iodine_beside_an_iodine_tablet(redis_url) -> None:
    """s43b F2 (misleading, harm if followed): a pregnant woman (DE, 39) with a pregnancy
    multivitamin and an iodine tablet that outlasts it read on the multivitamin "no longer
    fits: with what you take besides it, you already get enough iodine", with nothing named in
    its place: it is her only folic acid and vitamin D. The only source of an advised nutrient
    is no second source of another; both go on (when the multivitamin is due, the reorder
    stops the tablet that gives only iodine)."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {"age": 39, "sex": "female", "life_stage": "pregnant", "country": "DE"}
    bought = [("XF-MULTI-PREGNANCY", 38), ("VL-IODINE-150-TAB", 37)]
    answer = _refills(client, "s43-f2", profile, bought)
    (entry,) = [e for e in answer["refills"] if e["sku"] == "XF-MULTI-PREGNANCY"]
    assert entry["fits"] is True, entry
    assert not entry.get("why"), entry


def test_a_lasting_supply_says_its_own_failure_not_a_limit_of_what_it_does_not_give(
    redis_url,
) -> None:
    """s43b F3 (misleading): while what is taken now is above the magnesium limit, a pregnant
    vegan's lanolin 20 µg D3 (not vegan) read only "what you take now is already above the
    safe upper limit for magnesium", which it does not give; its own failure was hidden. Its
    why is now what it fails of itself, as a product held back says it."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 23,
        "sex": "female",
        "life_stage": "pregnant",
        "country": "NL",
        "diet": "vegan",
    }
    bought = [("BL-MG-OX-250-TAB", 70), ("BL-D3-20-70PLUS-TAB", 50), ("XF-MULTI-WOMEN", 60)]
    answer = _refills(client, "s43-f3", profile, bought)
    (entry,) = [e for e in answer["refills"] if e["sku"] == "BL-D3-20-70PLUS-TAB"]
    codes = [w["code"] for w in entry["why"]]
    assert "diet" in codes, entry
    assert not any(code.startswith("above_upper_limit_now") for code in codes), entry


@pytest.mark.parametrize("where", ["current_supplements", "basket"])
def test_a_label_line_with_no_amounts_is_refused_on_its_nutrients(where: str) -> None:
    """s43c 6: `{"label": "Vitamin D 100 mcg", "nutrients": {}}` was accepted and counted
    nothing (20 µg more vitamin D offered to a man of 72 who declared 100 µg); a label line
    without the map was already a 422. Now both are, on the line's `nutrients`."""
    client = memory_app().test_client()
    line = {"label": "Vitamin D 100 mcg", "nutrients": {}}
    profile: dict = {"age": 72}
    body: dict = {"profile": profile, "locale": "en"}
    if where == "basket":
        body["basket"] = [line]
        field = "basket.0.nutrients"
    else:
        profile["current_supplements"] = [line]
        field = "profile.current_supplements.0.nutrients"
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()


@pytest.mark.parametrize(
    ("country", "age", "taken"),
    [("NL", 2, 25.0), ("DE", 2, 45.0), ("DE", 6, 45.0), ("NL", 6, 35.0)],
)
def test_a_childs_high_vitamin_d_is_no_enough_but_a_question_for_the_doctor(
    country: str, age: int, taken: float
) -> None:
    """s43a F1 (misleading, borders unsafe): a toddler on 25 µg vitamin D a day (NL advice
    10 µg) and a German child on 45 µg (with food 49 of the 50 µg upper limit) were told "you
    already take enough vitamin D": a child's dose band was 2.5 x the advice, the upper limit
    itself in DE. A child's band is 1.5 x (scoring.yaml dose_band.children): above it the list
    says to ask the doctor or pharmacist, and calls nothing enough."""
    client = memory_app().test_client()
    line = {"label": "D3 drops", "nutrients": {"vitamin_d_ug": taken}}
    profile = {"age": age, "country": country, "current_supplements": [line]}
    texts = notice_texts(recommend(client, {"profile": profile}))
    assert "intake_warning:vitamin_d_ug" in texts, texts
    assert "already_covered:vitamin_d_ug" not in texts, texts
    adult = {
        "age": 35,
        "country": country,
        "current_supplements": [line | {"nutrients": {"vitamin_d_ug": 20}}],
    }
    assert "intake_warning:vitamin_d_ug" not in notice_texts(recommend(client, {"profile": adult}))


def test_a_childs_band_is_quoted_and_an_infants_stays_the_upper_limit() -> None:
    """s43a F1: the warning quotes the child's band (1.5 x the DGE's 20 µg: 30 µg), a child's
    10 µg drops stay "enough", and an infant's band stays 2.5 x (its upper limit, 25 µg): an
    infant on 10 µg in DE is covered, "nothing else to suggest", not "no product safely fits"
    (no other product fits beside it, yet nothing is missing)."""
    client = memory_app().test_client()

    def texts(age: int, country: str, taken: float) -> dict[str, str]:
        line = {"label": "D3 drops", "nutrients": {"vitamin_d_ug": taken}}
        profile = {"age": age, "country": country, "current_supplements": [line]}
        return notice_texts(recommend(client, {"profile": profile}))

    assert "at most 30 µg" in texts(6, "DE", 45)["intake_warning:vitamin_d_ug"]
    assert "already_covered:vitamin_d_ug" in texts(2, "NL", 10)
    infant = texts(0, "DE", 10)
    assert "already_covered:vitamin_d_ug" in infant, infant
    assert infant["no_items"].startswith("Beside what your baby already gets"), infant
    assert "intake_warning:vitamin_d_ug" not in texts(0, "NL", 20)


def test_retinol_beside_an_oral_retinoid_is_stopped_now_not_as_agreed(redis_url) -> None:
    """s43b F5 (misleading): a breastfeeding woman on an oral retinoid read beside the 10 µg D3
    named in place of her A-Z multivitamin (800 µg retinol) "make this change only as agreed
    with your doctor"; vitamin A beside isotretinoin or acitretin is contraindicated
    (interactions.yaml's source): it stops now, and the doctor is told."""
    client = dated_client(redis_url, TODAY_S42)
    profile = {
        "age": 39,
        "sex": "female",
        "life_stage": "breastfeeding",
        "country": "DE",
        "medications": ["oral_retinoid"],
    }
    answer = _refills(client, "s43-f5", profile, [("BL-MULTI-AZ", 7)])
    (entry,) = [e for e in answer["refills"] if e["sku"] == "BL-MULTI-AZ"]
    assert entry.get("instead"), entry
    texts = [r["text"] for r in entry["instead"]["reasons"] if r["code"] == "switch:oral-retinoid"]
    assert texts and "now" in texts[0] and "only as agreed" not in texts[0], entry["instead"]


@pytest.mark.parametrize("condition", ["osteoporosis", "osteopenia"])
def test_retinol_is_no_answer_to_a_goal_with_low_bone_density(condition: str) -> None:
    """s43a F2 (misleading): a woman of 66 (DE) with osteoporosis and the goals bones,
    immunity and energy was offered the 50+ multivitamin (500 µg retinol; with the German
    food allowance 2,000 µg a day, the SCF asks such women to stay under 1,500) and cod-liver
    oil, with no word of vitamin A and bone. Retinol is now a warning for low bone density
    (interactions.yaml bone-loss-retinol): a goal brings no such product, and the list says
    why."""
    client = memory_app().test_client()
    profile = {
        "age": 66,
        "sex": "female",
        "country": "DE",
        "conditions": [condition],
        "goals": ["bones", "immunity", "energy"],
    }
    for category in (None, "multivitamin", "omega3"):
        body = {"profile": profile, "limit": 10, "category": category}
        answer = recommend(client, body)
        for item in answer["items"]:
            if item["nutrients_per_day"].get("vitamin_a_ug", 0) > 0:
                codes = [w["code"] for w in item["warnings"]]
                assert "interaction:bone-loss-retinol" in codes, item
        assert "interaction:bone-loss-retinol" in notice_texts(answer), answer["notices"]
