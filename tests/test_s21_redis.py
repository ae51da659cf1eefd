"""Session 21, on a real Redis: the hostile tester's findings about stored customers."""

from __future__ import annotations

import pytest

from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk

from .conftest import TODAY, redis_app
from .test_s21_review import _without_product

# a list shorter than its limit: three products for the goal immunity at 16, no notice that
# names items; and the 70+ advice's two vitamin D products, whose `one_of:vitamin_d_ug` names
# both (session 35): cut to one, that list is computed anew
SHORT = {
    "age": 16,
    "sex": "unspecified",
    "country": "NL",
    "diet": "vegetarian",
    "goals": ["immunity"],
}
NAMING = {"age": 75, "sex": "female", "country": "NL"}


@pytest.mark.parametrize("profile", [SHORT, NAMING])
@pytest.mark.parametrize("placement", [None, "home"])
def test_a_cached_list_cut_to_a_smaller_limit_says_what_a_request_with_it_says(
    served, placement, profile
):
    """Review 21 L1: a cached list with fewer items than its limit says `short_list`; a GET
    with a smaller limit got its first items from the cache with "the list is shorter than you
    asked for", which a POST with that limit does not say (the docs' example customer, limit
    3). The contract promises the POST's body. A list whose notice names its items
    (`one_of:`, `not_together:`) is computed anew for fewer items (CI of session 35: the cut
    list kept "choose one of" two products beside one)."""
    app, store = served
    client = app.test_client()
    store.put_profile("s21-short", profile)
    refresh_chunk(app.extensions["dosewise"], store, ["s21-short"], cache_policy(app))
    query = "locale=nl" + (f"&placement={placement}" if placement else "")
    full = client.get(f"/v1/customers/s21-short/recommendations?{query}").get_json()
    assert full["source"] == "cache"
    count = len(full["items"])
    assert count >= 2
    assert "short_list" in {n["code"] for n in full["notices"]}
    cut = client.get(f"/v1/customers/s21-short/recommendations?{query}&limit={count - 1}")
    body = cut.get_json()
    naming = any(n["code"].startswith(("one_of:", "not_together:")) for n in full["notices"])
    assert body["source"] == ("computed" if naming else "cache"), body["source"]
    assert len(body["items"]) == count - 1
    assert naming == (profile is NAMING)
    posted = {"profile": profile, "limit": count - 1, "locale": "nl"}
    if placement:
        posted["placement"] = placement
    answer = client.post("/v1/recommendations", json=posted).get_json()
    assert [n["code"] for n in body["notices"]] == [n["code"] for n in answer["notices"]]
    assert [i["sku"] for i in body["items"]] == [i["sku"] for i in answer["items"]]


def test_a_stored_profile_naming_a_removed_product_is_a_409_and_fails_no_refresh(
    redis_url, data_copy
):
    """Review 21 M1: a stored profile taking XF-D3-20-TAB, the product then removed from the
    catalog and the service restarted: every GET of the customer answered 422 on
    `profile.current_supplements.0.sku` (a field a GET never sent), and a forced refresh
    failed its whole chunk (1,000 customers, 999 of them fine). Such a customer now gets a 409
    `stored_profile_stale` saying what to do, and the refresh leaves it for a PUT as a corrupt
    one while it refreshes the others."""
    first = redis_app(redis_url)
    store = get_store(first)
    store.client.flushdb()
    client = first.test_client()
    stale = {"age": 45, "current_supplements": [{"sku": "XF-D3-20-TAB"}]}
    assert client.put("/v1/customers/s21-stale", json=stale).status_code == 200
    assert client.put("/v1/customers/s21-fine", json={"age": 45}).status_code == 200
    catalog = data_copy.catalog
    catalog.write_text(
        _without_product(catalog.read_text(encoding="utf-8"), "XF-D3-20-TAB"), "utf-8"
    )
    paths = {"CATALOG_PATH": str(catalog), "RULES_DIR": str(data_copy.rules)}
    restarted = redis_app(redis_url, **paths)
    client = restarted.test_client()
    for path in ("recommendations", "recommendations?placement=home", "refills", "buy-again"):
        response = client.get(f"/v1/customers/s21-stale/{path}")
        assert response.status_code == 409, (path, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "stored_profile_stale" and "XF-D3-20-TAB" in error["message"]
    assert client.get("/v1/customers/s21-fine/recommendations").status_code == 200
    core, stored = restarted.extensions["dosewise"], get_store(restarted)
    counts = refresh_chunk(
        core, stored, ["s21-stale", "s21-fine"], cache_policy(restarted), force=True
    )
    assert counts["corrupt"] == 1 and counts["computed"] >= 1, counts
    fine = client.get("/v1/customers/s21-fine/recommendations").get_json()
    assert fine["source"] == "cache"
    # stored again without it, the customer is served
    assert client.put("/v1/customers/s21-stale", json={"age": 45}).status_code == 200
    assert client.get("/v1/customers/s21-stale/recommendations").status_code == 200


def test_the_cli_answers_a_customer_in_the_shop_language_and_refuses_no_customer(served):
    """Review 21 L2 and L3: `dosewise buy-again` and `refills` answered a German customer in
    Dutch (their --locale defaulted to nl; the API answers in the shop language of the
    customer's country), and `dosewise refresh --customer nobody` exited 0 where `refills
    nobody` and `buy-again nobody` exit 1 with "no customer"."""
    import json

    from .test_cli_errors import run

    app, store = served
    client = app.test_client()
    url = app.config["REDIS_URL"]
    assert client.put("/v1/customers/s21-de", json={"age": 40, "country": "DE"}).status_code == 200
    event = {"customer_id": "s21-de", "sku": "XF-D3-20-TAB", "type": "purchase"}
    event["timestamp"] = "2026-11-20T10:00:00+00:00"
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202
    api = client.get("/v1/customers/s21-de/buy-again").get_json()
    result = run(["buy-again", "s21-de"], REDIS_URL=url)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [i["name"] for i in printed["items"]] == [i["name"] for i in api["items"]]
    assert printed["items"] and "Vitamine " not in printed["items"][0]["name"]  # not Dutch
    result = run(["refresh", "--customer", "nobody-here"], REDIS_URL=url)
    assert result.exit_code == 1 and "no customer" in result.stderr, result.output


def test_a_cached_list_cut_shorter_names_only_the_items_it_shows_together(served):
    """The list's `not_together` notice names items; a cached list cut to a smaller limit must
    not name items it no longer shows: it is computed anew, as a POST with that limit."""
    app, store = served
    client = app.test_client()
    vegan = {"age": 25, "sex": "female", "country": "NL", "diet": "vegan"}
    store.put_profile("s21-together", vegan)
    refresh_chunk(app.extensions["dosewise"], store, ["s21-together"], cache_policy(app))
    full = client.get("/v1/customers/s21-together/recommendations?locale=nl").get_json()
    assert full["source"] == "cache"
    assert any(n["code"] == "not_together:calcium_mg" for n in full["notices"])
    for limit in (1, 2, 3):
        cut = client.get(f"/v1/customers/s21-together/recommendations?locale=nl&limit={limit}")
        body = cut.get_json()
        posted = {"profile": vegan, "limit": limit, "locale": "nl"}
        answer = client.post("/v1/recommendations", json=posted).get_json()
        assert body["notices"] == answer["notices"], limit
        assert [i["sku"] for i in body["items"]] == [i["sku"] for i in answer["items"]]


def test_a_purchase_of_a_removed_product_is_a_409_after_a_restart(redis_url, data_copy):
    """Re-review 21 #1: the reload refusal holds only while the service runs; after a restart
    on a catalog without XF-D3-75-TAB, a woman of 72 who bought it 8 days before (a month's
    tablets left, 75 µg a day) was offered 20 µg products: the purchase's supply was dropped
    in silence. A purchase of a product the catalog lacks, within a year, answers 409
    stored_profile_stale on every customer GET, and a refresh leaves the customer for the
    catalog to keep the product (counted `corrupt`)."""
    first = redis_app(redis_url)
    store = get_store(first)
    store.client.flushdb()
    client = first.test_client()
    profile = {"age": 72, "sex": "female", "country": "NL"}
    assert client.put("/v1/customers/s21-bought", json=profile).status_code == 200
    event = {"customer_id": "s21-bought", "sku": "XF-D3-75-TAB", "type": "purchase"}
    event["timestamp"] = "2026-11-20T10:00:00+00:00"
    assert client.post("/v1/events", json={"events": [event]}).status_code == 202
    catalog = data_copy.catalog
    catalog.write_text(
        _without_product(catalog.read_text(encoding="utf-8"), "XF-D3-75-TAB"), "utf-8"
    )
    paths = {"CATALOG_PATH": str(catalog), "RULES_DIR": str(data_copy.rules)}
    restarted = redis_app(redis_url, **paths)
    restarted.extensions["dosewise"].clock = lambda: TODAY
    client = restarted.test_client()
    for path in ("recommendations", "recommendations?placement=account", "refills", "buy-again"):
        response = client.get(f"/v1/customers/s21-bought/{path}")
        assert response.status_code == 409, (path, response.get_json())
        assert "XF-D3-75-TAB" in response.get_json()["error"]["message"]
    counts = refresh_chunk(
        restarted.extensions["dosewise"],
        get_store(restarted),
        ["s21-bought"],
        cache_policy(restarted),
        force=True,
        today=TODAY,
    )
    assert counts["corrupt"] == 1 and counts["computed"] == 0, counts
