"""Session 13 pharmacist review, findings F13 and F14, on stored customers with purchase
events (the review ran with the clock on 2026-12-01 and 2026-12-02; memory_app(today=...)).

- F13: the refill e-mail proposes two reorders of the same nutrient (a calcium + 10 µg D3 and
  a plain 10 µg D3 that run out the same day); the reason of one counted the other ("with the
  10 µg from your other supplements that is 20 µg"), the reason of the other did not. Both
  reasons are worked out against the same set: every reorder item of the e-mail plus the
  supplies still lasting on the day the item starts.
- F14: /refills carried `intake_warning:<nutrient>` beside `above_upper_limit:<nutrient>` for
  the same nutrient; the list (plain, e-mail, account) carries only the upper limit's notice,
  which replaces the milder dose-band wording (README). /refills takes the list's notices.

Expectations are worked out from the catalog (tests/oracle.py) and from the plain list's own
answer for the same customer, never from the refill code.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import memory_app, store_customer
from .oracle import PRODUCTS

LOCALES = ["nl", "de", "en"]
DAYS = [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]  # the review's clock
WOMAN_72_NL = {"age": 72, "sex": "female", "country": "NL"}  # advised 20 µg vitamin D (NL)
D = "vitamin_d_ug"


def _runs_out(sku: str, bought: str) -> dt.date:
    """One pack bought on `bought`, taken at the label's servings a day."""
    product = PRODUCTS[sku]
    days = int(product["pack_size"] // product["servings_per_day"])
    return dt.date.fromisoformat(bought) + dt.timedelta(days=days)


def _per_day(sku: str, key: str) -> float:
    product = PRODUCTS[sku]
    return float(product["nutrients_per_serving"].get(key, 0)) * product["servings_per_day"]


def _client(today: dt.date, purchases: dict[str, str]):
    client = memory_app(today).test_client()
    store_customer(client, "c1", WOMAN_72_NL, purchases)
    return client


def _get(client, path: str, **query) -> dict:
    response = client.get(f"/v1/customers/c1/{path}", query_string=query)
    assert response.status_code == 200, response.data
    return response.get_json()


# ---------------------------------------------------------------- F13
F13 = {"XF-D3-10-TAB": "2026-06-05", "XF-CAD3-500-10-TAB": "2026-09-03"}


def _gap_reason(item: dict) -> dict:
    found = [r for r in item["reasons"] if r["code"] == f"fills_gap:{D}"]
    assert len(found) == 1, item["reasons"]
    return found[0]


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.parametrize("locale", LOCALES)
def test_f13_two_reorders_of_vitamin_d_in_one_email_count_each_other(today, locale):
    """Both products run out on 2026-12-02 and give the same 10 µg of vitamin D: in one
    e-mail, proposed together, their vitamin D reasons are the same text, and it counts the
    other reorder (the day's total of both)."""
    ends = {sku: _runs_out(sku, day) for sku, day in F13.items()}
    assert set(ends.values()) == {dt.date(2026, 12, 2)}, ends
    assert all(today <= end <= today + dt.timedelta(days=14) for end in ends.values())
    amounts = {_per_day(sku, D) for sku in F13}
    assert len(amounts) == 1, amounts  # the same dose: the same sentence
    total = sum(_per_day(sku, D) for sku in F13)
    body = _get(_client(today, F13), "recommendations", placement="email", locale=locale)
    items = {i["sku"]: i for i in body["items"] if i["strategy"] == "refills"}
    assert set(items) == set(F13), body["items"]
    texts = {sku: _gap_reason(item)["text"] for sku, item in items.items()}
    assert len(set(texts.values())) == 1, texts
    # the same sentence says the total of both (the amount alone is in it too: the total's
    # number stands for "with the other one")
    text = next(iter(texts.values()))
    assert f"{total:g}" in text and f"{amounts.pop():g}" in text, text


@pytest.mark.parametrize("locale", LOCALES)
def test_f13_the_email_says_what_the_account_says_while_both_still_last(locale):
    """On 2026-12-01 both are still taken: the account placement counts each beside the other;
    the e-mail's reorder reasons of vitamin D say the same."""
    client = _client(DAYS[0], F13)
    email = _get(client, "recommendations", placement="email", locale=locale)
    account = _get(client, "recommendations", placement="account", locale=locale)
    shown = {i["sku"]: _gap_reason(i) for i in account["items"] if i["sku"] in F13}
    assert set(shown) == set(F13), account["items"]
    for item in email["items"]:
        if item["sku"] in F13:
            assert _gap_reason(item) == shown[item["sku"]], (item["sku"], item["reasons"])


# ---------------------------------------------------------------- F14
F14 = {"XF-D3-75-TAB": "2026-11-01", "XF-MULTI-50PLUS": "2026-11-01"}
KINDS = ("above_upper_limit:", "intake_warning:")


def _of_kinds(notices: list[dict]) -> list[dict]:
    return [n for n in notices if n["code"].startswith(KINDS)]


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.parametrize("locale", LOCALES)
def test_f14_refills_notices_are_the_lists_after_the_upper_limit_replaces_the_warning(
    today, locale
):
    """75 µg + 20 µg of vitamin D a day, both still lasting: /refills says what the plain
    list says of what is taken now (its upper-limit and intake-warning notices, the same codes
    and texts), so never the dose band's warning beside the upper limit of that nutrient."""
    assert all(_runs_out(sku, day) > today for sku, day in F14.items())
    assert sum(_per_day(sku, D) for sku in F14) == 95
    client = _client(today, F14)
    refills = _of_kinds(_get(client, "refills", locale=locale)["notices"])
    codes = [n["code"] for n in refills]
    assert f"above_upper_limit:{D}" in codes, refills
    above = {c.partition(":")[2] for c in codes if c.startswith("above_upper_limit:")}
    warned = {c.partition(":")[2] for c in codes if c.startswith("intake_warning:")}
    assert not above & warned, codes
    for placement in (None, "email", "account"):
        query = {"locale": locale, **({"placement": placement} if placement else {})}
        listed = _of_kinds(_get(client, "recommendations", **query)["notices"])
        assert refills == listed, (placement, refills, listed)
