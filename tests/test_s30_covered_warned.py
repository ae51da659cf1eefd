"""Review s30a F2: a woman of 72 on digoxin whose 20 µg D3 meets her vitamin D advice (the
Health Council's 20 µg from 70), or on a thiazide with a 50+ multivitamin, was told "We found
no product for a need in your profile. Tell us more (goals, sun, diet)": her product is one
the answer warns about, so it is credited with nothing. Now the empty list says what is taken
already gives what is advised, and to tell the doctor."""

from __future__ import annotations

import pytest
import yaml

from .conftest import RULES, recommend

TEXTS = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))["texts"]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize(
    ("medication", "sku"),
    [("digoxin", "XF-D3-20-TAB"), ("thiazide_diuretic", "XF-MULTI-50PLUS")],
)
def test_what_is_taken_meets_the_advice_beside_a_medicines_warning(client, locale, medication, sku):
    profile = {"age": 72, "sex": "female", "country": "NL", "medications": [medication]}
    profile["current_supplements"] = [{"sku": sku}]
    answer = recommend(client, {"profile": profile}, locale)
    assert answer["items"] == []
    notices = {n["code"]: n["text"] for n in answer["notices"]}
    assert notices["no_items"] == TEXTS["notice_no_items_covered_warned"][locale]


def test_not_where_what_is_taken_falls_short(client):
    """10 µg beside digoxin at 72 (20 µg advised): nothing says the advice is met."""
    profile = {"age": 72, "sex": "female", "country": "NL", "medications": ["digoxin"]}
    profile["current_supplements"] = [{"sku": "XF-D3-10-TAB"}]
    notices = {n["code"]: n["text"] for n in recommend(client, {"profile": profile})["notices"]}
    assert notices.get("no_items") != TEXTS["notice_no_items_covered_warned"]["en"]
