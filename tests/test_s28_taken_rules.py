"""Review s28 F3: a man of 76 on the pregnancy multivitamin (400 µg folic acid, 14 mg iron) got
no word that it does not suit him, and the list counted its vitamin D as his base. An exclude
rule with `taken` (risk_groups.yaml pregnancy-*-taken-outside-pregnancy) now says so of a
product taken or in the basket too: `product_not_suited` with the rule's reason words,
credited with nothing, and what suits in its place is named. A woman who may be planning a
pregnancy without saying so keeps hers unflagged. A `taken` on another action, or without its
words, is refused with its file and line."""

from __future__ import annotations

import pytest

from service.api.app import create_app
from service.core.lint import lint

from .conftest import TODAY
from .oracle import PRODUCTS, per_day
from .test_lint_findings import PATHS, at, write

WORDS = {
    "en": "made for pregnancy, breastfeeding or planning a pregnancy",
    "nl": "bedoeld voor zwangerschap, borstvoeding of een kinderwens",
    "de": "für Schwangerschaft, Stillzeit oder Kinderwunsch gedacht",
}


@pytest.fixture(scope="module")
def client():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0}).test_client()


def _answer(client, body: dict) -> dict:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
@pytest.mark.parametrize(
    "profile",
    [
        {"age": 76, "sex": "male", "country": "NL"},
        {"age": 40, "sex": "male", "country": "DE"},
        {"age": 62, "sex": "female", "country": "NL"},
    ],
)
def test_a_pregnancy_multivitamin_taken_where_no_pregnancy_is_meant_does_not_suit(
    client, profile, locale
):
    taken = {**profile, "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}]}
    answer = _answer(client, {"profile": taken, "locale": locale})
    notices = {n["code"]: n["text"] for n in answer["notices"]}
    text = notices.get("product_not_suited:XF-MULTI-PREGNANCY", "")
    assert WORDS[locale] in text, answer["notices"]
    # what is named in its place gives neither folic acid nor iron
    named = notices.get("instead:XF-MULTI-PREGNANCY")
    if named is not None:
        skus = [
            sku
            for sku, product in PRODUCTS.items()
            if sku != "XF-MULTI-PREGNANCY" and product["name"][locale] in named
        ]
        assert skus, named
        for sku in skus:
            assert not {"folic_acid_ug", "iron_mg"} & per_day(PRODUCTS[sku]).keys(), sku
    # its vitamin D is no one's base: no item's reason counts it as taken
    for item in answer["items"]:
        for reason in item["reasons"]:
            assert "from your other supplements" not in reason["text"], item


def test_in_the_basket_too(client):
    body = {
        "profile": {"age": 76, "sex": "male", "country": "NL"},
        "basket": [{"sku": "XF-MULTI-PREGNANCY"}],
        "locale": "en",
    }
    notices = {n["code"]: n["text"] for n in _answer(client, body)["notices"]}
    assert WORDS["en"] in notices.get("product_not_suited:XF-MULTI-PREGNANCY", ""), notices


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 30, "sex": "female", "country": "NL"},  # may be planning one
        {"age": 30, "sex": "female", "country": "NL", "goals": ["pregnancy"]},
        {"age": 30, "sex": "female", "country": "DE", "life_stage": "pregnant"},
    ],
)
def test_a_woman_who_may_be_planning_a_pregnancy_keeps_hers(client, profile):
    taken = {**profile, "current_supplements": [{"sku": "XF-MULTI-PREGNANCY"}]}
    codes = [n["code"] for n in _answer(client, {"profile": taken, "locale": "en"})["notices"]]
    assert "product_not_suited:XF-MULTI-PREGNANCY" not in codes, codes
    assert "instead:XF-MULTI-PREGNANCY" not in codes, codes


def test_plain_folic_acid_taken_by_a_man_does_not_suit_unless_his_doctor_advised_it(client):
    profile = {"age": 70, "sex": "male", "country": "DE"}
    profile["current_supplements"] = [{"sku": "BL-FOLIC-400-TAB"}]
    codes = [n["code"] for n in _answer(client, {"profile": profile, "locale": "en"})["notices"]]
    assert "product_not_suited:BL-FOLIC-400-TAB" in codes, codes
    profile["higher_dose_advised"] = {"folic_acid_ug": 400}
    codes = [n["code"] for n in _answer(client, {"profile": profile, "locale": "en"})["notices"]]
    assert "product_not_suited:BL-FOLIC-400-TAB" not in codes, codes


BAD_FIELD = """
    source: test
    rules:
      - id: {field}-on-a-boost
        description: {field} is for exclude rules only
        skus: [XF-D3K2-TAB]
        action: boost
        weight: 0.2
        reason: {{nl: "x", de: "x", en: "x"}}
        {field}: {words}
      - id: {field}-without-words
        description: no unsuited_no_such_words in regimen_texts.yaml
        skus: [XF-D3K2-TAB]
        action: exclude
        {field}: no_such_words
"""


# `why` (session 29, review s29a F9): the words a page says of a product an exclude rule keeps
# out, checked as `taken`'s
@pytest.mark.parametrize(
    ("field", "words"), [("taken", "pregnancy_product"), ("why", "made_for_men")]
)
def test_a_taken_or_why_that_cannot_be_said_is_refused_at_its_line(tmp_path, field, words):
    path, lines = write(tmp_path, BAD_FIELD.format(field=field, words=words))
    findings = lint(PATHS, path, TODAY).findings
    messages = [(f.line, f.message) for f in findings]
    assert any("exclude rule only" in m for _, m in messages), messages
    (found,) = [f for f in findings if "unsuited_no_such_words" in f.message]
    assert found.line == at(lines, f"{field}: no_such_words")[0], messages
    assert found.message.startswith(f"{field}:"), found.message


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_the_intake_check_warns_of_it_too(client, locale):
    profile = {"age": 76, "sex": "male", "country": "NL"}
    profile["current_supplements"] = [{"sku": "XF-MULTI-PREGNANCY"}]
    response = client.post("/v1/intake/check", json={"profile": profile, "locale": locale})
    assert response.status_code == 200, response.get_json()
    warnings = {w["code"]: w for w in response.get_json()["warnings"]}
    assert WORDS[locale] in warnings["pregnancy_product"]["text"], warnings
    assert warnings["pregnancy_product"]["skus"] == ["XF-MULTI-PREGNANCY"]


@pytest.mark.parametrize("locale", ["en", "nl", "de"])
def test_refills_say_why_in_the_rules_words(locale):
    """Review s28b F6: /refills said only "The shop no longer offers it for your profile"."""
    from .conftest import memory_app, store_customer

    client = memory_app().test_client()
    profile = {"age": 76, "sex": "male", "country": "NL"}
    store_customer(client, "s28b-f6", profile, {"XF-MULTI-PREGNANCY": "2026-10-20"})
    body = client.get(f"/v1/customers/s28b-f6/refills?locale={locale}").get_json()
    whys = [w for r in body["refills"] for w in r.get("why", [])]
    assert "pregnancy_product" in [w["code"] for w in whys], body["refills"]
    assert "rule" not in [w["code"] for w in whys], whys
