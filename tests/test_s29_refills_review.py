"""Review s29a F1, F2, F3 (/work/notes/review_s29a.md; a pharmacist's eye, clock 5 Dec 2026):
three misleading texts of the refill plan (`GET /v1/customers/{id}/refills`, the `email`
placement), reproduced through the API on a real Redis as the reviewer did.

F1: a product left out said "what you take besides it already gives you enough" or "for a
child, one product of it" while its why named a vitamin K antagonist or an upper limit.
F2: a reorder proposed a 20 µg vitamin D beside "We suggest nothing that adds vitamin D until
that is adjusted" (above the limit only with what food gives): docs/api.md says the reorder
waits; now it does, for the products that give that nutrient.
F3: a pregnant woman's intake warning kept "we suggest no more vitamin D" beside the lower
vitamin D dose her refill entry names `instead`; the plain list already says it names one.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from service.customers.redis_client import get_store

from .conftest import RULES, redis_app, store_customer

LOCALES = ["nl", "de", "en"]
REVIEW_DAY = dt.date(2026, 12, 5)  # the review's service clock (winter campaign live)

VKA = {"age": 70, "sex": "male", "medications": ["vitamin_k_antagonist"], "country": "NL"}
VKA_BOUGHT = [
    ("XF-D3K2-TAB", "2026-08-10"),  # 75 µg D + 200 µg K2, runs out 8 Dec
    ("XF-MULTI-50PLUS", "2026-09-10"),  # 20 µg D, 5 mg zinc, K1; runs out 9 Dec
    ("XF-OMEGA3-FORTE-SG", "2026-10-20"),
]
CHILD = {"age": 4, "country": "NL"}
CHILD_BOUGHT = [("XF-D3-KIDS-DROPS", "2026-09-10"), ("KV-MULTI-KIDS-CHEW", "2026-10-01")]
PREGNANT = {"age": 31, "sex": "female", "life_stage": "pregnant", "country": "NL"}
PREGNANT_BOUGHT = [
    ("XF-D3-50-CAP", "2026-09-01"),
    ("VL-VITA-800-CAP", "2026-09-01"),
    ("XF-MULTI-WOMEN", "2026-10-20"),
    ("XF-OMEGA3-1000-SG", "2026-10-20"),
]


def _app(redis_url: str, today: dt.date):
    app = redis_app(redis_url)
    get_store(app).client.flushdb()
    app.extensions["dosewise"].clock = lambda: today
    return app


@pytest.fixture()
def client(redis_url):
    return _app(redis_url, REVIEW_DAY).test_client()


def _refill_texts() -> dict:
    return yaml.safe_load((RULES / "refills.yaml").read_text(encoding="utf-8"))["texts"]


def _nutrient(key: str, locale: str) -> str:
    data = yaml.safe_load((RULES / "reference" / "nutrients.yaml").read_text(encoding="utf-8"))
    return data["nutrients"][key]["name"][locale]


def _get(client, path: str, locale: str, **query: str) -> dict:
    response = client.get(path, query_string={"locale": locale, **query})
    assert response.status_code == 200, response.data
    return response.get_json()


def _left_out(body: dict, sku: str) -> dict:
    (entry,) = [e for e in body["reorder"]["left_out"] if e["sku"] == sku]
    return entry


# ---------------------------------------------------------------- F1
@pytest.mark.parametrize("locale", LOCALES)
def test_f1_a_product_left_out_for_an_anticoagulant_says_so_not_enough(client, locale):
    store_customer(client, "s29-v1", VKA, VKA_BOUGHT)
    body = _get(client, "/v1/customers/s29-v1/refills", locale)
    _says_the_anticoagulant(body, "XF-D3K2-TAB", "vitamin_k2_ug", locale)


def _says_the_anticoagulant(body: dict, sku: str, nutrient: str, locale: str) -> None:
    texts = _refill_texts()
    left = _left_out(body, sku)
    assert "interaction" in [w["code"] for w in left["why"]], left
    name = left["name"]
    assert left["advice"] != texts["notice_not_needed"][locale].format(name=name)
    expected = texts["notice_not_reordered_interaction.vitamin-k-antagonist"][locale]
    assert left["advice"] == expected.format(name=name, nutrients=_nutrient(nutrient, locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_f1_a_childs_product_above_an_upper_limit_says_so_not_one_product(client, locale):
    """The 4-year-old's multivitamin chew: 5 mg zinc + 8 mg from food is above the 10 mg of
    4-6 years; its iron and calcium are not indicated; it also duplicates the drops. The
    advice gives the upper limit, not only "for a child, one product of it"."""
    store_customer(client, "s29-k1", CHILD, CHILD_BOUGHT)
    body = _get(client, "/v1/customers/s29-k1/refills", locale)
    left = _left_out(body, "KV-MULTI-KIDS-CHEW")
    codes = [w["code"] for w in left["why"]]
    assert {"upper_limit_food", "not_indicated", "one_source"} <= set(codes), codes
    texts = _refill_texts()
    name = left["name"]
    assert left["advice"] != texts["notice_not_reordered_one_source"][locale].format(name=name)
    expected = texts["notice_not_reordered_upper_limit"][locale]
    assert left["advice"] == expected.format(name=name, nutrients=_nutrient("zinc_mg", locale))


# ---------------------------------------------------------------- F2
def _above_food(body: dict) -> list[str]:
    """The nutrients an `above_upper_limit:<nutrient>` notice says nothing that adds them is
    suggested for (above the limit only with what food gives)."""
    return [
        n["code"].removeprefix("above_upper_limit:")
        for n in body["notices"]
        if n["code"].startswith("above_upper_limit:")
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_f2_no_reorder_adds_a_nutrient_the_answer_says_we_suggest_nothing_more_of(client, locale):
    store_customer(client, "s29-v2", VKA, VKA_BOUGHT)
    body = _get(client, "/v1/customers/s29-v2/refills", locale)
    crossed = _above_food(body)
    assert {"vitamin_d_ug", "zinc_mg"} <= set(crossed), body["notices"]
    items = body["reorder"]["items"]
    for item in items:
        assert not set(item["nutrients_per_day"]) & set(crossed), item
    # the omega-3 gives none of them: it is reordered as before
    assert [i["sku"] for i in items] == ["XF-OMEGA3-FORTE-SG"]
    for sku in ("XF-D3K2-TAB", "XF-MULTI-50PLUS"):
        left = _left_out(body, sku)
        assert left["why"][0]["code"] == "above_upper_limit_now_food", left
        held = _refill_texts()["why_above_upper_limit_now_food"][locale]
        before, after = held.split("{nutrients}")
        text = left["why"][0]["text"]
        assert text.startswith(before) and text.endswith(after), text
        assert _nutrient("vitamin_d_ug", locale) in text
    # held, the interaction is still its advice (F1): the multivitamin's vitamin K1
    _says_the_anticoagulant(body, "XF-MULTI-50PLUS", "vitamin_k1_ug", locale)
    # the refill e-mail proposes the same reorder beside the same notices
    email = _get(client, "/v1/customers/s29-v2/recommendations", locale, placement="email")
    assert set(crossed) <= set(_above_food(email)), email["notices"]
    for item in email["items"]:
        assert not set(item["nutrients_per_day"]) & set(crossed), item


def test_f2_once_those_products_have_run_out_the_vitamin_d_is_reordered(redis_url):
    """The reorder waits, no more: on 10 Dec the D3 + K2 and the 50+ multivitamin have run
    out, nothing taken is above a limit, and the 20 µg D3 of his advice replaces the
    multivitamin (README: the 72-year-old on a vitamin K antagonist gets the 20 µg D3)."""
    client = _app(redis_url, dt.date(2026, 12, 10)).test_client()
    store_customer(client, "s29-v3", VKA, VKA_BOUGHT)
    body = _get(client, "/v1/customers/s29-v3/refills", "en")
    assert not _above_food(body), body["notices"]
    replaced = {i["for_sku"]: i for i in body["reorder"]["items"] if i["action"] == "replace"}
    assert replaced["XF-MULTI-50PLUS"]["nutrients_per_day"] == {"vitamin_d_ug": 20}
    left = _left_out(body, "XF-D3K2-TAB")
    assert left["why"][0]["code"] == "covered"
    assert "interaction" in left["advice"] or "anticoagulant" in left["advice"], left


# ---------------------------------------------------------------- F3
@pytest.mark.parametrize("locale", LOCALES)
def test_f3_the_intake_warning_says_a_lower_dose_is_named_as_the_list_does(client, locale):
    store_customer(client, "s29-p1", PREGNANT, PREGNANT_BOUGHT)
    body = _get(client, "/v1/customers/s29-p1/refills", locale)
    (entry,) = [r for r in body["refills"] if r["sku"] == "XF-D3-50-CAP"]
    assert entry["instead"]["nutrients_per_day"].get("vitamin_d_ug"), entry
    listed = _get(client, "/v1/customers/s29-p1/recommendations", locale)
    warned = {n["code"]: n["text"] for n in listed["notices"]}
    refills = {n["code"]: n["text"] for n in body["notices"]}
    code = "intake_warning:vitamin_d_ug"
    assert refills[code] == warned[code]
    texts = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))
    lower = texts["texts"]["notice_intake_life_stage_maximum_instead"][locale]
    assert refills[code].endswith(lower.rsplit("}", 1)[1]), refills[code]
    assert entry["name"] in refills[code].split(";")[-1]  # "in place of <that product>"


@pytest.mark.parametrize("locale", LOCALES)
def test_f3_no_adapted_warning_where_no_entry_names_a_lower_dose(client, locale):
    """Without an entry that names a vitamin D product `instead`, "we suggest no more vitamin
    D" stands (a 75 µg D3 at 72, bought on 5 Nov: more than the 50 µg we would suggest, it
    lasts, nothing is reordered and no entry names anything in its place; in pregnancy every
    such product gets a lower dose named, and where the reorder replaces a product with a
    lower dose the warning says so: test_s30_refills_reorder)."""
    profile = {"age": 72, "sex": "female", "country": "DE"}
    store_customer(client, "s29-p2", profile, {"GR-D3-75-VCAP": "2026-11-05"})
    body = _get(client, "/v1/customers/s29-p2/refills", locale)
    assert not [r for r in body["refills"] if "instead" in r], body["refills"]
    texts = yaml.safe_load((RULES / "reference" / "texts.yaml").read_text(encoding="utf-8"))
    plain = texts["texts"]["notice_intake_dose_band"][locale]
    warning = {n["code"]: n["text"] for n in body["notices"]}["intake_warning:vitamin_d_ug"]
    assert warning.endswith(plain.rsplit("}", 1)[1]), warning
    lower = texts["texts"]["notice_intake_dose_band_instead"][locale]
    assert lower.split("}")[-2].split("{")[0] not in warning, warning  # "in place of"
