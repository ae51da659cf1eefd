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

from service.api.app import create_app
from service.core.yamlfile import load_yaml

from .conftest import RULES
from .oracle import PRODUCTS

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


@pytest.fixture(scope="module")
def client():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0}).test_client()


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
