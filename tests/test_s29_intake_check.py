"""Review s29a F8: `POST /v1/intake/check` said nothing of iron 14 mg in a man of 60's basket,
nor of calcium in a boy of 13's, while the product page (`page_product_not_indicated`) and
/refills (why `not_indicated`) say that we do not suggest it without a doctor's advice
(scoring.yaml `lists.goal_indication`). The check now warns of it, `not_indicated`, in the
refills' `why_not_indicated` words (rules/refills.yaml), naming the lines (basket or taken)
that give it; a warning, not a violation (the contract's violations are upper limits crossed).
A doctor's dose of the nutrient (`higher_dose_advised`) makes it indicated and the warning
silent, as on the product page and in refills."""

from __future__ import annotations

import pytest

from service.core.intake_check import check_intake
from service.core.profile import Line, Profile

from .conftest import TODAY
from .oracle import PRODUCTS, per_day

MAN = {"age": 60, "sex": "male"}
BOY = {"age": 13, "sex": "male", "country": "NL"}

# rules/refills.yaml why_not_indicated, with the nutrient's name of nutrients.yaml
IRON = {
    "en": "We do not suggest iron to you unless your doctor has found a need; "
    "take a supplement with iron only on your doctor's advice.",
    "nl": "We raden je ijzer niet aan, tenzij je arts vaststelde dat je dat nodig hebt; "
    "neem een supplement met ijzer alleen op advies van je arts.",
    "de": "Wir empfehlen Ihnen Eisen nur, wenn Ihre Ärztin oder Ihr Arzt einen Bedarf "
    "festgestellt hat; nehmen Sie ein Präparat mit Eisen nur auf ärztlichen Rat.",
}
CALCIUM = {
    "en": "We do not suggest calcium to you unless your doctor has found a need; "
    "take a supplement with calcium only on your doctor's advice.",
    "nl": "We raden je calcium niet aan, tenzij je arts vaststelde dat je dat nodig hebt; "
    "neem een supplement met calcium alleen op advies van je arts.",
    "de": "Wir empfehlen Ihnen Calcium nur, wenn Ihre Ärztin oder Ihr Arzt einen Bedarf "
    "festgestellt hat; nehmen Sie ein Präparat mit Calcium nur auf ärztlichen Rat.",
}


def _check(client, profile: dict, basket: list[dict], locale: str = "en") -> dict:
    body = {"profile": profile, "basket": basket, "locale": locale}
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _not_indicated(answer: dict) -> list[dict]:
    return [w for w in answer["warnings"] if w["code"] == "not_indicated"]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_iron_in_a_man_of_60s_basket_is_warned_of(client, locale):
    answer = _check(client, MAN, [{"sku": "XF-IRON-14-CAP"}], locale)
    assert _not_indicated(answer) == [
        {"code": "not_indicated", "text": IRON[locale], "skus": ["XF-IRON-14-CAP"]}
    ], answer["warnings"]
    assert answer["violations"] == []  # a warning: no upper limit is crossed


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_calcium_in_a_boy_of_13s_basket_is_warned_of(client, locale):
    answer = _check(client, BOY, [{"sku": "BL-CA-500-TAB"}], locale)
    assert _not_indicated(answer) == [
        {"code": "not_indicated", "text": CALCIUM[locale], "skus": ["BL-CA-500-TAB"]}
    ], answer["warnings"]
    assert answer["violations"] == []


def test_what_is_taken_is_warned_of_too_and_a_label_is_named(client):
    taken = {**MAN, "current_supplements": [{"label": "Iron drops", "nutrients": {"iron_mg": 10}}]}
    answer = _check(client, taken, [{"sku": "BL-MULTI-AZ"}])
    (warning,) = _not_indicated(answer)
    assert warning["text"] == IRON["en"]
    assert sorted(warning["skus"]) == ["BL-MULTI-AZ", "Iron drops"]


def test_each_nutrient_not_indicated_is_named_once(client):
    answer = _check(client, BOY, [{"sku": "BL-CA-500-TAB"}, {"sku": "XF-IRON-14-CAP"}], "nl")
    (warning,) = _not_indicated(answer)
    assert "ijzer en calcium" in warning["text"] or "calcium en ijzer" in warning["text"]
    assert sorted(warning["skus"]) == ["BL-CA-500-TAB", "XF-IRON-14-CAP"]


@pytest.mark.parametrize(
    "profile, sku",
    [
        # a doctor's dose makes it indicated: silent, as on the product page and in refills
        ({**MAN, "higher_dose_advised": {"iron_mg": 14}}, "XF-IRON-14-CAP"),
        ({**BOY, "higher_dose_advised": {"calcium_mg": 500}}, "BL-CA-500-TAB"),
        # indicated by goal_indication itself
        ({"age": 30, "sex": "female"}, "XF-IRON-14-CAP"),
        ({"age": 18, "sex": "male"}, "BL-CA-500-TAB"),
        # a product without such a nutrient
        (MAN, "XF-MULTI-MEN"),
    ],
)
def test_silent_where_the_nutrient_is_indicated(client, profile, sku):
    for locale in ("en", "nl", "de"):
        assert _not_indicated(_check(client, profile, [{"sku": sku}], locale)) == []


def test_a_doctors_dose_of_one_nutrient_leaves_the_other_warned_of(client):
    boy = {**BOY, "higher_dose_advised": {"calcium_mg": 500}}
    answer = _check(client, boy, [{"sku": "BL-CA-500-TAB"}, {"sku": "XF-IRON-14-CAP"}])
    (warning,) = _not_indicated(answer)
    assert warning["text"] == IRON["en"]
    assert warning["skus"] == ["XF-IRON-14-CAP"]


def test_the_suggestion_adds_nothing_not_indicated_beside_the_warning(client):
    """A man of 60 with little sun has a vitamin D advice: what the check suggests adding to
    the iron capsule gives no iron (nor does it take the capsule out: the warning says to take
    it only on a doctor's advice, no guarantee is broken)."""
    profile = {**MAN, "sun_exposure": "low"}
    answer = _check(client, profile, [{"sku": "XF-IRON-14-CAP"}])
    assert _not_indicated(answer)
    suggestion = answer.get("suggestion")
    if suggestion is not None:
        changes = suggestion.get("changes") or [suggestion]
        for change in changes:
            if change["code"] == "add":
                assert not per_day(PRODUCTS[change["sku"]]).get("iron_mg"), suggestion


def test_without_the_refill_texts_the_warning_has_the_product_pages_words(recommender):
    """Where rules/refills.yaml was never loaded good (the service runs without refills), the
    warning is still given, in the product page's words of the same decision."""
    basket = (Line.from_dict({"sku": "XF-IRON-14-CAP"}),)
    answer = check_intake(recommender.snapshot, Profile.from_dict(MAN), basket, "nl", TODAY)
    (warning,) = _not_indicated(answer)
    assert warning["skus"] == ["XF-IRON-14-CAP"]
    assert warning["text"].startswith("Met XTRA FUEL"), warning
    assert "zou je ijzer nemen" in warning["text"]
    assert "tenzij je arts vaststelde" in warning["text"]
