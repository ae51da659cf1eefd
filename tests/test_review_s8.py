"""Session 8 fixes of what review s7 left open (a pharmacist's reading of the answers).

Expectations come from the request and the data files, never from the service's advice code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from .conftest import CATALOG, memory_app

TODAY = dt.date(2026, 12, 2)
TELL_US_MORE = {"nl": "Vertel ons meer", "de": "Erzählen Sie uns mehr", "en": "Tell us more"}
DOCTOR = {"nl": "arts", "de": "Arzt", "en": "doctor"}


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


def post(client, body: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    response = client.post("/v1/recommendations", json={"locale": locale, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notices(answer: dict[str, Any]) -> dict[str, str]:
    return {n["code"]: n["text"] for n in answer["notices"]}


@pytest.mark.parametrize("locale", ["nl", "de", "en"])
def test_an_empty_list_beside_a_capped_doctor_dose_does_not_ask_to_tell_us_more(client, locale):
    """A man whose only need is the 60 mg iron his doctor advised (above the 40 mg limit: the
    doctor or pharmacy supplies it) has told us his need; 'tell us more' reads as if he had
    not. The empty list says it is empty apart from that dose."""
    profile = {"age": 45, "sex": "male", "higher_dose_advised": {"iron_mg": 60}}
    answer = post(client, {"profile": profile}, locale)
    found = notices(answer)
    assert answer["items"] == []
    assert "doctor_dose_capped:iron_mg" in found, found
    assert TELL_US_MORE[locale] not in found["no_items"], found["no_items"]
    assert DOCTOR[locale] in found["no_items"], found["no_items"]


def test_without_a_doctor_dose_an_empty_list_still_asks_to_tell_us_more(client):
    """The same man without the doctor's dose: nothing is asked for, so 'tell us more' stays."""
    answer = post(client, {"profile": {"age": 45, "sex": "male"}})
    assert answer["items"] == []
    assert TELL_US_MORE["en"] in notices(answer)["no_items"]


def test_the_product_get_says_why_an_mk4_product_is_not_sellable_once_in_words(client):
    """Review s7 left open: the product GET said "vitamin_k2 as mk4_synthetic is not an
    authorised form; vitamin K2 as menaquinone-4 ... is not an authorised form": the code names
    and then the catalog's own note saying the same. The note, in words, stands alone."""
    product = next(
        p
        for p in yaml.safe_load(CATALOG.read_text("utf-8"))["products"]
        if "mk4_synthetic" in p.get("vitamin_sources", {}).values() and p.get("not_sellable_reason")
    )
    body = client.get(f"/v1/products/{product['sku']}").get_json()
    for market, status in body["markets"].items():
        assert status["sellable"] is False, market
        texts = [r["text"] for r in status["reasons"] if r["code"] == "not_sellable"]
        assert texts == [product["not_sellable_reason"]], (market, texts)
