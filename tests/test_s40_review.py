"""Session 40: what the re-reviews of session 39 left open.

s39d F1 (misleading): a pregnant woman with a women's multivitamin (unsuitable in pregnancy as
a whole, 10 µg vitamin D) and her 25 µg D3 running out was told on /refills that the D3 is
left out with "no safe alternative"; the multivitamin's replacements (folic acid, iodine) give
no vitamin D, so whoever followed the reorder took none."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import dated_client, store_customer
from .oracle import PRODUCTS, per_day
from .test_s31b_data import app_for, check

TODAY_S40 = dt.date(2026, 12, 7)
PREGNANT = {"age": 32, "sex": "female", "life_stage": "pregnant"}
MULTI, D3 = "XF-MULTI-WOMEN", "XF-D3-25-SG"


def _stored(client, customer_id: str, profile: dict, bought: list[tuple[str, int]]) -> str:
    """Store `profile` with purchases (SKU, days before TODAY_S40); the customer's path."""
    purchases = [(sku, TODAY_S40 - dt.timedelta(days=ago)) for sku, ago in bought]
    store_customer(client, customer_id, profile, purchases)
    return f"/v1/customers/{customer_id}"


def test_refills_reorder_her_vitamin_d_and_stop_the_multivitamin_that_does_not_suit(
    redis_url,
) -> None:
    """s39d F1: the 25 µg D3 suits pregnancy by itself; only the women's multivitamin beside
    it (not suitable in pregnancy) takes the day above 25 µg. The reorder keeps the D3 and
    says to stop the multivitamin as it starts (re-review s40a F2: nothing said so), whose
    entry names folic acid and iodine instead, with no vitamin D; buy again and the e-mail
    say the same, and the multivitamin's notice says what is suggested is for once it stops."""
    client = dated_client(redis_url, TODAY_S40)
    base = _stored(client, "s40-d", PREGNANT, [(MULTI, 20), (D3, 112)])
    answer = client.get(f"{base}/refills?locale=en").get_json()
    reorder = answer["reorder"]
    assert [i["sku"] for i in reorder["items"]] == [D3], reorder
    assert f"stop:{MULTI}" in [r["code"] for r in reorder["items"][0]["reasons"]], reorder
    assert not reorder["left_out"], reorder
    refill = {r["sku"]: r for r in answer["refills"]}
    assert refill[D3]["fits"] is True, refill[D3]
    assert refill[MULTI]["fits"] is False, refill[MULTI]
    assert refill[MULTI]["why"][0]["code"] == "stopped_for", refill[MULTI]
    instead = [refill[MULTI]["instead"], *refill[MULTI].get("instead_also", [])]
    assert {"folic_acid_ug", "iodine_ug"} <= {n for i in instead for n in i["nutrients_per_day"]}
    day = sum(per_day(PRODUCTS[i["sku"]]).get("vitamin_d_ug", 0.0) for i in instead)
    assert day + per_day(PRODUCTS[D3])["vitamin_d_ug"] <= 25, instead
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert "once you have stopped it" in said[f"product_not_suited:{MULTI}"], said
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    assert [i["sku"] for i in again] == [D3], again
    # re-review s40c 2 (unsafe): buy again said the D3 "gives calcium, folic acid, iodine ...
    # too" (the stop text of a supply whose nutrients the product gives), so she could drop
    # her folic acid and iodine with nothing in their place
    (stop,) = [r["text"] for r in again[0]["reasons"] if r["code"] == f"stop:{MULTI}"]
    assert "it does not suit you now" in stop and "more vitamin D a day" in stop, stop
    assert "folic acid" not in stop, stop
    email = client.get(f"{base}/recommendations?placement=email&locale=de").get_json()
    items = {i["sku"]: i for i in email["items"]}
    (stop,) = [r["text"] for r in items[D3]["reasons"] if r["code"] == f"stop:{MULTI}"]
    assert "Es ist jetzt nicht für Sie geeignet" in stop, stop
    said = {n["code"]: n["text"] for n in email["notices"]}
    assert "nachdem Sie es abgesetzt haben" in said[f"product_not_suited:{MULTI}"], said


def test_buy_again_stops_a_multivitamin_she_names_that_does_not_suit(redis_url) -> None:
    """s39d F1 with the multivitamin a current supplement (not bought here): buy again found
    nothing to stop beside a single supply and left the D3 out, which the account page and
    /refills reorder."""
    client = dated_client(redis_url, TODAY_S40)
    profile = {**PREGNANT, "current_supplements": [{"sku": MULTI}]}
    base = _stored(client, "s40-n", profile, [(D3, 112)])
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    assert [i["sku"] for i in again] == [D3], again
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    assert f"stop:{MULTI}" in [r["code"] for r in reorder["items"][0]["reasons"]], reorder


@pytest.mark.parametrize("folic_days, d3_days", [(100, 130), (85, 112)])  # both run out; not yet
def test_her_only_folic_acid_is_reordered_not_the_second_vitamin_d(
    redis_url, folic_days, d3_days
) -> None:
    """Re-review s40a F1 (unsafe): beside a women's multivitamin that lasts, her folic acid +
    10 µg D3 and her 25 µg D3 both run out. The folic acid tablet is her only folic acid that
    suits pregnancy: it is reordered, and the 25 µg D3 (35 µg with it) is left out; the D3
    was reordered and the folic acid left out as 'already enough' of what the unsuitable
    multivitamin gives. Where the folic acid tablet runs out 3 days before the D3 (35 µg on
    those days), never the D3 without her folic acid (session 41: a folic acid without
    vitamin D in its place, test_s41_review)."""
    client = dated_client(redis_url, TODAY_S40)
    bought = [(MULTI, 20), ("XF-FOLIC-D3-TAB", folic_days), (D3, d3_days)]
    answer = client.get(f"{_stored(client, 's40-f', PREGNANT, bought)}/refills").get_json()
    reorder = answer["reorder"]
    proposed = [i["sku"] for i in reorder["items"]]
    folic = [s for s in proposed if PRODUCTS[s]["nutrients_per_serving"].get("folic_acid_ug")]
    assert folic or D3 not in proposed, reorder
    if folic_days == 100:
        assert proposed == ["XF-FOLIC-D3-TAB"], reorder
        assert [i["sku"] for i in reorder["left_out"]] == [D3], reorder


@pytest.mark.parametrize(
    "profile, bought",
    [
        (  # re-review s40a F3: her notice says not to stop it on her own (the INR)
            {**PREGNANT, "medications": ["vitamin_k_antagonist"]},
            [(MULTI, 20), (D3, 112)],
        ),
        (  # re-review s40a F4: her pregnancy multivitamin (folic acid, iodine) is held back
            PREGNANT,
            [(MULTI, 20), ("XF-MULTI-PREGNANCY", 85), (D3, 112)],
        ),
    ],
)
def test_no_stop_of_what_does_not_suit_where_it_must_go_on_for_now(
    redis_url, profile, bought
) -> None:
    """The reorder does not stop the women's multivitamin for the D3 where she is told not to
    stop it on her own, or where what would serve its folic acid is left out: the D3 stays
    left out (35 µg with it), as before."""
    client = dated_client(redis_url, TODAY_S40)
    answer = client.get(f"{_stored(client, 's40-g', profile, bought)}/refills").get_json()
    reorder = answer["reorder"]
    assert D3 in [i["sku"] for i in reorder["left_out"]], reorder
    assert not any(r["code"].startswith("stop:") for i in reorder["items"] for r in i["reasons"]), (
        reorder
    )


def test_buy_again_counts_no_enough_from_a_product_that_does_not_suit(redis_url) -> None:
    """As the reorder (review 9b F3): beside a women's multivitamin not suitable in
    pregnancy, her 10 µg D3 is bought again (20 µg together), not called covered by the
    multivitamin's 10 µg."""
    client = dated_client(redis_url, TODAY_S40)
    base = _stored(client, "s40-h", PREGNANT, [(MULTI, 20), ("XF-D3-10-TAB", 170)])
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    assert [i["sku"] for i in reorder["items"]] == ["XF-D3-10-TAB"], reorder
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    assert "XF-D3-10-TAB" in [i["sku"] for i in again], again


def test_refills_still_leave_out_a_dose_above_the_maximum_beside_a_suitable_product(
    redis_url,
) -> None:
    """The other side: beside a product that suits pregnancy (a 20 µg D3 still lasting), a
    25 µg D3 running out is still above the maximum of 25 µg together with it."""
    client = dated_client(redis_url, TODAY_S40)
    base = _stored(client, "s40-e", PREGNANT, [("GR-D3-20-TAB", 10), (D3, 112)])
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    assert D3 not in {i["sku"] for i in reorder["items"]}, reorder
    again = client.get(f"{base}/buy-again?locale=en").get_json()["items"]
    assert D3 not in {i["sku"] for i in again}, again


# ---------------------------------------------------------------- review s39d F5 (tooling)
@pytest.mark.parametrize(
    "old, new, says",
    [
        (  # men's products kept from adult women only: girls of 12-17 would see them
            """when: "profile.sex == 'female'\"""",
            """when: "profile.sex == 'female' && profile.age >= 18\"""",
            "no longer keeps XF-MULTI-MEN out for {'age': 16",
        ),
        (  # children's vitamin K kept out from 12 only: babies would get D3 + K2 drops
            'when: "profile.age < 18 && !(has(profile.higher_dose_advised)',
            'when: "profile.age >= 12 && profile.age < 18 && !(has(profile.higher_dose_advised)',
            "no longer keeps XF-D3K2-DROPS out for {'age': 1,",
        ),
        (  # a pregnancy multivitamin for every woman up to 55, planning or not
            "when: \"profile.life_stage == 'none' && !('pregnancy' in profile.goals && "
            "profile.sex != 'male' && profile.age <= 55)\"",
            "when: \"profile.life_stage == 'none' && profile.age > 55\"",
            "no longer keeps XF-MULTI-PREGNANCY out for {'age': 30",
        ),
    ],
)
def test_a_required_rule_narrowed_past_its_examples_is_refused(data_copy, old, new, says) -> None:
    """s39d F5: one example per required rule let a narrowing through (`target-group-men`
    limited to adult women kept its woman of 40 out). More `examples` in required_rules.yaml
    catch the edges: the rule set is refused by rules check and the reload."""
    client = app_for(data_copy).test_client()
    path = data_copy.merchandising_dir / "risk_groups.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert says in out.output and "risk_groups.yaml" in out.output, out.output
    assert client.post("/v1/admin/reload").status_code == 422


# ---------------------------------------------------------------- re-review s40a F9 (texts)
PLANNING_WORDS = {
    "nl": "als je zwanger wilt worden",
    "de": "wenn Sie schwanger werden möchten",
    "en": "when you want to become pregnant",
}
OTHER_STAGES = {"nl": "borstvoeding", "de": "Stillzeit", "en": "breastfeeding"}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_refill_whys_name_her_own_life_stage(redis_url, locale) -> None:
    """Re-review s40a F9: a woman planning a pregnancy read on /refills that her women's
    multivitamin "is not meant for use during pregnancy or breastfeeding", neither of which
    she is, while the list's notice said "when you want to become pregnant" (f0b2dc0)."""
    client = dated_client(redis_url, TODAY_S40)
    profile = {"age": 32, "sex": "female", "goals": ["pregnancy"]}
    base = _stored(client, f"s40-p-{locale}", profile, [(MULTI, 20), (D3, 112)])
    answer = client.get(f"{base}/refills?locale={locale}").get_json()
    (entry,) = [r for r in answer["refills"] if r["sku"] == MULTI]
    texts = [w["text"] for w in entry["why"] if w["code"].startswith("life_stage")]
    assert texts and all(PLANNING_WORDS[locale] in t for t in texts), texts
    assert not any(OTHER_STAGES[locale] in t for t in texts), texts


def test_a_replacement_of_what_suits_her_says_it_is_what_she_takes_besides(redis_url) -> None:
    """Re-review s40a F7: her pregnancy multivitamin suits pregnancy; it is replaced by folic
    acid and iodine only because of the 25 µg D3 beside it (35 µg together). The reason said
    'as that product no longer fits your profile', which made it sound unsuitable."""
    client = dated_client(redis_url, TODAY_S40)
    bought = [("NV-COD-LIVER-OIL", 10), ("XF-MULTI-PREGNANCY", 85), (D3, 112)]
    base = _stored(client, "s40-r", PREGNANT, bought)
    reorder = client.get(f"{base}/refills?locale=en").get_json()["reorder"]
    replacing = [i for i in reorder["items"] if i.get("replaces") == "XF-MULTI-PREGNANCY"]
    assert replacing, reorder
    for item in replacing:
        (text,) = [r["text"] for r in item["reasons"] if r["code"] == "replaces"]
        assert "together with what you take besides it" in text, text
        assert "no longer fits your profile" not in text, text


def test_refills_name_what_suits_in_place_of_a_supplement_she_names_and_stops(
    redis_url,
) -> None:
    """Re-review s40c 3: the women's multivitamin she names (not bought here) is stopped for
    her D3; /refills has no entry for it, and named nothing for its folic acid and iodine.
    The list's `instead:` notice says it, as on the account page and in the e-mail."""
    client = dated_client(redis_url, TODAY_S40)
    profile = {**PREGNANT, "current_supplements": [{"sku": MULTI}]}
    base = _stored(client, "s40-i", profile, [(D3, 112)])
    answer = client.get(f"{base}/refills?locale=en").get_json()
    said = {n["code"]: n["text"] for n in answer["notices"]}
    assert f"instead:{MULTI}" in said, said
    assert "Folic Acid" in said[f"instead:{MULTI}"] and "Iodine" in said[f"instead:{MULTI}"]


def test_no_stop_beside_a_vitamin_d_that_ran_out(redis_url) -> None:
    """Re-review s40d F1, F2: her 25 µg D3 ran out a month ago. The list, counting what she
    takes now, names a pregnancy multivitamin (with 10 µg vitamin D) in place of the women's
    multivitamin; /refills reordered the D3 with the multivitamin stopped and dropped that
    `instead` as a second vitamin D, so nothing named her folic acid and iodine, and who
    followed the list and the e-mail took 35 µg. A product that ran out stops nothing."""
    client = dated_client(redis_url, TODAY_S40)
    base = _stored(client, "s40-o", PREGNANT, [(MULTI, 20), (D3, 150)])
    answer = client.get(f"{base}/refills?locale=en").get_json()
    reorder = answer["reorder"]
    assert not any(r["code"].startswith("stop:") for i in reorder["items"] for r in i["reasons"])
    (entry,) = [r for r in answer["refills"] if r["sku"] == MULTI]
    instead = [entry["instead"], *entry.get("instead_also", [])]
    gives = {n for i in instead for n in i["nutrients_per_day"]}
    assert {"folic_acid_ug", "iodine_ug"} <= gives, instead


def test_her_only_iodine_is_named_when_the_multivitamin_stops(redis_url) -> None:
    """Re-review s40e F1: the reorder stops a pregnant woman's men's multivitamin (her only
    iodine) for her D3 spray and names folic acid in place of kids' chews that ran out; what
    suits in place of the multivitamin (folic acid, iodine) was dropped whole beside the folic
    acid reorder, on /refills and in the e-mail, so nothing named her iodine."""
    client = dated_client(redis_url, TODAY_S40)
    profile = {**PREGNANT, "age": 23, "allergies": ["milk"]}
    bought = [("XF-MULTI-MEN", 40), ("KV-MULTI-KIDS-CHEW", 63), ("GR-D3-20-SPRAY-VEGAN", 96)]
    base = _stored(client, "s40-j", profile, bought)
    answer = client.get(f"{base}/refills?locale=en").get_json()
    stops = [r["code"] for i in answer["reorder"]["items"] for r in i["reasons"]]
    assert "stop:XF-MULTI-MEN" in stops, answer["reorder"]
    (entry,) = [r for r in answer["refills"] if r["sku"] == "XF-MULTI-MEN"]
    named = [entry["instead"], *entry.get("instead_also", [])] if "instead" in entry else []
    assert any("iodine_ug" in i["nutrients_per_day"] for i in named), entry
    email = client.get(f"{base}/recommendations?placement=email&locale=en").get_json()
    said = {n["code"]: n["text"] for n in email["notices"]}
    assert "Iodine" in said.get("instead:XF-MULTI-MEN", ""), said
