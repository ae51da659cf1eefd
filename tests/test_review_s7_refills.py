"""Review s7 P4, P9, P11: the refill e-mail proposes the reorder /refills proposes, the intake
check names an unauthorised form in words, and an outgrown product whose need is gone is "not
needed" (the reproducing requests of /work/notes/review_s7.md, 2026-12-02)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from .conftest import RULES, memory_app, store_customer

TODAY = dt.date(2026, 12, 2)
PREGNANT = {"age": 30, "sex": "female", "life_stage": "pregnant"}


@pytest.fixture()
def client():
    return memory_app(TODAY).test_client()


def _get(client, customer_id: str, what: str = "recommendations", **query) -> dict:
    response = client.get(
        f"/v1/customers/{customer_id}/{what}", query_string={"locale": "en", **query}
    )
    assert response.status_code == 200, response.data
    return response.get_json()


def _notice(body: dict, code: str) -> str:
    return next(n["text"] for n in body["notices"] if n["code"] == code)


def _placement_text(key: str, locale: str) -> str:
    texts = yaml.safe_load((RULES / "placements.yaml").read_text(encoding="utf-8"))["texts"]
    return texts[key][locale]


# ---------------------------------------------------------------- P4: the refill e-mail
P4_PREGNANT = {"XF-D3-25-SG": "2026-08-09", "XF-FOLIC-D3-TAB": "2026-09-08"}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_p4_the_email_reorders_the_folic_acid_next_to_a_running_vitamin_d_warning(client, locale):
    """Both run out on 7 December. Now she takes 35 µg D (the warning); /refills reorders the
    folic acid + 10 µg D tablet (10 µg on its own once the 25 µg runs out) and leaves out
    the 25 µg. The e-mail proposes the same, and its notices say the reorder is for when
    these products run out, not on top of them."""
    store_customer(client, "r7-preg", PREGNANT, P4_PREGNANT)
    reorder = _get(client, "r7-preg", "refills", locale=locale)["reorder"]
    assert [(i["sku"], i["action"]) for i in reorder["items"]] == [("XF-FOLIC-D3-TAB", "reorder")]
    email = _get(client, "r7-preg", placement="email", locale=locale)
    refills = [i for i in email["items"] if i["strategy"] == "refills"]
    assert [(i["sku"], i["action"]) for i in refills] == [("XF-FOLIC-D3-TAB", "reorder")]
    assert "XF-D3-25-SG" not in [i["sku"] for i in email["items"]]
    for item in email["items"]:  # nothing after the reorder adds vitamin D or folic acid
        if item["strategy"] != "refills":
            assert not item["nutrients_per_day"].get("vitamin_d_ug"), item["sku"]
            assert not item["nutrients_per_day"].get("folic_acid_ug"), item["sku"]
    warning = _notice(email, "intake_warning:vitamin_d_ug")
    assert warning.endswith(_placement_text("notice_warning_continued", locale)), warning
    covered = _notice(email, "already_covered:folic_acid_ug")
    assert covered.endswith(_placement_text("notice_covered_continued", locale)), covered
    assert "no_items" not in [n["code"] for n in email["notices"]]


def test_p4_the_email_proposes_the_replacement_of_refills(client):
    """r7-de: the 75 µg D3 + K2 (above the DGE 20 µg) runs out on 7 December; /refills
    replaces it; the e-mail said `no_items` next to the 75 µg warning."""
    store_customer(
        client, "r7-de", {"age": 40, "sex": "male", "country": "DE"}, {"XF-D3K2-TAB": "2026-08-09"}
    )
    reorder = _get(client, "r7-de", "refills", locale="de")["reorder"]
    proposed = [(i["sku"], i["action"], i["for_sku"]) for i in reorder["items"]]
    assert proposed and all(action == "replace" for _, action, _ in proposed)
    email = _get(client, "r7-de", placement="email", locale="de")
    refills = [
        (i["sku"], i["action"], i["for_sku"]) for i in email["items"] if i["strategy"] == "refills"
    ]
    assert refills == proposed
    assert "no_items" not in [n["code"] for n in email["notices"]]
    warning = _notice(email, "intake_warning:vitamin_d_ug")  # it names one product
    assert warning.endswith(_placement_text("notice_warning_continued_one", "de")), warning


def test_p4_a_reorder_that_starts_while_the_warned_supply_lasts_is_still_held_back(client):
    """The other side (review s5 S5): the folic acid + D3 tablet runs out on 4 December, the
    25 µg D3 only on 7 December. A reorder from the 4th comes on top of the 25 µg still taken
    then (35 µg, above the 25 µg pregnancy maximum): the warning stands and no item adds
    vitamin D on top of what is still taken. Review 9b finding 1: /refills checks each item
    on the day it starts too, so no item at all adds vitamin D to the 25 µg still taken (the
    folic acid + D3 is replaced by plain folic acid; the 25 µg continues itself on the 7th)."""
    purchases = {"XF-D3-25-SG": "2026-08-09", "XF-FOLIC-D3-TAB": "2026-09-05"}
    runs_out = {"XF-D3-25-SG": dt.date(2026, 12, 7), "XF-FOLIC-D3-TAB": dt.date(2026, 12, 4)}
    gives_d = {"XF-D3-25-SG": 25.0, "XF-FOLIC-D3-TAB": 10.0}
    store_customer(client, "r7-preg2", PREGNANT, purchases)
    email = _get(client, "r7-preg2", placement="email")
    refills = _get(client, "r7-preg2", "refills")
    for item in [*email["items"], *refills["reorder"]["items"]]:
        own = item["nutrients_per_day"].get("vitamin_d_ug", 0)
        if not own:
            continue
        # only a product continuing itself, and with what is still taken the day it starts
        # at most the 25 µg pregnancy maximum
        assert item.get("for_sku") == item["sku"], (item["sku"], email["notices"])
        start = max(TODAY, dt.date.fromisoformat(item["runs_out_on"]))
        still = sum(d for sku, d in gives_d.items() if sku != item["sku"] and runs_out[sku] > start)
        assert own + still <= 25, (item["sku"], own, still)


# ---------------------------------------------------------------- P9: the MK-4 capsule
FORM_NAME = {"nl": "menaquinon-4", "de": "Menachinon-4", "en": "menaquinone-4"}
AT_THIS_DOSE = {"nl": "in deze dosis", "de": "in dieser Dosis", "en": "at this dose"}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_p9_the_intake_check_names_the_unauthorised_form_in_words(client, locale):
    body = {
        "profile": {"age": 45, "sex": "male"},
        "basket": [{"sku": "XF-K2-MK4-45MG-CAP"}],
        "locale": locale,
    }
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.data
    answer = response.get_json()
    (warning,) = [w for w in answer["warnings"] if w["code"] == "not_sellable"]
    suggestion = answer["suggestion"]["text"]
    for text in (warning["text"], suggestion):
        assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", text), text  # no internal keys
        assert AT_THIS_DOSE[locale] not in text, text
    assert FORM_NAME[locale] in warning["text"], warning["text"]


def test_p9_every_form_the_eu_does_not_authorise_has_a_name_in_every_locale():
    forms = yaml.safe_load((RULES / "reference" / "authorised_forms.yaml").read_text("utf-8"))
    texts = yaml.safe_load((RULES / "reference" / "regimen_texts.yaml").read_text("utf-8"))
    for vitamin, entries in forms["forms"].items():
        for form, entry in entries.items():
            if not entry["authorised"]:
                name = texts["texts"][f"form_{vitamin}_{form}"]
                assert set(name) == {"nl", "de", "en"} and all(name.values()), (vitamin, form)


# ---------------------------------------------------------------- P11: outgrown, not needed
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_p11_outgrown_childrens_drops_without_a_need_are_not_needed(client, locale):
    """13, NL: no vitamin D advice at her age (Gezondheidsraad: 0-4, and groups she is not
    in); the kids' drops (up to 11) are left out as not needed, not "no safe alternative,
    ask your pharmacist"."""
    store_customer(
        client, "r7-kid", {"age": 13, "sex": "female"}, {"XF-D3-KIDS-DROPS": "2026-02-10"}
    )
    body = _get(client, "r7-kid", "refills", locale=locale)
    (left,) = body["reorder"]["left_out"]
    refills = yaml.safe_load((RULES / "refills.yaml").read_text(encoding="utf-8"))["texts"]
    name = left["name"]
    assert left["advice"] != refills["notice_not_reordered"][locale].format(name=name)
    assert left["advice"] == refills["notice_not_needed_no_advice"][locale].format(name=name)
    assert [w["code"] for w in left["why"]] == ["age", "no_advice"], left["why"]


def test_p11_with_a_goal_the_need_stands_and_a_replacement_is_proposed(client):
    """The same girl with the goal `immunity`: vitamin D has a reason for her, so the kids'
    drops are replaced by an adult product that suits her age (not "not needed")."""
    profile = {"age": 13, "sex": "female", "goals": ["immunity"]}
    store_customer(client, "r7-kid2", profile, {"XF-D3-KIDS-DROPS": "2026-02-10"})
    reorder = _get(client, "r7-kid2", "refills")["reorder"]
    assert [i["action"] for i in reorder["items"]] == ["replace"], reorder
    assert reorder["left_out"] == []
