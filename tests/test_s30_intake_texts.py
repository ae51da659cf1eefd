"""Session 29 left open: the intake check's warning of a product a rule with `taken` keeps off
the profile read "This product does not suit your profile: with vitamin K: for a child ..."
(two colons). The reason now stands in brackets, as product_not_suited has it."""

from __future__ import annotations

import pytest
import yaml

from .conftest import RULES

REFERENCE = RULES / "reference"
TEXTS = yaml.safe_load((REFERENCE / "texts.yaml").read_text(encoding="utf-8"))["texts"]
REASONS = yaml.safe_load((REFERENCE / "regimen_texts.yaml").read_text(encoding="utf-8"))["texts"]


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_a_childs_vitamin_k_product_in_the_basket_says_why_in_brackets(client, locale):
    body = {"profile": {"age": 15, "sex": "male", "country": "NL"}, "locale": locale}
    body["basket"] = [{"sku": "XF-D3K2-TAB"}]
    response = client.post("/v1/intake/check", json=body)
    warnings = {w["code"]: w["text"] for w in response.get_json()["warnings"]}
    reason = REASONS["unsuited_child_vitamin_k"][locale]
    expected = TEXTS["warning_taken_rule"][locale].format(reason=reason)
    assert warnings["child_vitamin_k"] == expected
    assert f"({reason})" in expected
