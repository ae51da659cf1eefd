"""Review s8 Q4 and Q7: notices that name the real cause.

Q7: a healthy man of 55 on the men's multivitamin page was told the product "does not suit
your profile" without a reason, and "no product that safely fits your profile and what you
already take" though he takes nothing. The cause is zinc: 10 mg a day (catalog) plus the food
allowance of 16 mg (food_intake.yaml, NL adult men) is above the 25 mg upper limit for total
intake (upper_limits.yaml, domain.md).

Q4: a woman planning a pregnancy (goal `pregnancy`) who takes the 75 µg vitamin D3 + K2
flagship heard that the product is unsuitable "(vitamin K2 200 µg a day in all) ... we suggest
no more vitamin K2" while the flagship is unsuitable for its vitamin D (catalog comment: more
than 25 µg a day; K2-only products are pregnancy-suitable), and the vitamin D warning quoted
the 37.5 µg dose band instead of the 25 µg pregnancy maximum (product_maxima.yaml
`life_stages.pregnant`, domain.md "In pregnancy offer no more than 25 µg a day") that applies
to her as the catalog's pregnancy suitability does.
"""

from __future__ import annotations

import pytest

from .conftest import memory_app

MAN = {"age": 55, "sex": "male"}
PAGE = {"placement": "product_page", "product_sku": "XF-MULTI-MEN", "limit": 4}
# "zinc" in each locale (nutrients.yaml), the upper limit and the food allowance
ZINC = {"nl": "zink", "de": "zink", "en": "zinc"}
TAKEN = {"nl": "al neemt", "de": "bisherigen einnahme", "en": "already take"}


@pytest.fixture(scope="module")
def client():
    return memory_app().test_client()


def _notices(answer: dict) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_page_product_not_suited_names_zinc_and_its_limit(client, locale):
    body = {"profile": MAN, "locale": locale, **PAGE}
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200
    answer = response.get_json()
    notices = _notices(answer)
    page = notices["page_product_not_suited"].lower()
    assert ZINC[locale] in page, page
    for amount in ("10", "16", "25"):  # the product's zinc, the food allowance, the limit
        assert f"{amount} mg" in page, page
    if not answer["items"]:
        # he takes nothing and has no basket: nothing may speak of "what you already take"
        assert TAKEN[locale] not in notices["no_items"].lower(), notices["no_items"]


def test_alternatives_of_the_page_product_say_why_it_does_not_suit(client):
    body = {"profile": MAN, "locale": "en", "limit": 5}
    answer = client.post("/v1/products/XF-MULTI-MEN/alternatives", json=body).get_json()
    page = _notices(answer)["page_product_not_suited"]
    assert "zinc" in page and "25 mg" in page, page


def test_no_items_still_speaks_of_what_is_taken_when_something_is():
    """The "what you already take" wording stays where it is true."""
    client = memory_app().test_client()
    profile = {**MAN, "current_supplements": [{"sku": "XF-ZINC-10-TAB"}]}
    body = {"profile": profile, "locale": "en", **PAGE}
    answer = client.post("/v1/recommendations", json=body).get_json()
    notices = _notices(answer)
    assert "zinc" in notices["page_product_not_suited"]
    assert "with what you take" in notices["page_product_not_suited"]


PLANNING = {
    "age": 30,
    "sex": "female",
    "goals": ["pregnancy"],
    "current_supplements": [{"sku": "XF-D3K2-TAB"}, {"sku": "VL-VITA-800-CAP"}],
}
PREGNANT = {
    "age": 31,
    "sex": "female",
    "life_stage": "pregnant",
    "current_supplements": [{"sku": "XF-D3K2-TAB"}],
}


def _check_vitamin_d_warning(notices: dict[str, str]) -> None:
    # vitamin K2 is not what makes the flagship unsuitable: no warning blames it
    assert "intake_warning:vitamin_k2_ug" not in notices, notices
    warning = notices["intake_warning:vitamin_d_ug"]
    assert "75 µg" in warning and "25 µg" in warning, warning
    assert "37.5" not in warning, warning
    assert "XTRA FUEL Vitamin D3 + K2 Tablets" in warning, warning


@pytest.mark.parametrize("profile", [PLANNING, PREGNANT], ids=["planning", "pregnant"])
def test_the_flagship_warning_names_vitamin_d_and_the_pregnancy_maximum(client, profile):
    body = {"profile": profile, "locale": "en", "limit": 4}
    answer = client.post("/v1/recommendations", json=body).get_json()
    _check_vitamin_d_warning(_notices(answer))
    body = {"profile": profile, "max_products": 3, "locale": "en"}
    regimen = client.post("/v1/regimens", json=body).get_json()
    _check_vitamin_d_warning(_notices(regimen))


def test_the_vitamin_a_capsule_is_still_named_unsuitable_when_planning(client):
    body = {"profile": PLANNING, "locale": "en", "limit": 4}
    notices = _notices(client.post("/v1/recommendations", json=body).get_json())
    assert "Vitalinea Vitamin A 800 µg Capsules" in notices["product_not_suited:VL-VITA-800-CAP"]


def test_a_k2_product_unsuitable_for_its_own_reason_keeps_its_warning(client):
    """A line the vitamin D warning does not name keeps the life stage warning (no K2 blame
    is dropped where nothing else explains it). A pregnant woman with the 75 µg flagship in
    her basket besides a K2 product she takes: the K2 warning, if any, is not for the
    flagship alone."""
    profile = {**PREGNANT, "current_supplements": [{"sku": "XF-K2-MK7-200-CAP"}]}
    body = {"profile": profile, "locale": "en", "limit": 4}
    notices = _notices(client.post("/v1/recommendations", json=body).get_json())
    assert "intake_warning:vitamin_k2_ug" not in notices, notices  # a suitable K2 product


@pytest.mark.parametrize(
    "profile",
    [{"age": 30, "sex": "female", "goals": ["pregnancy"]}, {**PREGNANT, "current_supplements": []}],
    ids=["planning", "pregnant"],
)
def test_the_flagship_page_names_vitamin_d_and_the_pregnancy_maximum(client, profile):
    """The page notice names the nutrient and the 25 µg maximum (product_maxima.yaml), not
    only "more than suits pregnancy", and never the 37.5 µg dose band."""
    body = {"profile": profile, "locale": "en", "placement": "product_page", "limit": 4}
    body["product_sku"] = "XF-D3K2-TAB"
    page = _notices(client.post("/v1/recommendations", json=body).get_json())
    text = page["page_product_not_suited"]
    assert "vitamin D" in text and "75 µg" in text and "25 µg" in text, text
    assert "37.5" not in text and "K2" not in text.replace("D3 + K2", ""), text
