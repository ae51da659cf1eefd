"""Review s26b B5 (session 27): explain and the preview called the product named in the notice
`instead:<SKU>` "meets no need of this profile", and the products left out because they give a
nutrient of that product "ranked below the products the list shows". Both now say why."""

from __future__ import annotations

import pytest

from service.api.app import create_app
from service.contract.schemas import RecommendationRequestSchema
from service.core.explain import explain_product

from .conftest import TODAY
from .test_s26_instead import PREGNANT_ON_WOMENS_MULTI

# bench/profiles.py body: a man of 52 on a kids' multivitamin chew; its replacement gives
# calcium and vitamin D, so the D3 + K2 products that would be listed are left out
MAN_ON_KIDS_CHEW = {
    "age": 52,
    "sex": "male",
    "diet": "vegetarian",
    "sun_exposure": "moderate",
    "country": "NL",
    "goals": ["energy", "pregnancy"],
    "medications": ["quinolone"],
    "conditions": ["osteopenia"],
    "current_supplements": [{"sku": "KV-MULTI-KIDS-CHEW"}],
}


@pytest.fixture(scope="module")
def app():
    return create_app({"TESTING": True, "RELOAD_INTERVAL": 0})


def _preview(app, profile: dict) -> dict:
    body = {"profile": profile, "locale": "en", "limit": 5, "date": TODAY.isoformat()}
    response = app.test_client().post("/v1/preview", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _named(answer: dict) -> tuple[str, str]:
    """(the SKU taken that does not suit, the SKU named in its place) from the notice."""
    notice = next(n for n in answer["notices"] if n["code"].startswith("instead:"))
    old = notice["code"].split(":", 1)[1]
    excluded = {x["sku"]: x["reasons"] for x in answer["excluded"]}
    new = next(s for s, reasons in excluded.items() if reasons[0]["code"] == "instead")
    return old, new


def test_the_preview_says_the_named_product_is_named_in_place_not_that_it_meets_no_need(app):
    answer = _preview(app, PREGNANT_ON_WOMENS_MULTI)
    old, new = _named(answer)
    assert (old, new) == ("XF-MULTI-WOMEN", "XF-MULTI-PREGNANCY")
    reasons = next(x["reasons"] for x in answer["excluded"] if x["sku"] == new)
    assert reasons[0]["replaces"] == old and f"instead:{old}" in reasons[0]["text"]
    assert "no_need" not in [r["code"] for r in reasons]


def test_explain_gives_the_same_verdict(app):
    snapshot = app.extensions["dosewise"].snapshot
    request = RecommendationRequestSchema().load(
        {"profile": PREGNANT_ON_WOMENS_MULTI, "locale": "en"}
    )
    answer = explain_product(snapshot, request, "XF-MULTI-PREGNANCY", TODAY)
    assert answer["verdict"].startswith("not an item: named in the notice instead:XF-MULTI-WOMEN")
    assert [e["code"] for e in answer["instead"]] == ["instead"]
    assert "no_need" not in [e["code"] for e in answer["advice_exclusions"]]
    # a product that has nothing to do with it keeps its own verdict
    other = explain_product(snapshot, request, "XF-OMEGA3-1000-SG", TODAY)
    assert other["instead"] == [] and "instead" not in other["verdict"]


def test_a_product_left_out_beside_the_named_one_says_so(app):
    answer = _preview(app, MAN_ON_KIDS_CHEW)
    old, new = _named(answer)
    assert old == "KV-MULTI-KIDS-CHEW"
    beside = {
        x["sku"]: x["reasons"]
        for x in answer["excluded"]
        if [r["code"] for r in x["reasons"]] == ["beside_instead"]
    }
    assert "XF-D3K2-VEGAN-CAP" in beside, answer["excluded"]
    reason = beside["XF-D3K2-VEGAN-CAP"][0]
    assert reason["instead"] == new and f"instead:{old}" in reason["text"]
    snapshot = app.extensions["dosewise"].snapshot
    request = RecommendationRequestSchema().load({"profile": MAN_ON_KIDS_CHEW, "locale": "en"})
    verdict = explain_product(snapshot, request, "XF-D3K2-VEGAN-CAP", TODAY)["verdict"]
    assert verdict == "not recommended: " + reason["text"]
