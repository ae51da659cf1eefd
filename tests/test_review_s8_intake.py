"""Review 8b (a pharmacist's reading of POST /v1/intake/check): R1 the dose band, R4 the
notice-only interactions, R8 the dose that fits the gap, R9 German grammar, R10 "1 year".

Expectations come from the request, the data files and the list's answer for the same person
(the intake check says what the list says), never from the intake check's code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import CATALOG, RULES, TODAY, memory_app

CHECK = "/v1/intake/check"
WOMAN_72 = {"age": 72, "sex": "female"}


@pytest.fixture(scope="module")
def client():
    return memory_app(TODAY).test_client()


def check(client, body: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    response = client.post(CHECK, json={"locale": locale, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listing(client, profile: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    response = client.post("/v1/recommendations", json={"profile": profile, "locale": locale})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def per_day(sku: str, nutrient: str) -> float:
    products = yaml.safe_load(Path(CATALOG).read_text(encoding="utf-8"))["products"]
    product = next(p for p in products if p["sku"] == sku)
    return float(product["nutrients_per_serving"].get(nutrient, 0)) * product["servings_per_day"]


def changes(suggestion: dict[str, Any] | None) -> list[tuple[str, str]]:
    assert suggestion is not None
    found = suggestion.get("changes") or [suggestion]
    return [(c["code"], c["sku"]) for c in found]


# ------------------------------------------------------------------------- R1 dose band
@pytest.mark.parametrize("locale", ["nl", "de", "en"])
@pytest.mark.parametrize(
    "medications, basket",
    [([], ["XF-D3-75-TAB"]), (["thiazide_diuretic"], ["XF-D3-75-TAB", "BL-CA-500-TAB"])],
)
def test_a_basket_above_the_dose_band_is_warned_as_the_list_warns(
    client, locale, medications, basket
):
    """A woman of 72 (NL advice 20 µg) with a 75 µg vitamin D tablet in the basket hears what
    the list says of it once she takes it: `intake_warning:vitamin_d_ug`, at most 50 µg,
    naming the product; the suggestion swaps it for a product within the band."""
    profile = {**WOMAN_72, "medications": medications}
    answer = check(client, {"profile": profile, "basket": [{"sku": s} for s in basket]}, locale)
    taken = {**profile, "current_supplements": [{"sku": s} for s in basket]}
    expected = {n["code"]: n["text"] for n in listing(client, taken, locale)["notices"]}
    assert "intake_warning:vitamin_d_ug" in expected  # the list's own warning
    warnings = {w["code"]: w for w in answer["warnings"]}
    assert "intake_warning:vitamin_d_ug" in warnings, answer["warnings"]
    warning = warnings["intake_warning:vitamin_d_ug"]
    assert warning["text"] == expected["intake_warning:vitamin_d_ug"]
    assert warning["skus"] == ["XF-D3-75-TAB"]
    band = float(re.findall(r"(\d+) µg", warning["text"])[-1])  # "at most 50 µg a day"
    assert band == 50
    made = changes(answer["suggestion"])
    assert ("remove", "XF-D3-75-TAB") in made, answer["suggestion"]
    added = [sku for code, sku in made if code == "add"]
    assert len(added) == 1, answer["suggestion"]
    others = sum(per_day(s, "vitamin_d_ug") for s in basket if s != "XF-D3-75-TAB")
    total = others + per_day(added[0], "vitamin_d_ug")
    assert 20 <= total <= band, (added, total)


# ------------------------------------------------------------- R4 notice-only interactions
@pytest.mark.parametrize(
    "profile, basket",
    [
        (
            {
                "age": 55,
                "sex": "female",
                "medications": ["anticonvulsant"],
                "conditions": ["liver_disease"],
            },
            ["XF-D3-20-TAB", "BL-CA-500-TAB"],
        ),
        (
            {
                "age": 66,
                "sex": "female",
                "medications": ["corticosteroid", "vitamin_k_antagonist"],
                "conditions": ["malabsorption"],
            },
            ["XF-D3-20-TAB"],
        ),
        ({"age": 50, "sex": "male", "conditions": ["bariatric_surgery"]}, []),
    ],
)
@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_intake_check_carries_the_lists_interaction_notices(client, profile, basket, locale):
    """Every `interaction:<id>` notice the list gives the same profile (interactions.yaml
    `notice: true`: raised vitamin D needs, poor fat-soluble uptake, bariatric surgery) is in
    the intake check's `notices`, with the same text."""
    listed = {
        n["code"]: n["text"]
        for n in listing(client, profile, locale)["notices"]
        if n["code"].startswith("interaction:")
    }
    notice_ids = {
        i["id"]
        for i in yaml.safe_load((RULES / "reference" / "interactions.yaml").read_text())[
            "interactions"
        ]
        if i.get("notice")
    }
    expected = {c: t for c, t in listed.items() if c.split(":", 1)[1] in notice_ids}
    assert expected, listed
    answer = check(client, {"profile": profile, "basket": [{"sku": s} for s in basket]}, locale)
    got = {n["code"]: n["text"] for n in answer["notices"]}
    assert got.items() >= expected.items(), answer


# ------------------------------------------------------------------ R8 the dose that fits
def test_the_basket_suggestion_adds_the_dose_that_fits_the_gap(client):
    """A woman of 72 with a vitamin K antagonist who takes 15 µg vitamin D drops: the D3 + K2
    tablet goes, and what is added is the vitamin D product whose dose is closest to the 5 µg
    left of the 20 µg advice (10 µg: 25 µg in all), as the list puts first; never "35 of the
    advised 20"."""
    profile = {
        **WOMAN_72,
        "medications": ["vitamin_k_antagonist"],
        "current_supplements": [{"label": "D drops", "nutrients": {"vitamin_d_ug": 15}}],
    }
    answer = check(client, {"profile": profile, "basket": [{"sku": "XF-D3K2-TAB"}]})
    made = changes(answer["suggestion"])
    assert ("remove", "XF-D3K2-TAB") in made
    added = [sku for code, sku in made if code == "add"]
    assert added == ["XF-D3-10-TAB"], answer["suggestion"]
    text = answer["suggestion"]["text"]
    assert "35" not in text and "25" in text, text
    assert not re.search(r"reach \d+ of the advised", text), text


# --------------------------------------------------------------------------- R9 grammar
GENDERED_DE = re.compile(
    r"\b(kein|keine|keinen|zusätzliches|zusätzliche|zusätzlichen|der|die|das|den)\s+\{nutrient\}"
)
GENDERED_NL = re.compile(r"\b(de|het)\s+\{nutrient\}", re.IGNORECASE)


def test_no_german_or_dutch_template_puts_a_gendered_word_before_a_nutrient():
    """Folsäure is feminine, Vitamin D neuter, Jod neuter; Dutch has 'het zink', 'de vitamine
    D': no template may put an article or inflected adjective before {nutrient}."""
    bad = []
    for name in ("texts.yaml", "regimen_texts.yaml"):
        texts = yaml.safe_load((RULES / "reference" / name).read_text(encoding="utf-8"))["texts"]
        for key, entry in texts.items():
            if GENDERED_DE.search(entry["de"]) or GENDERED_NL.search(entry["nl"]):
                bad.append((name, key))
    assert not bad


def test_the_cart_notice_for_folic_acid_is_grammatical_german(client):
    response = client.post(
        "/v1/recommendations",
        json={
            "profile": {"age": 30, "sex": "female", "life_stage": "pregnant", "country": "DE"},
            "basket": [{"sku": "XF-FOLIC-D3-TAB"}],
            "placement": "cart",
            "limit": 3,
            "locale": "de",
        },
    )
    texts = " ".join(n["text"] for n in response.get_json()["notices"])
    assert "Folsäure" in texts
    assert "zusätzliches Folsäure" not in texts


# ------------------------------------------------------------------------ R10 one year
@pytest.mark.parametrize(
    "age, locale, words",
    [
        (1, "en", "(1 year)"),
        (1, "de", "(1 Jahr)"),
        (1, "nl", "(1 jaar)"),
        (2, "en", "(2 years)"),
        (2, "de", "(2 Jahre)"),
    ],
)
def test_the_age_warning_says_one_year(client, age, locale, words):
    answer = check(
        client,
        {"profile": {"age": age, "country": "DE"}, "basket": [{"sku": "XF-D3-10-TAB"}]},
        locale,
    )
    texts = [w["text"] for w in answer["warnings"] if w["code"] == "age"]
    assert texts and words in texts[0], answer["warnings"]
