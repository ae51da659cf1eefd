"""Review s30a F4 and F5: two texts that said what was not true.

F4: a German woman of 40 whose doctor advised 100 µg of vitamin D a day was told "the safe upper
limit of 100 µg for total intake leaves room for 92 µg from supplements and no product that
suits your profile gives more than 75 µg of vitamin D a day", while the 100 µg capsules suit her
(DE applies no maximum per daily dose): only the room keeps them out, and the catalog has
nothing between 75 and 92 µg. The notice now says that none of the products we can suggest to
her gives between 75 and 92 µg (review s30b F6: not "that suit her profile"); in NL, where the
law stops the product at 75 µg, it says so.

F5: `not_together:<nutrient>` said "Do not take all of these products together ... Ask your
pharmacist which of them to combine" of a baby's two vitamin D drops, 10 µg each beside 10 µg of
room: no two of them fit. Where no two of the products it names fit, it says to take only one.
Expectations come from the data files (tests/oracle.py), not from the service's own code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import notice_texts, recommend
from .oracle import PRODUCTS, binding_maxima, expected_food, expected_upper_limit, per_day

TEXTS = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "rules" / "reference" / "texts.yaml").read_text(
        encoding="utf-8"
    )
)["texts"]

WOMAN_DE = {
    "age": 40,
    "sex": "female",
    "country": "DE",
    "higher_dose_advised": {"vitamin_d_ug": 100},
}
TAKING_25 = {**WOMAN_DE, "current_supplements": [{"sku": "XF-D3-25-SG"}]}
# the words of doctor_short_range before the amount ("no product that suits your profile gives
# more than"), which F4 found said of products that do suit her
RANGE = {locale: text.split("{offered}")[0] for locale, text in TEXTS["doctor_short_range"].items()}


def _d(sku: str) -> float:
    return per_day(PRODUCTS[sku]).get("vitamin_d_ug", 0.0)


def _room(profile: dict) -> float:
    """What the upper limit leaves for supplements beside food and what is taken (oracle)."""
    limit = expected_upper_limit("vitamin_d_ug", profile["age"], "none")
    taken = sum(_d(line["sku"]) for line in profile.get("current_supplements", []))
    return limit - expected_food(profile, "vitamin_d_ug") - taken


def _between(locale: str, offered: float, room: float) -> str:
    """The clause doctor_short_between with the amounts (µg, vitamin D)."""
    template = TEXTS["doctor_short_between"][locale]
    return template.split("{unit}")[0].format(offered=f"{offered:g}", up_to=f"{room:g}")


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize(("profile", "offered"), [(WOMAN_DE, 75), (TAKING_25, 50)])
def test_f4_the_reach_notice_does_not_say_no_product_suits_above_what_is_offered(
    client, locale, profile, offered
):
    answer = recommend(client, {"profile": profile, "limit": 10}, locale)
    given = [i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in answer["items"]]
    assert max(given) == offered, given
    room = _room(profile)
    # the data: DE binds no maximum per daily dose, a product above what is offered suits an
    # adult of 40 (the 100 µg capsules), and none gives more than offered and at most the room
    assert "vitamin_d_ug" not in binding_maxima("DE")
    assert _d("XF-D3-100-CAP") > offered and PRODUCTS["XF-D3-100-CAP"].get("min_age", 0) <= 40
    assert not [s for s in PRODUCTS if offered < _d(s) <= room], room
    said = notice_texts(answer)["doctor_dose_short:vitamin_d_ug"]
    assert RANGE[locale] not in said, said
    assert _between(locale, offered, room) in said, said


@pytest.mark.parametrize("locale", ["en", "de"])
def test_f4_the_intake_checks_suggestion_says_the_same(client, locale):
    """The intake check's suggestion repeats the list's notice for the day without what it
    takes out of the basket (the 75 µg tablet beside the 25 µg softgels)."""
    body = {"profile": TAKING_25, "basket": [{"sku": "XF-D3-75-TAB"}], "locale": locale}
    response = client.post("/v1/intake/check", json=body)
    assert response.status_code == 200, response.get_json()
    said = response.get_json()["suggestion"]["text"]
    assert "XF-D3-75-TAB" == response.get_json()["suggestion"]["sku"]
    assert RANGE[locale] not in said, said
    assert _between(locale, 50, _room(TAKING_25)) in said, said


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_f4_in_nl_the_law_is_still_named(client, locale):
    """In NL a food supplement may give at most 75 µg per daily dose: that stops the product."""
    profile = {**WOMAN_DE, "country": "NL"}
    said = notice_texts(recommend(client, {"profile": profile}, locale))[
        "doctor_dose_short:vitamin_d_ug"
    ]
    law = TEXTS["doctor_short_market"][locale].split("{")[0]
    assert law in said and "NL" in said, said
    assert RANGE[locale] not in said and _between(locale, 75, _room(profile)) not in said, said


ONLY_ONE = {
    "en": "Take only one of these products:",
    "nl": "Neem maar één van deze producten:",
    "de": "Nehmen Sie nur eines dieser Produkte:",
}
COMBINE = {"en": "which of them to combine", "nl": "welke je kunt combineren", "de": "kombinieren"}


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize(
    ("profile", "key"),
    [({"age": 0, "country": "DE"}, "vitamin_d_ug"), (WOMAN_DE, "vitamin_d_ug")],
)
def test_f5_where_no_two_of_the_products_fit_the_notice_says_take_only_one(
    client, locale, profile, key
):
    answer = recommend(client, {"profile": profile}, locale)
    room = answer["intake"][key]["room"]
    amounts = sorted(i["nutrients_per_day"].get(key, 0) for i in answer["items"])
    amounts = [a for a in amounts if a > 0]
    assert len(amounts) >= 2 and amounts[0] + amounts[1] > room >= amounts[-1], (amounts, room)
    said = notice_texts(answer)[f"not_together:{key}"]
    assert said.startswith(ONLY_ONE[locale]), said
    assert COMBINE[locale] not in said and "alle" not in said.split(":")[0], said


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_f5_where_two_of_them_fit_the_notice_still_asks_which_to_combine(client, locale):
    """A vegan woman of 25: 100, 400 and 500 mg calcium beside 800 mg of room; two fit."""
    profile = {"age": 25, "sex": "female", "country": "NL", "diet": "vegan"}
    answer = recommend(client, {"profile": profile}, locale)
    room = answer["intake"]["calcium_mg"]["room"]
    amounts = sorted(
        i["nutrients_per_day"]["calcium_mg"]
        for i in answer["items"]
        if i["nutrients_per_day"].get("calcium_mg")
    )
    assert amounts[0] + amounts[1] <= room < sum(amounts), (amounts, room)
    said = notice_texts(answer)["not_together:calcium_mg"]
    assert COMBINE[locale] in said and not said.startswith(ONLY_ONE[locale]), said
