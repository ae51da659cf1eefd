"""Review s29a F7 and F9: two misleading texts about the product on a page and a regimen.

F7: L-methylfolate is folate, not folic acid (authorised_forms.yaml names the form "folate (as
L-methylfolate)", review s8 R7; the list's fills_gap reason already says so). A product-page
alternative said "folic acid from calcium L-methylfolate instead of folic acid" and a regimen
line "200 µg folic acid" of a methylfolate multivitamin; now the form's own name, in nl, de, en.

F9: a product a shop exclude rule keeps out (a target group, a children's rule) was "not suited
to your profile" with no reason, on the product page and the home placement alike, while a
dose, K2 or age gave the why. The rule's words (`why:`, or `taken:`, regimen_texts.yaml
`unsuited_<words>`) now say why; a `why` that cannot be said is refused with its line.
"""

from __future__ import annotations

import pytest

from service.core.yamlfile import load_yaml

from .conftest import CATALOG, RULES
from .oracle import PRODUCTS
from .test_lint_findings import PATHS

LOCALES = ["nl", "de", "en"]
FOLATE = {
    "nl": "folaat (als L-methylfolaat)",
    "de": "Folat (als L-Methylfolat)",
    "en": "folate (as L-methylfolate)",
}
FOLIC_ACID = {"nl": "foliumzuur", "de": "Folsäure", "en": "folic acid"}
INSTEAD = {"nl": "{a} in plaats van {b}", "de": "{a} statt {b}", "en": "{a} instead of {b}"}
AND = {"nl": "{a} en {b}", "de": "{a} und {b}", "en": "{a} and {b}"}
# the old wording: the methylfolate product's folate called folic acid
OLD_SOURCE = {"nl": "foliumzuur uit", "de": "Folsäure aus", "en": "folic acid from"}


def _post(client, url: str, body: dict) -> dict:
    response = client.post(url, json=body)
    assert response.status_code == 200, response.data
    return response.get_json()


def _reason(answer: dict, sku: str, code: str) -> str:
    (item,) = [i for i in answer["items"] if i["sku"] == sku]
    (text,) = [r["text"] for r in item["reasons"] if r["code"] == code]
    return text


def test_the_form_name_is_the_one_of_authorised_forms_yaml():
    forms = load_yaml(RULES / "reference" / "authorised_forms.yaml", "authorised_forms.yaml")
    assert forms["forms"]["folic_acid"]["calcium_l_methylfolate"]["name"] == FOLATE


# --- F7 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("page", "profile", "alternative"),
    [
        ("XF-MULTI-MEN", {"age": 40, "sex": "female"}, "GR-MULTI-VEGAN"),
        (
            "BL-FOLIC-400-TAB",
            {"age": 30, "sex": "female", "life_stage": "pregnant"},
            "GR-METHYLFOLATE-400-CAP",
        ),
    ],
)
def test_a_methylfolate_alternative_names_its_folate_by_the_forms_name(
    client, locale, page, profile, alternative
):
    body = {"profile": profile, "placement": "product_page", "product_sku": page}
    answer = _post(client, "/v1/recommendations", {**body, "locale": locale, "limit": 4})
    text = _reason(answer, alternative, "alternative:source:folic_acid")
    assert text == INSTEAD[locale].format(a=FOLATE[locale], b=FOLIC_ACID[locale]), text
    assert OLD_SOURCE[locale] not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_folic_acid_instead_of_a_methylfolate_page_product_names_the_page_products_form(
    client, locale
):
    body = {
        "profile": {"age": 30, "sex": "female", "life_stage": "pregnant"},
        "placement": "product_page",
        "product_sku": "GR-METHYLFOLATE-400-CAP",
    }
    answer = _post(client, "/v1/recommendations", {**body, "locale": locale, "limit": 4})
    text = _reason(answer, "BL-FOLIC-400-TAB", "alternative:source:folic_acid")
    assert text == INSTEAD[locale].format(a=FOLIC_ACID[locale], b=FOLATE[locale]), text


REGIMEN = {
    "profile": {"age": 30, "sex": "female", "life_stage": "pregnant", "diet": "vegan"},
    "max_products": 3,
}


def _methylfolate(sku: str) -> bool:
    return PRODUCTS[sku].get("vitamin_sources", {}).get("folic_acid") == "calcium_l_methylfolate"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_regimen_names_a_methylfolate_products_folate_by_the_forms_name(client, locale):
    answer = _post(client, "/v1/regimens", {**REGIMEN, "locale": locale})
    lines = {line["sku"]: line for line in answer["lines"]}
    # the review's case: the vegan multivitamin (methylfolate) beside plain folic acid
    assert _methylfolate("GR-MULTI-VEGAN") and "GR-MULTI-VEGAN" in lines, lines
    folic = [s for s, line in lines.items() if line["nutrients_per_day"].get("folic_acid_ug")]
    assert any(not _methylfolate(s) for s in folic), folic
    for sku in folic:
        amount = lines[sku]["nutrients_per_day"]["folic_acid_ug"]
        name = FOLATE[locale] if _methylfolate(sku) else FOLIC_ACID[locale]
        assert f"{amount} µg {name}" in lines[sku]["role"], lines[sku]["role"]
        if _methylfolate(sku):
            assert f"{amount} µg {FOLIC_ACID[locale]}" not in lines[sku]["role"]
    why = answer["targets"]["folic_acid_ug"]["why"]
    both = AND[locale].format(a=FOLIC_ACID[locale], b=FOLATE[locale])
    total = answer["targets"]["folic_acid_ug"]["amount"]
    assert f"{total} µg {both}" in why or f"{total} µg of {both}" in why, why


# --- F9 ----------------------------------------------------------------------------------------

NOT_SUITED_PAGE = {
    "nl": "Niet geschikt voor je profiel: het product op deze pagina ({why}). "
    "We stellen er daarom niets bij voor.",
    "de": "Für Ihr Profil nicht geeignet: das Produkt auf dieser Seite ({why}). "
    "Daher schlagen wir nichts dazu vor.",
    "en": "Not suited to your profile: the product on this page ({why}). "
    "We therefore suggest nothing to go with it.",
}
NOT_SUITED_LIST = {
    "nl": "Niet geschikt voor je profiel: {product} ({why}).",
    "de": "Für Ihr Profil nicht geeignet: {product} ({why}).",
    "en": "Not suited to your profile: {product} ({why}).",
}
MEN = {"nl": "bedoeld voor mannen", "de": "für Männer bestimmt", "en": "made for men"}
WOMEN = {"nl": "bedoeld voor vrouwen", "de": "für Frauen bestimmt", "en": "made for women"}
SEVENTY = {
    "nl": "bedoeld voor mensen van 70 jaar en ouder",
    "de": "für Menschen ab 70 Jahren bestimmt",
    "en": "made for people aged 70 and over",
}
PREGNANCY = {
    "en": "made for pregnancy, breastfeeding or planning a pregnancy",
    "nl": "bedoeld voor zwangerschap, borstvoeding of een kinderwens",
    "de": "für Schwangerschaft, Stillzeit oder Kinderwunsch gedacht",
}
CHILD_OMEGA3 = {
    "nl": "omega-3 met vitamine D: voor een kind stellen we vitamine D zonder omega-3 voor, "
    "tenzij een arts omega-3 adviseerde",
    "de": "Omega-3 mit Vitamin D: für ein Kind schlagen wir Vitamin D ohne Omega-3 vor, "
    "außer eine Ärztin oder ein Arzt hat Omega-3 empfohlen",
    "en": "omega-3 with vitamin D: for a child we suggest vitamin D without omega-3 "
    "unless a doctor advised omega-3",
}
CHILD_K = {
    "nl": "met vitamine K: voor een kind stellen we vitamine K alleen op advies van een arts voor",
    "de": "mit Vitamin K: für ein Kind schlagen wir Vitamin K nur auf ärztlichen Rat vor",
    "en": "with vitamin K: for a child we suggest vitamin K only on a doctor's advice",
}


def _not_suited(client, profile: dict, sku: str, placement: str, locale: str) -> str:
    body = {"profile": profile, "placement": placement, "product_sku": sku, "locale": locale}
    answer = _post(client, "/v1/recommendations", {**body, "limit": 3})
    (text,) = [n["text"] for n in answer["notices"] if n["code"] == "page_product_not_suited"]
    return text


CASES = {
    "men's multivitamin, a woman": ({"age": 40, "sex": "female"}, "XF-MULTI-MEN", MEN),
    "70+ vitamin D, a man of 30": ({"age": 30, "sex": "male"}, "BL-D3-20-70PLUS-TAB", SEVENTY),
    "kids' omega-3 with D3, a child of 5": ({"age": 5}, "KV-OMEGA3-KIDS-CHEW", CHILD_OMEGA3),
    "pregnancy multivitamin, a woman of 30": (
        {"age": 30, "sex": "female"},
        "XF-MULTI-PREGNANCY",
        PREGNANCY,
    ),
    "plain folic acid for pregnancy, a woman of 30": (
        {"age": 30, "sex": "female"},
        "BL-FOLIC-400-TAB",
        PREGNANCY,
    ),
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", list(CASES))
def test_a_product_a_shop_rule_keeps_out_says_why_on_its_page(client, case, locale):
    profile, sku, why = CASES[case]
    text = _not_suited(client, profile, sku, "product_page", locale)
    assert text == NOT_SUITED_PAGE[locale].format(why=why[locale]), text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", list(CASES))
def test_and_on_the_home_placement_naming_the_product(client, case, locale):
    profile, sku, why = CASES[case]
    text = _not_suited(client, profile, sku, "home", locale)
    name = PRODUCTS[sku]["name"][locale]
    assert text == NOT_SUITED_LIST[locale].format(product=name, why=why[locale]), text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_rules_words_follow_the_profiles_own_reasons(client, locale):
    """A man on the women's multivitamin: the zinc limit (a safety reason), then the rule's."""
    text = _not_suited(client, {"age": 40, "sex": "male"}, "XF-MULTI-WOMEN", "home", locale)
    zinc = {"nl": "zink: ", "de": "Zink: ", "en": "zinc: "}[locale]
    assert text.endswith(f"; {WOMEN[locale]}).") and f"({zinc}" in text, text
    # a child on D3 + K2 drops: under its minimum age, and the children's K rule
    text = _not_suited(client, {"age": 10}, "XF-D3K2-DROPS", "home", locale)
    assert text.endswith(f"; {CHILD_K[locale]}).") and "; " in text, text


def test_every_shipped_exclude_rule_can_say_why():
    from service.core.snapshot import load_snapshot

    snapshot = load_snapshot(PATHS)
    rules = snapshot.rules.rules
    excluding = [r for r in rules if r.action == "exclude" and r.enabled]
    assert excluding
    assert [r.id for r in excluding if not (r.why or r.taken)] == []


assert CATALOG.exists()
