"""Refills and buy again (issue 11 points 4 and 5): run-out dates worked by hand, reorders that
are checked again against the profile as it is now, the endpoints and their errors, purchases
in Redis and their erasure."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.api.app import create_app
from service.core.errors import DataFileError
from service.core.profile import Line, Profile
from service.core.refills import (
    Purchase,
    buy_again,
    load_refill_config,
    plan_refills,
    refill_config,
    render_plan,
    run_out_date,
)

from .conftest import RULES, TODAY

D = dt.date


@pytest.fixture(scope="module")
def snapshot(recommender):
    return recommender.snapshot


@pytest.fixture(scope="module")
def config(snapshot):
    return refill_config(RULES, snapshot.reference)


def bought(sku: str, day: dt.date, quantity: int = 1) -> Purchase:
    return Purchase(day, sku, quantity)


# ---------------------------------------------------------------- run-out dates by hand
def test_a_pack_of_120_one_a_day_bought_on_1_march_runs_out_on_29_june():
    assert run_out_date([bought("X", D(2026, 3, 1))], 120, 1) == D(2026, 6, 29)


def test_two_a_day_halves_the_days_and_two_packs_double_them():
    assert run_out_date([bought("X", D(2026, 3, 1))], 120, 2) == D(2026, 4, 30)  # 60 days
    assert run_out_date([bought("X", D(2026, 3, 1), 2)], 120, 1) == D(2026, 10, 27)  # 240


def test_a_purchase_while_the_supply_lasts_extends_it():
    # 120 days from 1 March end on 29 June; a pack bought on 1 June starts then: +120 days
    purchases = [bought("X", D(2026, 3, 1)), bought("X", D(2026, 6, 1))]
    assert run_out_date(purchases, 120, 1) == D(2026, 10, 27)


def test_a_purchase_after_the_supply_ran_out_starts_on_its_own_day():
    purchases = [bought("X", D(2026, 1, 1)), bought("X", D(2026, 8, 1))]
    assert run_out_date(purchases, 90, 1) == D(2026, 10, 30)  # 1 Aug + 90 days


def test_a_partial_serving_left_is_not_a_day_of_supply():
    assert run_out_date([bought("X", D(2026, 3, 1))], 100, 3) == D(2026, 4, 3)  # 33 days


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 700), st.integers(1, 5)), min_size=1, max_size=8),
    st.integers(1, 400),
    st.integers(1, 4),
)
def test_more_purchases_never_end_a_supply_sooner(days_and_packs, pack_size, per_day):
    start = D(2025, 1, 1)
    purchases = [bought("X", start + dt.timedelta(days=d), q) for d, q in days_and_packs]
    end = run_out_date(purchases, pack_size, per_day)
    assert end >= run_out_date(purchases[:-1] or purchases, pack_size, per_day)
    latest = max(purchases)
    assert end >= latest.day + dt.timedelta(days=latest.quantity * pack_size // per_day)
    total_days = sum(q * pack_size // per_day for _, q in days_and_packs)
    assert end <= min(p.day for p in purchases) + dt.timedelta(days=total_days + 700)


def test_the_servings_a_day_the_customer_gave_count(snapshot, config):
    # XF-D3-20-TAB: 120 servings; the customer takes one every other day
    profile = Profile.from_dict(
        {"age": 40, "current_supplements": [{"sku": "XF-D3-20-TAB", "servings_per_day": 0.5}]}
    )
    plan = plan_refills(
        snapshot, config, profile, [bought("XF-D3-20-TAB", D(2026, 3, 1))], D(2026, 10, 20)
    )
    assert [(s.sku, s.runs_out_on) for s in plan.listed] == [("XF-D3-20-TAB", D(2026, 10, 27))]


def test_the_same_purchase_sent_twice_counts_once(snapshot, config):
    twice = [bought("XF-D3-20-TAB", D(2026, 3, 1))] * 2
    plan = plan_refills(snapshot, config, Profile(age=40), twice, D(2026, 6, 20))
    assert plan.listed[0].runs_out_on == D(2026, 6, 29)


# ---------------------------------------------------------------- the reorder
def test_products_running_out_within_the_window_make_one_reorder(snapshot, config):
    purchases = [
        bought("XF-D3-20-TAB", D(2026, 3, 1)),  # 29 June
        bought("XF-K2-MK7-100-CAP", D(2026, 3, 5)),  # within 10 days of it
        bought("XF-D3-10-TAB", D(2026, 5, 1)),  # 180 servings: 28 October
    ]
    plan = plan_refills(snapshot, config, Profile(age=45), purchases, D(2026, 6, 20))
    body = render_plan(snapshot, config, plan, "en")
    assert [s["sku"] for s in body["refills"]] == [
        "XF-D3-20-TAB",
        "XF-K2-MK7-100-CAP",
        "XF-D3-10-TAB",
    ]
    assert [s["in_reorder"] for s in body["refills"]] == [True, True, False]
    assert body["reorder"]["order_by"] == "2026-06-29"
    skus = {i["for_sku"] for i in body["reorder"]["items"]} | {
        i["sku"] for i in body["reorder"]["left_out"]
    }
    assert skus == {"XF-D3-20-TAB", "XF-K2-MK7-100-CAP"}


def test_nothing_due_means_no_reorder(snapshot, config):
    plan = plan_refills(
        snapshot, config, Profile(age=45), [bought("XF-D3-10-TAB", D(2026, 10, 1))], TODAY
    )
    body = render_plan(snapshot, config, plan, "nl")
    assert body["reorder"] is None and body["refills"][0]["due"] is False


def test_a_supply_that_ran_out_long_ago_is_forgotten(snapshot, config):
    old = [bought("XF-D3-10-TAB", D(2025, 1, 1))]
    plan = plan_refills(snapshot, config, Profile(age=45), old, TODAY)
    assert plan.listed == [] and plan.decisions == []


JUNE_20 = D(2026, 6, 20)


def _reorder(snapshot, config, profile: dict, purchases, today=JUNE_20, basket=()):
    plan = plan_refills(
        snapshot,
        config,
        Profile.from_dict(profile),
        purchases,
        today,
        [Line(sku=s) for s in basket],
        check_lasting=True,
    )
    return render_plan(snapshot, config, plan, "en")


def test_a_reorder_that_would_now_break_a_limit_is_never_proposed(snapshot, config):
    # a 75 µg vitamin D bought in March; meanwhile the customer takes 50 µg more
    profile = {"age": 45, "current_supplements": [{"sku": "XF-D3-50-CAP"}]}
    body = _reorder(snapshot, config, profile, [bought("XF-D3-75-TAB", D(2026, 3, 1))])
    proposed = [i["sku"] for i in body["reorder"]["items"]]
    assert "XF-D3-75-TAB" not in proposed
    total = 50 + sum(
        i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in body["reorder"]["items"]
    )
    assert total <= 100
    left_or_replaced = {i["sku"] for i in body["reorder"]["left_out"]} | {
        i.get("replaces") for i in body["reorder"]["items"]
    }
    assert "XF-D3-75-TAB" in left_or_replaced


def test_a_product_with_vitamin_k_is_replaced_after_a_vitamin_k_antagonist(snapshot, config):
    # 72: vitamin D is advised (20 µg from 70), so the replacement has a reason of its own
    profile = {"age": 72, "medications": ["vitamin_k_antagonist"]}
    body = _reorder(snapshot, config, profile, [bought("XF-D3K2-VEGAN-CAP", D(2026, 3, 1))])
    items = body["reorder"]["items"]
    assert len(items) == 1
    item = items[0]
    assert item["action"] == "replace" and item["replaces"] == "XF-D3K2-VEGAN-CAP"
    assert "vitamin_k2_ug" not in item["nutrients_per_day"]
    assert "vitamin_k1_ug" not in item["nutrients_per_day"]
    assert item["nutrients_per_day"].get("vitamin_d_ug")  # the same need: vitamin D
    assert [w["code"] for w in item["why"]] == ["interaction"]
    assert "vitamin K2" in item["why"][0]["text"]
    codes = [r["code"] for r in item["reasons"]]
    assert codes[:2] == ["runs_out", "replaces"] and len(codes) > 2  # and one about itself
    assert body["refills"][0]["fits"] is False


def test_without_a_reason_of_its_own_nothing_replaces_it(snapshot, config):
    """F13: at 60 (a man) no vitamin D is advised: a plain D3 has no reason of its own, so the
    D3 + K2 he may no longer take is left out with the advice to ask, not swapped for it."""
    profile = {"age": 60, "sex": "male", "medications": ["vitamin_k_antagonist"]}
    body = _reorder(snapshot, config, profile, [bought("XF-D3K2-VEGAN-CAP", D(2026, 3, 1))])
    assert body["reorder"]["items"] == []
    (left,) = body["reorder"]["left_out"]
    assert left["sku"] == "XF-D3K2-VEGAN-CAP" and left["advice"]
    assert [w["code"] for w in left["why"]] == ["interaction"]


def test_in_pregnancy_a_high_dose_is_replaced_by_one_that_fits(snapshot, config):
    profile = {"age": 30, "sex": "female", "life_stage": "pregnant"}
    body = _reorder(snapshot, config, profile, [bought("XF-D3-75-TAB", D(2026, 3, 1))])
    (item,) = body["reorder"]["items"]
    assert item["replaces"] == "XF-D3-75-TAB"
    assert 0 < item["nutrients_per_day"]["vitamin_d_ug"] <= 25
    codes = {w["code"] for w in item["why"]}
    assert "life_stage_maximum" in codes


def test_a_vegan_gets_a_vegan_replacement_and_an_allergy_is_kept(snapshot, config):
    catalog = snapshot.catalog
    body = _reorder(
        snapshot,
        config,
        {"age": 50, "diet": "vegan", "allergies": ["soy"]},
        [bought("NV-D3-25-FISH-SG", D(2026, 3, 1))],
    )
    for item in body["reorder"]["items"]:
        product = catalog.products[catalog.index[item["sku"]]]
        assert product.vegan and "soy" not in product.allergens


def test_the_basket_counts_in_the_check(snapshot, config):
    purchases = [bought("XF-D3-20-TAB", D(2026, 3, 1))]
    alone = _reorder(snapshot, config, {"age": 45}, purchases)
    assert [i["sku"] for i in alone["reorder"]["items"]] == ["XF-D3-20-TAB"]
    with_basket = _reorder(snapshot, config, {"age": 45}, purchases, basket=["XF-D3-75-TAB"])
    assert "XF-D3-20-TAB" not in [i["sku"] for i in with_basket["reorder"]["items"]]
    assert with_basket["refills"][0]["fits"] is False


def test_combined_reorder_keeps_the_upper_limit_across_its_products(snapshot, config):
    # two vitamin D products running out together: 75 + 50 µg would cross 100 µg
    purchases = [bought("XF-D3-75-TAB", D(2026, 3, 1)), bought("XF-D3-50-CAP", D(2026, 3, 2))]
    body = _reorder(snapshot, config, {"age": 45}, purchases)
    total = sum(i["nutrients_per_day"].get("vitamin_d_ug", 0) for i in body["reorder"]["items"])
    assert total <= 100


def test_every_text_is_in_the_locale_and_makes_no_disease_claim(snapshot, config):
    purchases = [bought("XF-D3K2-TAB", D(2026, 3, 1)), bought("XF-K2-MK7-100-CAP", D(2026, 3, 3))]
    for locale in ("nl", "de", "en"):
        plan = plan_refills(
            snapshot,
            config,
            Profile.from_dict({"age": 72, "medications": ["vitamin_k_antagonist"]}),
            purchases,
            D(2026, 6, 20),
        )
        body = render_plan(snapshot, config, plan, locale)
        texts = [r["text"] for i in body["reorder"]["items"] for r in i["reasons"] + i["why"]]
        texts += [w["text"] for i in body["reorder"]["left_out"] for w in i["why"]]
        texts += [i["advice"] for i in body["reorder"]["left_out"]]
        assert texts
        for text in texts:
            assert snapshot.reference.forbidden_match(text) is None
        assert body["reorder"]["items"][0]["reasons"][0]["text"].count("2026") == 1


def test_a_refill_text_with_a_disease_claim_refuses_the_file(tmp_path, snapshot):
    text = (RULES / "refills.yaml").read_text()
    text = text.replace(
        'en: "Your supply of {name} is expected to run out on {date}."',
        'en: "Your {name} runs out on {date}; it prevents osteoporosis."',
    )
    (tmp_path / "refills.yaml").write_text(text)
    with pytest.raises(DataFileError) as caught:
        load_refill_config(tmp_path / "refills.yaml", snapshot.reference)
    assert "reason_runs_out.en: makes a disease claim" in str(caught.value)


def test_a_refill_text_with_an_unknown_placeholder_refuses_the_file(tmp_path, snapshot):
    text = (RULES / "refills.yaml").read_text().replace("{name} is", "{product} is", 1)
    (tmp_path / "refills.yaml").write_text(text)
    with pytest.raises(DataFileError) as caught:
        load_refill_config(tmp_path / "refills.yaml", snapshot.reference)
    assert "placeholder" in str(caught.value)


# ---------------------------------------------------------------- buy again
def test_buy_again_ranks_what_still_fits_with_its_run_out_date(snapshot, config):
    purchases = [
        bought("XF-D3-20-TAB", D(2026, 3, 1)),
        bought("XF-D3-20-TAB", D(2026, 6, 1)),
        bought("XF-K2-MK7-100-CAP", D(2026, 5, 1)),
    ]
    items = buy_again(snapshot, config, Profile(age=45), purchases, D(2026, 6, 20), locale="en")
    assert [i["sku"] for i in items] == ["XF-D3-20-TAB", "XF-K2-MK7-100-CAP"]
    assert items[0]["runs_out_on"] == "2026-10-27" and items[0]["packs_bought"] == 2
    assert all(i["reasons"] for i in items)


def test_buy_again_leaves_out_what_no_longer_fits(snapshot, config):
    purchases = [bought("XF-D3K2-TAB", D(2025, 9, 1)), bought("XF-D3-10-TAB", D(2026, 3, 1))]
    profile = Profile.from_dict({"age": 60, "medications": ["vitamin_k_antagonist"]})
    items = buy_again(snapshot, config, profile, purchases, D(2026, 6, 20))
    assert [i["sku"] for i in items] == ["XF-D3-10-TAB"]


# ---------------------------------------------------------------- HTTP
def _post_purchase(client, customer_id, sku, day, **extra):
    event = {
        "customer_id": customer_id,
        "sku": sku,
        "type": "purchase",
        "timestamp": f"{day}T10:00:00+00:00",
        **extra,
    }
    return client.post("/v1/events", json={"events": [event]})


@pytest.fixture()
def mem_client():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: D(2026, 6, 20)
    return app.test_client()


def test_http_refills_from_purchase_events(mem_client):
    assert mem_client.put("/v1/customers/r-1", json={"age": 45}).status_code == 200
    assert _post_purchase(mem_client, "r-1", "XF-D3-20-TAB", "2026-03-01").status_code == 202
    assert (
        _post_purchase(mem_client, "r-1", "XF-D3-10-TAB", "2026-06-01", quantity=2).status_code
        == 202
    )
    response = mem_client.get("/v1/customers/r-1/refills?locale=de")
    assert response.status_code == 200
    body = response.get_json()
    by_sku = {r["sku"]: r for r in body["refills"]}
    assert by_sku["XF-D3-20-TAB"]["runs_out_on"] == "2026-06-29"
    assert by_sku["XF-D3-10-TAB"]["runs_out_on"] == "2027-05-27"  # 2 x 180 = 360 days
    assert "aufgebraucht" in body["reorder"]["items"][0]["reasons"][0]["text"]


def test_http_refills_and_buy_again_errors_are_contract_json(mem_client):
    assert mem_client.get("/v1/customers/nobody/refills").status_code == 404
    assert mem_client.get("/v1/customers/nobody/buy-again").status_code == 404
    mem_client.put("/v1/customers/r-2", json={"age": 45})
    for query in ("locale=fr", "basket=NOPE", "basket=" + ",".join(["XF-D3-10-TAB"] * 51)):
        response = mem_client.get(f"/v1/customers/r-2/refills?{query}")
        assert response.status_code == 422, query
        assert "error" in response.get_json()
    assert mem_client.get("/v1/customers/r-2/buy-again?limit=0").status_code == 422
    assert mem_client.get("/v1/customers/r-2/buy-again?limit=x").status_code == 422
    too_long = "x" * 129
    assert mem_client.get(f"/v1/customers/{too_long}/refills").status_code == 422
    empty = mem_client.get("/v1/customers/r-2/refills").get_json()
    assert empty["refills"] == [] and empty["reorder"] is None


@pytest.mark.parametrize("quantity", [0, -1, 1001, 1.5, "2", True, None])
def test_event_quantity_must_be_a_whole_number_of_packs(mem_client, quantity):
    response = _post_purchase(mem_client, "r-3", "XF-D3-10-TAB", "2026-03-01", quantity=quantity)
    assert response.status_code == 422
    assert "quantity" in json.dumps(response.get_json()["error"]["fields"])


def test_events_without_quantity_are_still_accepted(mem_client):
    assert _post_purchase(mem_client, "r-4", "XF-D3-10-TAB", "2026-03-01").status_code == 202


def test_purchases_live_in_redis_and_delete_erases_them(redis_url):
    import redis as redis_lib

    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url})
    app.extensions["dosewise"].clock = lambda: D(2026, 6, 20)
    client = app.test_client()
    r = redis_lib.Redis.from_url(redis_url)
    client.put("/v1/customers/r-5", json={"age": 45})
    _post_purchase(client, "r-5", "XF-D3-20-TAB", "2026-03-01", quantity=3)
    _post_purchase(client, "r-5", "XF-D3-10-TAB", "2026-03-02")
    assert r.lrange("dw:purchases:r-5", 0, -1) == [
        b"XF-D3-20-TAB|2026-03-01T10:00:00+00:00|3",
        b"XF-D3-10-TAB|2026-03-02T10:00:00+00:00|1",
    ]
    body = client.get("/v1/customers/r-5/refills?locale=en").get_json()
    assert {x["sku"]: x["packs"] for x in body["refills"]} == {
        "XF-D3-20-TAB": 3,
        "XF-D3-10-TAB": 1,
    }
    r.set("dw:refills:r-5", b"{}")
    assert client.delete("/v1/customers/r-5").status_code == 200
    assert not r.exists("dw:purchases:r-5") and not r.exists("dw:refills:r-5")
    assert client.get("/v1/customers/r-5/refills").status_code == 404


def test_purchase_history_keeps_the_newest(redis_url, snapshot):
    import redis as redis_lib

    from service.customers.store import RedisStore

    store = RedisStore(redis_lib.Redis.from_url(redis_url))
    store.add_purchases([("c", f"X|2026-01-{d:02d}|1") for d in range(1, 11)], keep=3)
    assert store.read_purchases("c") == [b"X|2026-01-08|1", b"X|2026-01-09|1", b"X|2026-01-10|1"]


def test_a_broken_stored_purchase_is_skipped(redis_url):
    import redis as redis_lib

    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url})
    app.extensions["dosewise"].clock = lambda: JUNE_20
    client = app.test_client()
    r = redis_lib.Redis.from_url(redis_url)
    client.put("/v1/customers/r-6", json={"age": 45})
    r.rpush("dw:purchases:r-6", b"garbage", b"XF-D3-10-TAB|not-a-day|1", b"\xff\xfe")
    _post_purchase(client, "r-6", "XF-D3-10-TAB", "2026-03-02")
    response = client.get("/v1/customers/r-6/refills")
    assert response.status_code == 200
    assert [x["sku"] for x in response.get_json()["refills"]] == ["XF-D3-10-TAB"]


def test_huge_quantities_and_far_dates_do_not_break_the_answer(mem_client):
    mem_client.put("/v1/customers/r-7", json={"age": 45})
    events = [
        {
            "customer_id": "r-7",
            "sku": "XF-D3-20-TAB",
            "type": "purchase",
            "timestamp": day,
            "quantity": 1000,
        }
        for day in ("9999-12-30T23:00:00+00:00", "2026-06-01T00:00:00", "0001-01-02T00:00:00Z")
    ]
    # review s4 R15a: a purchase in the future is refused (422); s5 S13: so is one older than
    # DOSEWISE_EVENT_MAX_AGE_DAYS (year 1); the one between is kept
    refused = mem_client.post("/v1/events", json={"events": events})
    assert list(refused.get_json()["error"]["fields"]) == [
        "events.0.timestamp",
        "events.2.timestamp",
    ]
    assert mem_client.post("/v1/events", json={"events": events[1:2]}).status_code == 202
    response = mem_client.get("/v1/customers/r-7/refills")
    assert response.status_code == 200
    (entry,) = response.get_json()["refills"]
    assert entry["runs_out_on"] > "2300-01-01"  # 1000 packs of 120 days
    assert mem_client.get("/v1/customers/r-7/buy-again").status_code == 200


def test_the_job_runs_in_process_without_a_broker(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "REFILL_EXPORT_DIR": str(tmp_path),
        }
    )
    app.extensions["dosewise"].clock = lambda: JUNE_20
    client = app.test_client()
    assert client.get("/v1/admin/refills").status_code == 404
    client.put("/v1/customers/j-1", json={"age": 45})
    client.put("/v1/customers/j-2", json={"age": 45})
    _post_purchase(client, "j-1", "XF-D3-20-TAB", "2026-03-01")
    _post_purchase(client, "j-2", "XF-D3-20-TAB", "2026-06-01")
    answer = client.post("/v1/admin/refills")
    assert answer.status_code == 202 and answer.get_json()["started"]
    state = client.get("/v1/admin/refills").get_json()
    assert state["status"] == "finished" and state["done"] == 2 and state["due"] == 1
    lines = (tmp_path / "refills-2026-06-20.jsonl").read_text().splitlines()
    assert [json.loads(line)["customer_id"] for line in lines] == ["j-1"]
    assert not list(tmp_path.glob(".parts-*"))


def test_a_product_whose_need_the_reorder_already_meets_says_so(snapshot, config):
    # fish-oil D3 and lanolin D3 for a vegan woman of 60 (NL advice: 10 µg vitamin D; a vegan
    # diet alone is no vitamin D need since review s8 Q6): one vegan D3 replaces them, the
    # other is left out because vitamin D is served already. Review 9b finding 1: the fish oil
    # runs out on 06-29, while the lanolin D3 is still taken until 07-03 (a vegan D3 20 µg from
    # 06-29 would be 40 µg, above the 25 µg the advice allows): the replacement is for the
    # lanolin D3, which the fish oil's why says serves its need
    purchases = [
        bought("NV-D3-25-FISH-SG", D(2026, 3, 1)),
        bought("XF-D3-20-TAB", D(2026, 3, 5)),
    ]
    body = _reorder(snapshot, config, {"age": 60, "sex": "female", "diet": "vegan"}, purchases)
    assert [(i["action"], i["for_sku"]) for i in body["reorder"]["items"]] == [
        ("replace", "XF-D3-20-TAB")
    ]
    (left,) = body["reorder"]["left_out"]
    assert left["sku"] == "NV-D3-25-FISH-SG"
    assert [w["code"] for w in left["why"]][0] == "covered"


def test_a_run_that_finished_without_its_export_is_joined_by_the_next_check(tmp_path):
    """The worker that counted the last chunk died while joining the parts: beat's check
    joins them instead of leaving the day without an export."""
    from service.customers.redis_client import get_store
    from service.customers.refills import JOB, _write_part, begin_refill_run

    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "REFILL_EXPORT_DIR": str(tmp_path),
        }
    )
    recommender = app.extensions["dosewise"]
    recommender.clock = lambda: JUNE_20
    store = get_store(app)
    run_id, started = begin_refill_run(store, recommender, "test", 60, JUNE_20)
    assert started
    _write_part(tmp_path, run_id, 0, ['{"customer_id": "x-1"}'])
    store.for_job(JOB).update_run(run_id, {}, {"status": "finished"})
    store.for_job(JOB).release_lock(run_id)
    check = app.extensions["celery"].tasks["workers.refill_tasks.refill_if_due"]
    with app.app_context():
        assert check.apply().get() == {"started": False, "exported": run_id}
    assert (tmp_path / "refills-2026-06-20.jsonl").read_text() == '{"customer_id": "x-1"}\n'
    with app.app_context():
        assert check.apply().get() == {"started": False}


def test_a_refused_refill_file_keeps_the_last_good_one_and_events_still_count(data_copy):
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
        }
    )
    app.extensions["dosewise"].clock = lambda: JUNE_20
    client = app.test_client()
    client.put("/v1/customers/f-1", json={"age": 45})
    assert _post_purchase(client, "f-1", "XF-D3-20-TAB", "2026-03-01").status_code == 202
    good = client.get("/v1/customers/f-1/refills?locale=en").get_json()
    path = data_copy.rules / "refills.yaml"
    path.write_text(path.read_text().replace("forget_after_days: 60", "forget_after_days: -5"))
    assert client.get("/v1/customers/f-1/refills?locale=en").get_json() == good
    path.unlink()
    assert client.get("/v1/customers/f-1/refills?locale=en").get_json() == good


def test_without_any_good_refill_file_the_endpoint_answers_503_and_events_202(data_copy):
    (data_copy.rules / "refills.yaml").write_text("source: x\n")
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
        }
    )
    client = app.test_client()
    client.put("/v1/customers/f-2", json={"age": 45})
    assert _post_purchase(client, "f-2", "XF-D3-20-TAB", "2026-03-01").status_code == 202
    response = client.get("/v1/customers/f-2/refills")
    assert response.status_code == 503
    assert "refills.yaml" in response.get_json()["error"]["message"]
    # the service started without its refills and says why (review 19 F3)
    ready = client.get("/readyz").get_json()
    assert ready["checks"]["rules"]["ok"] is False
    assert any(f.endswith("refills.yaml") for f in ready["checks"]["rules"]["refused_files"])


def test_a_reorder_is_checked_at_the_servings_the_customer_takes(snapshot, config):
    """Regression: the check used the label's daily dose; four 20 µg tablets a day (80 µg, far
    above a 45-year-old's dose band) were proposed again as if one a day."""
    profile = {"age": 45, "current_supplements": [{"sku": "XF-D3-20-TAB", "servings_per_day": 4}]}
    body = _reorder(snapshot, config, profile, [bought("XF-D3-20-TAB", D(2026, 5, 25))])
    assert body["refills"][0]["runs_out_on"] == "2026-06-24"  # 120 servings, 4 a day: 30 days
    assert "XF-D3-20-TAB" not in [
        i["sku"] for i in body["reorder"]["items"] if i["action"] == "reorder"
    ]
    assert body["refills"][0]["fits"] is False
    one_a_day = _reorder(snapshot, config, {"age": 45}, [bought("XF-D3-20-TAB", D(2026, 3, 1))])
    (item,) = one_a_day["reorder"]["items"]
    assert item["action"] == "reorder" and item["servings_per_day"] == 1


def test_a_replacement_is_never_a_product_already_in_the_reorder(snapshot, config):
    # a D3+K2 for someone on a vitamin K antagonist is replaced by a vitamin D product, but not
    # by the vitamin D product the reorder already holds
    purchases = [bought("XF-D3K2-VEGAN-CAP", D(2026, 3, 1)), bought("XF-D3-10-TAB", D(2026, 1, 5))]
    body = _reorder(
        snapshot, config, {"age": 60, "medications": ["vitamin_k_antagonist"]}, purchases
    )
    skus = [i["sku"] for i in body["reorder"]["items"]]
    assert len(skus) == len(set(skus)), skus
    # the vitamin D bought is reordered as it is; the D3+K2 is not replaced by a second one
    assert [(i["action"], i["sku"]) for i in body["reorder"]["items"]] == [
        ("reorder", "XF-D3-10-TAB")
    ]
    (left,) = body["reorder"]["left_out"]
    assert left["sku"] == "XF-D3K2-VEGAN-CAP"
    assert [w["code"] for w in left["why"]] == ["covered", "interaction"]


def test_buy_again_choices_give_a_placement_its_indices_reasons_and_fields(snapshot, config):
    from service.core.refills import buy_again_choices

    purchases = [bought("XF-D3-20-TAB", D(2026, 3, 1)), bought("XF-K2-MK7-100-CAP", D(2026, 5, 1))]
    choices = buy_again_choices(snapshot, config, Profile(age=45), purchases, JUNE_20, limit=5)
    assert [snapshot.catalog.products[i].sku for i, *_ in choices] == [
        "XF-K2-MK7-100-CAP",
        "XF-D3-20-TAB",
    ]
    for index, ev, reasons, extra in choices:
        assert set(reasons) == {"nl", "de", "en"} and all(reasons.values())
        assert extra["runs_out_on"] and ev.safety.allowed()[index]


# ---------------------------------------------------------------- review of session 3
def test_a_current_supplement_bought_long_ago_still_counts_in_the_reorder(snapshot, config):
    """Regression (pharmacist review): a purchase in 2024 of the 75 µg vitamin D the profile
    says is taken dropped it from the intake, so a 25 µg reorder was proposed on top of it
    (75 + 25 + food above the upper limit of 100 µg)."""
    profile = {"age": 45, "current_supplements": [{"sku": "XF-D3-75-TAB"}]}
    purchases = [bought("XF-D3-75-TAB", D(2024, 1, 1)), bought("XF-D3-25-SG", D(2026, 3, 1))]
    body = _reorder(snapshot, config, profile, purchases)
    assert [i["sku"] for i in body["reorder"]["items"] if i["action"] == "reorder"] == []
    (entry,) = [r for r in body["refills"] if r["sku"] == "XF-D3-25-SG"]
    assert entry["fits"] is False
    items = buy_again(snapshot, config, Profile.from_dict(profile), purchases, JUNE_20)
    assert "XF-D3-25-SG" not in [i["sku"] for i in items]


def test_buy_again_checks_a_product_at_the_servings_the_customer_takes(snapshot, config):
    """Regression (pharmacist review): buy again checked the label's one a day; two 50 µg
    capsules a day (100 µg with food above the limit) and, in pregnancy, two 20 µg tablets a
    day (above 25 µg) were offered again while the refills said they no longer fit."""
    two_a_day = {
        "age": 45,
        "serum_25ohd_nmol_l": 30,
        "current_supplements": [{"sku": "XF-D3-50-CAP", "servings_per_day": 2}],
    }
    purchases = [bought("XF-D3-50-CAP", D(2026, 6, 10))]
    items = buy_again(snapshot, config, Profile.from_dict(two_a_day), purchases, JUNE_20)
    assert "XF-D3-50-CAP" not in [i["sku"] for i in items]
    pregnant = {
        "age": 30,
        "sex": "female",
        "life_stage": "pregnant",
        "current_supplements": [{"sku": "XF-D3-20-TAB", "servings_per_day": 2}],
    }
    purchases = [bought("XF-D3-20-TAB", D(2026, 4, 1))]
    items = buy_again(snapshot, config, Profile.from_dict(pregnant), purchases, JUNE_20)
    assert "XF-D3-20-TAB" not in [i["sku"] for i in items]
    # the same product at the label's dose still comes back
    one_a_day = {**pregnant, "current_supplements": [{"sku": "XF-D3-10-TAB"}]}
    purchases = [bought("XF-D3-10-TAB", D(2026, 4, 1))]
    items = buy_again(snapshot, config, Profile.from_dict(one_a_day), purchases, JUNE_20)
    assert [i["sku"] for i in items] == ["XF-D3-10-TAB"]


def test_a_purchase_whose_time_has_no_utc_date_is_refused_not_a_500(mem_client):
    """Regression (hostile review): 0001-01-01T00:00:00+14:00 overflowed converting to UTC. It
    is now refused as too old (review s5 S13), and still never a 500."""
    mem_client.put("/v1/customers/r-9", json={"age": 45})
    for stamp in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00"):
        event = {"customer_id": "r-9", "sku": "XF-D3-20-TAB", "type": "purchase"}
        answer = mem_client.post("/v1/events", json={"events": [{**event, "timestamp": stamp}]})
        # 422: too old (S13), the future (R15a)
        assert answer.status_code == 422, answer.get_json()
        assert list(answer.get_json()["error"]["fields"]) == ["events.0.timestamp"]
    assert mem_client.get("/v1/customers/r-9/refills").status_code == 200


def test_the_refill_itself_in_the_basket_is_the_reorder_not_more_on_top(snapshot, config):
    """Regression (pharmacist review): with the refill put in the cart from the reminder, it
    was counted twice (basket + reorder), declared "no longer fits" and replaced."""
    purchases = [bought("XF-D3-20-TAB", D(2026, 3, 1))]
    body = _reorder(snapshot, config, {"age": 45}, purchases, basket=["XF-D3-20-TAB"])
    assert body["refills"][0]["fits"] is True
    (item,) = body["reorder"]["items"]
    assert item["action"] == "reorder" and item["sku"] == "XF-D3-20-TAB"
    # buy again proposes no product that is in the basket already (review s11 F7: as the
    # account placement; tests/test_review_s11_cart.py)
    basket = [Line(sku="XF-D3-20-TAB"), Line(sku="XF-D3-20-TAB")]
    items = buy_again(snapshot, config, Profile(age=45), purchases, JUNE_20, basket=basket)
    assert "XF-D3-20-TAB" not in [i["sku"] for i in items]


def test_a_tiny_daily_amount_lasts_until_the_last_day_not_a_500(mem_client):
    """Regression (hostile review): servings_per_day 1e-320 passed validation and the run-out
    division overflowed to infinity before the date cap: GET /refills answered 500."""
    assert run_out_date([bought("X", D(2026, 3, 1))], 120, 1e-320) == D(9999, 12, 31)
    profile = {
        "age": 45,
        "current_supplements": [{"sku": "XF-D3-20-TAB", "servings_per_day": 1e-320}],
    }
    assert mem_client.put("/v1/customers/r-10", json=profile).status_code == 200
    assert _post_purchase(mem_client, "r-10", "XF-D3-20-TAB", "2026-03-01").status_code == 202
    assert mem_client.get("/v1/customers/r-10/refills").status_code == 200
    assert mem_client.get("/v1/customers/r-10/buy-again").status_code == 200
