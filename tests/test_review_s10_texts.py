"""Review 9b F7: lists of names in a sentence end the way the locale writes them ("vitamine D en
vitamine K2", "Vitamin D und Vitamin K2"), not with a bare comma ("vitamine D, vitamine K2").

Seen failing before the fix: every text below joined its names with ", " only."""

from __future__ import annotations

import pytest

from tests.conftest import memory_app, notice_texts, recommend

AND = {"nl": " en ", "de": " und ", "en": " and "}


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_the_cart_says_which_nutrients_the_basket_covers_as_a_list(client, locale):
    body = {"profile": {"age": 40}, "basket": [{"sku": "XF-D3K2-TAB"}], "placement": "cart"}
    text = notice_texts(recommend(client, body, locale))["basket_covered"]
    d, k2 = {"nl": ("vitamine D", "vitamine K2"), "de": ("Vitamin D", "Vitamin K2")}.get(
        locale, ("vitamin D", "vitamin K2")
    )
    assert f"{d}{AND[locale]}{k2}" in text, text
    assert f"{d}, {k2}" not in text


@pytest.mark.parametrize("locale", ["nl", "de"])
def test_a_regimen_role_with_two_nutrients_reads_as_a_list(client, locale):
    answer = client.post(
        "/v1/regimens",
        json={
            "locale": locale,
            "max_products": 1,
            # session 14: a woman of 40 (iron is no need of a woman of 75, scoring.yaml
            # goal_indication: her one-product regimen is no longer the vegan multivitamin)
            "profile": {"age": 40, "sex": "female", "diet": "vegan"},
        },
    ).get_json()
    roles = [line["role"] for line in answer["lines"] if len(line["nutrients_per_day"]) > 1]
    assert roles, answer
    for role in roles:
        assert AND[locale] in role, role


def test_three_names_take_commas_then_the_conjunction():
    reference = memory_app().extensions["dosewise"].snapshot.reference
    assert reference.listed(["A", "B", "C"], "nl") == "A, B en C"
    assert reference.listed(["A", "B"], "de") == "A und B"
    assert reference.listed(["A"], "en") == "A"
    assert reference.listed([], "en") == ""


@pytest.mark.parametrize(
    "locale, ours, advised",
    [("nl", "door ons voorgestelde 150", "geadviseerde"), ("en", "our suggested 150", "advised")],
)
def test_the_basket_suggestion_calls_an_aim_of_ours_no_advice(client, locale, ours, advised):
    """Review 10 U2 follow-up: the intake check's basket suggestion called the 150 µg iodine
    aim in pregnancy (ours, not an authority's) "the advised 150 µg iodine"."""
    body = {
        "locale": locale,
        "profile": {"age": 30, "sex": "female", "life_stage": "pregnant"},
        "basket": [{"sku": "XF-FOLIC-D3-TAB"}],
    }
    text = client.post("/v1/intake/check", json=body).get_json()["suggestion"]["text"]
    assert ours in text, text
    assert f"{advised} 150" not in text, text


def test_a_warning_about_one_product_does_not_say_together(client):
    """Review 10 C2: "De hoeveelheid vitamine D uit <one product> is samen 75 µg per dag"."""
    profile = {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]}
    for locale, word in (("nl", "samen"), ("de", "zusammen"), ("en", "in all")):
        notices = notice_texts(recommend(client, {"profile": profile}, locale))
        warned = [t for code, t in notices.items() if code.startswith("intake_warning:")]
        assert warned, notices
        assert not [t for t in warned if word in t], warned


def test_a_negation_lists_its_nutrients_with_or(client):
    """Review 10b F8: "Zusätzlich dazu empfehlen wir nichts, was Vitamin D, Folsäure und Jod
    liefert" read as one product giving all three; a negation lists them with "oder"."""
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    profile["current_supplements"] = [{"sku": "XF-MULTI-WOMEN"}]
    text = notice_texts(recommend(client, {"profile": profile}, "de"))[
        "product_not_suited:XF-MULTI-WOMEN"
    ]
    assert "Folsäure oder Jod liefert" in text, text
