"""Pharmacist review s7 (/work/notes/review_s7.md), the notices: P7 (a doctor's dose above the
upper limit is one the shop cannot supply: a notice, and no item presented as serving it), P8
(an advice no product suits the age for says so), P10 (`no_items` says why: a condition, or no
need, the same in the account placement as in the plain list) and P12 (authority phrases read
on after a semicolon in lower case).

Expectations come from the data files (targets.yaml, upper_limits.yaml, the catalog through
tests/oracle.py), never from the service's advice code.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml

from service.core.errors import DataFileError
from service.core.snapshot import load_snapshot

from .conftest import ROOT, memory_app, notice_texts, recommend
from .oracle import PRODUCTS, per_day

TODAY = dt.date(2026, 12, 2)
LOCALES = ("nl", "de", "en")
TARGETS = yaml.safe_load((ROOT / "rules" / "reference" / "targets.yaml").read_text("utf-8"))
PHARMACY = {"nl": "apotheek", "de": "Apotheke", "en": "pharmacy"}
MIDWIFE = {"nl": "verloskundige", "de": "Hebamme", "en": "midwife"}


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


post, notices = recommend, notice_texts


def reason_texts(answer: dict[str, Any]) -> list[str]:
    return [r["text"] for item in answer["items"] for r in item["reasons"]]


# ---------------------------------------------------------------- P7: a doctor's medicinal dose
PREGNANT_FOLIC = {
    "age": 30,
    "sex": "female",
    "life_stage": "pregnant",
    "higher_dose_advised": {"folic_acid_ug": 5000},
}
MAN_IRON = {"age": 50, "sex": "male", "higher_dose_advised": {"iron_mg": 60}}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("profile", "nutrient", "advised", "limit"),
    [(PREGNANT_FOLIC, "folic_acid_ug", "5000", "1000"), (MAN_IRON, "iron_mg", "60", "40")],
)
def test_p7_a_doctor_dose_above_the_upper_limit_gets_a_notice(
    client, locale, profile, nutrient, advised, limit
):
    """Before: "Gives 400 µg …; your doctor advised 5000 µg" and no notice at all."""
    answer = post(client, {"profile": profile, "limit": 10}, locale)
    found = notices(answer)
    code = f"doctor_dose_capped:{nutrient}"
    assert code in found, found
    text = found[code]
    assert advised in text and limit in text and PHARMACY[locale] in text, text
    # no item is presented as serving the doctor's dose
    assert not any(advised in t for t in reason_texts(answer)), reason_texts(answer)
    assert all(
        item["nutrients_per_day"].get(nutrient, 0) <= float(limit) for item in answer["items"]
    )


def test_p7_folic_acid_items_quote_the_advice_they_serve(client):
    answer = post(client, {"profile": PREGNANT_FOLIC, "limit": 10})
    quoted = [
        r["text"]
        for item in answer["items"]
        for r in item["reasons"]
        if r["code"] == "fills_gap:folic_acid_ug"
    ]
    assert quoted, answer["items"]
    assert all("400 µg of folic acid a day" in t and "doctor" not in t for t in quoted), quoted


def test_p7_no_iron_item_is_offered_for_a_dose_only_the_doctor_can_give(client):
    answer = post(client, {"profile": MAN_IRON, "limit": 10})
    assert not [i["sku"] for i in answer["items"] if i["nutrients_per_day"].get("iron_mg")]


def test_p7_vitamin_d_in_pregnancy_items_do_not_quote_the_capped_doctor_dose(client):
    """The same generalised: the items under doctor_dose_capped quote the advice they serve."""
    profile = {**PREGNANT_FOLIC, "higher_dose_advised": {"vitamin_d_ug": 75}}
    answer = post(client, {"profile": profile, "limit": 10})
    assert "doctor_dose_capped:vitamin_d_ug" in notices(answer)
    assert answer["items"]
    assert not any("75 µg" in t for t in reason_texts(answer)), reason_texts(answer)


def test_p7_a_doctor_dose_within_the_limits_is_still_quoted(client):
    answer = post(
        client, {"profile": {"age": 50, "sex": "male", "higher_dose_advised": {"vitamin_d_ug": 50}}}
    )
    assert not any(c.startswith("doctor_dose_capped") for c in notices(answer))
    assert any("your doctor advised 50 µg" in t.lower() for t in reason_texts(answer))


# ---------------------------------------------------------------- P8: no product for the age
def _suits(product: dict[str, Any], age: int) -> bool:
    return (
        product["min_age"] <= age <= (product.get("max_age") or 200)
        and product.get("sellable", True)
        and product.get("pregnancy_suitable", True)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_p8_pregnant_13_year_old_hears_that_no_folic_acid_suits_her_age(client, locale):
    """Before: no folic acid product and not a word about the 400 µg folic acid advice."""
    folic = [p for p in PRODUCTS.values() if per_day(p).get("folic_acid_ug", 0) > 0]
    assert folic and not [p for p in folic if _suits(p, 13)]  # the case as the catalog has it
    profile = {"age": 13, "sex": "female", "life_stage": "pregnant"}
    answer = post(client, {"profile": profile, "limit": 10}, locale)
    found = notices(answer)
    text = found.get("advice_unmet:folic_acid_ug")
    assert text is not None, found
    assert "400" in text and MIDWIFE[locale] in text, text


def test_p8_no_unmet_notice_where_a_product_suits(client):
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    answer = post(client, {"profile": profile})
    assert not any(c.startswith("advice_unmet") for c in notices(answer)), notices(answer)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("    masks: [age]\n", "    masks: [agee]\n", "agee"),
        (
            "    text_life_stage: notice_advice_unmet_age_life_stage\n",
            "    text_life_stage: notice_advice_unmet_agee\n",
            "notice_advice_unmet_agee",
        ),
    ],
)
def test_p8_a_broken_unmet_advice_entry_is_refused_at_load(data_copy, old, new, says):
    path = data_copy.reference_dir / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_snapshot(data_copy)
    assert any(says in f.message and f.file.endswith("targets.yaml") for f in caught.value.findings)


# ---------------------------------------------------------------- P10: what no_items says
def test_p10_kidney_disease_blocking_the_advice_says_so_not_tell_us_more(client):
    answer = post(client, {"profile": {"age": 72, "sex": "male", "conditions": ["kidney_disease"]}})
    assert not answer["items"]
    text = notices(answer)["no_items"]
    assert "tell us more" not in text.lower(), text
    assert "condition" in text, text


@pytest.mark.parametrize("locale", LOCALES)
def test_p10_account_without_advice_or_supplements_says_the_same_as_the_plain_list(client, locale):
    profile = {"age": 45, "sex": "male"}
    plain = notices(post(client, {"profile": profile}, locale))
    account = notices(post(client, {"profile": profile, "placement": "account"}, locale))
    assert account["no_items"] == plain["no_items"], (account, plain)


# ---------------------------------------------------------------- P12: phrases after a semicolon
# Words that begin with a capital wherever they stand: acronyms, the German formal pronoun
_ALWAYS_CAPITAL = re.compile(r"^([A-Z]{2,}\b|Ihr(e|em|en|er)?\b)")


@pytest.mark.parametrize("authority", sorted(TARGETS["authorities"]))
@pytest.mark.parametrize("locale", LOCALES)
def test_p12_authority_phrases_go_on_in_lower_case(authority, locale):
    """Before: "…, mehr als die empfohlene Menge; Die EFSA geht von …"."""
    phrase = TARGETS["authorities"][authority]["phrase"][locale]
    assert phrase[0].islower() or _ALWAYS_CAPITAL.match(phrase), phrase
