"""Placements (issue 11): the configuration file, its checks and hot reload, rules that name
placements, the customer GET per placement (precomputed and computed), alternatives and cart
texts, the co-purchase table, and the plain list unchanged when no placement is named."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.app import create_app
from service.cli import main as cli_main
from service.contract.schemas import RecommendationRequestSchema
from service.core.errors import DataFileError, InvalidInput
from service.core.placements.copurchase import cooccurrence
from service.core.placements.serve import alternatives_of, recommend_placement
from service.core.placements.strategies import STRATEGIES
from service.core.recommender import Recommender
from service.core.refills import Purchase, refill_config
from service.core.snapshot import load_snapshot
from service.customers import copurchase as copurchase_store
from service.customers.redis_client import get_store
from service.customers.refresh import CachePolicy, refresh_chunk
from service.customers.store import MemoryStore, stream_record
from service.experiments.assign import assign
from service.experiments.spec import load_experiments

from .conftest import RULES, TODAY
from .oracle import PRODUCTS, claim_in
from .test_placement_safety import assert_placement_promises
from .test_safety_properties import requests as request_bodies

SCHEMA = json.loads((RULES / "schema" / "placements.schema.json").read_text(encoding="utf-8"))
SHIPPED = RULES / "placements.yaml"


def _document() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _write(paths, document: dict) -> None:
    paths.placements_file.write_text(
        "# yaml-language-server: $schema=schema/placements.schema.json\n"
        + yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


# ---------------------------------------------------------------- the file and its checks
def test_shipped_file_validates_against_its_json_schema_and_names_it():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(_document())) == []
    first = SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema/placements.schema.json"


def test_the_schema_names_exactly_the_registered_strategies():
    enum = SCHEMA["$defs"]["placement"]["properties"]["strategies"]["items"]["enum"]
    assert sorted(enum) == sorted(STRATEGIES)


def test_shipped_placements_are_the_six_of_the_issue(recommender):
    config = recommender.snapshot.placements
    assert config.names == ["account", "cart", "checkout", "email", "home", "product_page"]
    assert config.get("product_page").strategies == ("alternatives", "complements", "profile")
    # account's buy_again depends on one customer's purchases: computed on the request
    assert [p.name for p in config.precomputed] == ["home"]


def test_every_placement_text_is_claim_safe_and_in_every_locale():
    for key, texts in _document()["texts"].items():
        assert set(texts) == {"nl", "de", "en"}, key
        for text in texts.values():
            assert claim_in(text) is None, (key, text)


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda d: d["placements"]["cart"].update(strategies=["complemnts"]), "unknown_strategy",
         "did you mean 'complements'"),
        (lambda d: d["placements"]["cart"].update(rules=["no-such-rule"]), "unknown_rule",
         "no-such-rule"),
        (lambda d: d["placements"]["checkout"].update(precomputed=True),
         "precomputed_without_list", "precomputed"),
        (lambda d: d["texts"]["adds_to_basket"].update(en="Prevents osteoporosis: {nutrients}"),
         "forbidden_claim", "disease claim"),
        (lambda d: d["texts"]["adds_to_basket"].update(en="Adds {amount}"), "text",
         "placeholder"),
        (lambda d: d["placements"]["cart"].update(length=0), "schema", "length"),
    ],
)  # fmt: skip
def test_a_broken_placements_file_is_refused_with_file_and_line(data_copy, change, code, words):
    document = _document()
    change(document)
    _write(data_copy, document)
    with pytest.raises(DataFileError) as caught:
        load_snapshot(data_copy)
    found = [f for f in caught.value.findings if f.code == code]
    assert found, caught.value.findings
    assert words in str(found[0])
    assert found[0].file.endswith("placements.yaml") and found[0].line > 1


def test_rules_check_and_lint_report_the_placements_file(data_copy):
    document = _document()
    document["placements"]["cart"]["strategies"] = ["complements", "profil"]
    _write(data_copy, document)
    args = ["--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)]
    checked = CliRunner().invoke(cli_main, ["rules", "check", *args])
    assert checked.exit_code == 1
    assert "placements.yaml" in checked.output and "unknown_strategy" in checked.output
    linted = CliRunner().invoke(cli_main, ["rules", "lint", str(data_copy.placements_file), *args])
    assert linted.exit_code == 1 and "did you mean 'profile'" in linted.output


@pytest.mark.parametrize(
    ("edit", "code", "line_of"),
    [
        # a typo in a setting: the schema refuses it, on its line
        (lambda t: t.replace("remind_days_before: 14", "remind_days_befor: 14"), "schema",
         "remind_days_befor"),
        # a text with a placeholder the code does not fill
        (lambda t: t.replace("Your supply of {name} is expected", "Your supply of {product} is"
         " expected"), "placeholder", "reason_runs_out:"),
    ],
)  # fmt: skip
def test_rules_check_and_lint_refuse_a_broken_refills_file_with_file_and_line(
    data_copy, edit, code, line_of
):
    path = data_copy.rules / "refills.yaml"
    text = edit(path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if line_of in row)
    args = ["--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)]
    checked = CliRunner().invoke(cli_main, ["rules", "check", *args])
    assert checked.exit_code == 1, checked.output
    assert f"refills.yaml:{line}:" in checked.output and code in checked.output, checked.output
    for target in ([str(path)], []):  # the file alone, and the whole data set
        linted = CliRunner().invoke(cli_main, ["rules", "lint", *target, *args])
        assert linted.exit_code == 1, linted.output
        assert f"refills.yaml:{line}:" in linted.output and code in linted.output


def test_rules_check_refuses_a_missing_refills_file_and_passes_the_shipped_one(data_copy):
    args = ["--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)]
    assert CliRunner().invoke(cli_main, ["rules", "check", *args]).exit_code == 0
    linted = CliRunner().invoke(
        cli_main, ["rules", "lint", str(data_copy.rules / "refills.yaml"), *args]
    )
    assert linted.exit_code == 0 and "refills.yaml" not in linted.output, linted.output
    (data_copy.rules / "refills.yaml").unlink()
    checked = CliRunner().invoke(cli_main, ["rules", "check", *args])
    assert checked.exit_code == 1 and "missing_file" in checked.output


def test_a_rule_naming_an_unknown_placement_is_refused(data_copy):
    path = data_copy.merchandising_dir / "campaigns.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["rules"][0]["placements"] = ["kart"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_snapshot(data_copy)
    assert any(
        f.code == "unknown_placement" and "did you mean 'cart'" in str(f)
        for f in caught.value.findings
    )


def test_hot_reload_of_the_placements_file_changes_the_rules_version(data_copy):
    recommender = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    before = recommender.snapshot.versions["rules"]
    document = _document()
    document["placements"]["cart"]["length"] = 2
    _write(data_copy, document)
    assert recommender.reload().ok
    assert recommender.snapshot.placements.get("cart").length == 2
    assert recommender.snapshot.versions["rules"] != before
    # a broken edit is refused; the last good configuration keeps serving
    document["placements"]["cart"]["strategies"] = ["nonsense"]
    _write(data_copy, document)
    status = recommender.reload()
    assert not status.ok and any(f.code == "unknown_strategy" for f in status.findings)
    assert recommender.snapshot.placements.get("cart").length == 2


def test_without_a_placements_file_the_plain_list_serves_and_a_placement_is_a_422(data_copy):
    data_copy.placements_file.unlink()
    snapshot = load_snapshot(data_copy)
    assert snapshot.placements.names == []
    with pytest.raises(InvalidInput) as caught:
        recommend_placement(snapshot, {"profile": {"age": 40}, "placement": "cart"}, TODAY)
    assert "placement" in caught.value.fields


# ---------------------------------------------------------------- rules and placements
def _with_rule(data_copy, rule: dict) -> Recommender:
    path = data_copy.merchandising_dir / "placement_test.yaml"
    path.write_text(
        yaml.safe_dump({"source": "test", "rules": [rule]}, allow_unicode=True), encoding="utf-8"
    )
    return Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)


def test_a_rule_that_names_a_placement_applies_there_and_not_to_the_plain_list(data_copy):
    profile = {"age": 72, "goals": ["bones"]}
    plain = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    top = plain.recommend({"profile": profile, "limit": 5})["items"][0]["sku"]
    recommender = _with_rule(
        data_copy,
        {
            "id": "home-hides-top",
            "description": "test",
            "skus": [top],
            "action": "exclude",
            "placements": ["home"],
        },
    )
    assert recommender.recommend({"profile": profile, "limit": 5})["items"][0]["sku"] == top
    home = recommend_placement(
        recommender.snapshot, {"profile": profile, "limit": 5, "placement": "home"}, TODAY
    )
    assert top not in [i["sku"] for i in home["items"]]


def test_a_placement_with_rules_none_ignores_campaigns(data_copy):
    recommender = _with_rule(
        data_copy,
        {
            "id": "test-boost-routine",
            "description": "test",
            "categories": ["calcium", "magnesium", "vitamin_k2"],
            "action": "boost",
            "weight": 0.1,
            "reason": {"nl": "Testregel.", "de": "Testregel.", "en": "Test rule."},
        },
    )
    raw = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": "XF-D3-20-TAB"}],
        "limit": 5,
        "locale": "en",
    }

    def rule_reasons(placement: str) -> set[str]:
        body = recommend_placement(recommender.snapshot, {**raw, "placement": placement}, TODAY)
        assert body["items"], placement
        return {r["code"] for i in body["items"] for r in i["reasons"] if r["code"][:5] == "rule:"}

    assert "rule:test-boost-routine" in rule_reasons("cart")  # rules: all
    assert rule_reasons("checkout") == set()  # rules: none


def test_the_shops_exclusions_hold_in_a_placement_with_rules_none(recommender):
    """Regression (pharmacist review): `rules: none` at checkout dropped the exclude rules too,
    so the pregnancy multivitamin (iron 14 mg), which risk_groups.yaml keeps for pregnancy, was
    offered to a 55-year-old woman who is not pregnant."""
    raw = {
        "profile": {
            "age": 55,
            "sex": "female",
            "life_stage": "none",
            "diet": "vegetarian",
            "goals": ["muscles"],
            "sun_exposure": "low",
        },
        "basket": [{"sku": "NV-CA-400-CHEW"}],
        "locale": "en",
        "limit": 2,
    }
    for placement in ("checkout", "email", "cart", "home"):
        for limit in (2, 5):
            body = recommend_placement(
                recommender.snapshot, {**raw, "limit": limit, "placement": placement}, TODAY
            )
            assert "XF-MULTI-PREGNANCY" not in [i["sku"] for i in body["items"]], placement


def test_a_page_product_the_profile_must_not_take_gets_no_complements_and_a_notice(recommender):
    """Regression (pharmacist review): on the page of a 75 µg vitamin D, a pregnant woman was
    shown what "goes with it", computed as if she took 75 µg, with no word that the product
    itself is above what pregnancy allows."""
    raw = {
        "profile": {"age": 30, "sex": "female", "life_stage": "pregnant"},
        "placement": "product_page",
        "product_sku": "XF-D3-75-TAB",
        "limit": 4,
    }
    for locale in ("nl", "de", "en"):
        body = recommend_placement(recommender.snapshot, {**raw, "locale": locale}, TODAY)
        assert all(i.get("strategy") != "complements" for i in body["items"]), body["items"]
        assert not any(r["code"] == "adds_to_basket" for i in body["items"] for r in i["reasons"])
        assert "page_product_not_suited" in [n["code"] for n in body["notices"]]
    # a product that suits the profile still brings its complements, without the notice
    fine = {**raw, "product_sku": "XF-D3-10-TAB", "locale": "en"}
    body = recommend_placement(recommender.snapshot, fine, TODAY)
    assert "page_product_not_suited" not in [n["code"] for n in body["notices"]]


# ---------------------------------------------------------------- the plain list is unchanged
def test_no_placement_and_a_null_placement_give_the_same_bytes_as_before(client, recommender):
    raw = {"profile": {"age": 67, "goals": ["bones"]}, "basket": [{"sku": "XF-D3-20-TAB"}]}
    plain = client.post("/v1/recommendations", json=raw)
    null = client.post("/v1/recommendations", json={**raw, "placement": None})
    assert plain.status_code == null.status_code == 200
    assert plain.data == null.data
    assert "placement" not in plain.get_json()
    assert plain.get_json()["items"] == recommender.recommend({**raw, "limit": 5})["items"]


def test_unknown_placement_and_product_without_placement_are_422_with_fields(client):
    response = client.post(
        "/v1/recommendations", json={"profile": {"age": 40}, "placement": "sidebar"}
    )
    assert response.status_code == 422
    assert "placement" in response.get_json()["error"]["fields"]
    response = client.post(
        "/v1/recommendations", json={"profile": {"age": 40}, "product_sku": "XF-D3-20-TAB"}
    )
    assert response.status_code == 422
    assert "product_sku" in response.get_json()["error"]["fields"]
    response = client.post(
        "/v1/recommendations",
        json={"profile": {"age": 40}, "placement": "product_page", "product_sku": "NOPE"},
    )
    assert response.status_code == 422
    assert "product_sku" in response.get_json()["error"]["fields"]
    for bad in ("Cart", "cart ", 5, ""):
        response = client.post(
            "/v1/recommendations", json={"profile": {"age": 40}, "placement": bad}
        )
        assert response.status_code == 422, bad


# ---------------------------------------------------------------- cart: complete my routine
def test_d3_in_the_basket_brings_k2_magnesium_or_calcium_never_a_second_vitamin_d(recommender):
    raw = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": "XF-D3-20-TAB"}],
        "placement": "cart",
        "limit": 3,
        "locale": "en",
    }
    answer = recommend_placement(recommender.snapshot, raw, TODAY)
    assert answer["items"], answer["notices"]
    for item in answer["items"]:
        nutrients = PRODUCTS[item["sku"]]["nutrients_per_serving"]
        assert "vitamin_d_ug" not in nutrients, item["sku"]
        assert set(nutrients) & {"vitamin_k2_ug", "magnesium_mg", "calcium_mg"}, item["sku"]
        assert item["strategy"] == "complements"
        assert item["reasons"][0]["code"] == "adds_to_basket"
        assert item["adds_to_basket"] == {
            k: v * PRODUCTS[item["sku"]]["servings_per_day"] for k, v in nutrients.items()
        }
    assert "basket_covered" in [n["code"] for n in answer["notices"]]


def test_copurchase_reorders_the_cart_within_what_need_allows(recommender):
    # K2 in the basket (with D3 there, the two best shared magnesium and the cart now offers
    # only one of them, review s9 A2)
    basket = "XF-K2-MK7-DROPS"
    raw = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": basket}],
        "placement": "cart",
        "limit": 3,
        "locale": "en",
    }
    plain = recommend_placement(recommender.snapshot, raw, TODAY)
    first, second = plain["items"][0]["sku"], plain["items"][1]["sku"]
    # with the shipped weight (0.15) the signal raises a score, not above a clearly better one
    last = plain["items"][-1]
    weak = recommend_placement(recommender.snapshot, raw, TODAY, {basket: {last["sku"]: 1}})
    assert weak["items"][-1]["sku"] == last["sku"] and weak["items"][-1]["score"] > last["score"]
    assert weak["items"][-1]["copurchase"] == 1.0
    # with the full weight it reorders the two best
    snapshot = replace(
        recommender.snapshot,
        placements=replace(recommender.snapshot.placements, copurchase_weight=1),
    )
    ranked = recommend_placement(snapshot, raw, TODAY, {basket: {second: 1}})
    assert [i["sku"] for i in ranked["items"]][:2] == [second, first]


# ---------------------------------------------------------------- alternatives
def _price_per_month(sku: str) -> float:
    p = PRODUCTS[sku]
    return p["price"] / p["pack_size"] * p["servings_per_day"] * 30  # exact; shown rounded


def test_alternative_reasons_are_true_facts_in_each_locale(recommender):
    en = alternatives_of(recommender.snapshot, "XF-D3-20-TAB", 50, "en")
    by_sku = {i["sku"]: [r["text"] for r in i["reasons"]] for i in en["items"]}
    assert "vegan (lichen)" in by_sku["GR-D3-20-TAB"]
    assert "drops instead of tablets" in by_sku["XF-D3-25-DROPS"]
    cheaper = _price_per_month("XF-D3-20-TAB") - _price_per_month("XF-D3-25-DROPS")
    assert f"EUR {cheaper:.2f} a month cheaper at the label dose" in by_sku["XF-D3-25-DROPS"]
    nl = alternatives_of(recommender.snapshot, "XF-D3-20-TAB", 50, "nl")
    texts = {i["sku"]: [r["text"] for r in i["reasons"]] for i in nl["items"]}
    assert "vegan (korstmos)" in texts["GR-D3-20-TAB"]
    assert (
        f"EUR {cheaper:.2f} per maand goedkoper bij de dosis op het etiket".replace(".", ",")
        in texts["XF-D3-25-DROPS"]
    )
    for item in en["items"]:
        product = PRODUCTS[item["sku"]]
        for reason in item["reasons"]:
            if reason["code"] == "alternative:vegan":
                assert product["vegan"]
            if reason["code"] == "alternative:form":
                form = _document()["texts"][f"form_{product['form']}"]["en"]
                assert reason["text"].startswith(form), (item["sku"], reason)


def test_alternatives_of_a_vegan_product_are_vegan_and_of_a_fish_free_one_fish_free(client):
    for sku in ("GR-D3-20-TAB", "XF-D3-20-TAB"):
        body = client.get(f"/v1/products/{sku}/alternatives?limit=50").get_json()
        for item in body["items"]:
            product = PRODUCTS[item["sku"]]
            if PRODUCTS[sku]["vegan"]:
                assert product["vegan"], item["sku"]
            assert "fish" not in product["allergens"], item["sku"]


def test_alternatives_endpoints_refuse_bad_input_with_contract_errors(client):
    assert client.get("/v1/products/NOPE/alternatives").status_code == 404
    assert client.get("/v1/products/XF-D3-20-TAB/alternatives?limit=0").status_code == 422
    assert client.get("/v1/products/XF-D3-20-TAB/alternatives?locale=fr").status_code == 422
    response = client.post("/v1/products/XF-D3-20-TAB/alternatives", json={"profile": {}})
    assert response.status_code == 422 and "profile.age" in response.get_json()["error"]["fields"]
    response = client.post("/v1/products/NOPE/alternatives", json={"profile": {"age": 40}})
    assert response.status_code == 404
    response = client.post(
        "/v1/products/XF-D3-20-TAB/alternatives", data="{", content_type="application/json"
    )
    assert response.status_code == 400


def test_alternatives_with_a_vka_profile_never_hold_vitamin_k(client):
    response = client.post(
        "/v1/products/XF-D3K2-TAB/alternatives",
        json={"profile": {"age": 70, "medications": ["vitamin_k_antagonist"]}, "limit": 50},
    )
    assert response.status_code == 200
    items = response.get_json()["items"]
    # the page product is unsuited (its K2): the same need without vitamin K (review s5 S3)
    assert items and all(i["nutrients_per_day"].get("vitamin_d_ug") for i in items)
    keys = ("vitamin_k1_ug", "vitamin_k2_ug")
    assert not [i["sku"] for i in items if any(i["nutrients_per_day"].get(k) for k in keys)]


# ---------------------------------------------------------------- stored customers
def test_precomputed_placements_are_served_from_the_cache_and_others_computed():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    recommender = app.extensions["dosewise"]
    recommender.clock = lambda: TODAY
    client = app.test_client()
    assert client.put("/v1/customers/p-1", json={"age": 72, "goals": ["bones"]}).status_code == 200
    store = get_store(app)
    refresh_chunk(recommender, store, ["p-1"], CachePolicy(), force=True, today=TODAY)
    for name in ("home",):
        body = client.get(f"/v1/customers/p-1/recommendations?placement={name}").get_json()
        assert body["source"] == "cache" and body["placement"] == name, body
        direct = recommend_placement(
            recommender.snapshot,
            {"profile": {"age": 72, "goals": ["bones"]}, "placement": name},
            TODAY,
        )
        assert [i["sku"] for i in body["items"]] == [i["sku"] for i in direct["items"]]
    for name in ("cart", "email", "account"):  # not precomputed: computed on the request
        body = client.get(f"/v1/customers/p-1/recommendations?placement={name}").get_json()
        assert body["source"] == "computed" and body["placement"] == name
    plain = client.get("/v1/customers/p-1/recommendations").get_json()
    assert plain["source"] == "cache" and "placement" not in plain
    bad = client.get("/v1/customers/p-1/recommendations?placement=sidebar")
    assert bad.status_code == 422 and "placement" in bad.get_json()["error"]["fields"]
    assert client.get("/v1/customers/p-1/recommendations?placement=").status_code == 422


def test_a_stored_list_under_an_old_placements_file_is_not_served(data_copy):
    recommender = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    store = MemoryStore()
    store.put_profile("c", {"age": 72})
    refresh_chunk(recommender, store, ["c"], CachePolicy(), force=True, today=TODAY)
    fingerprint = recommender.snapshot.fingerprint
    document = _document()
    document["placements"]["home"]["length"] = 1
    _write(data_copy, document)
    assert recommender.reload().ok
    assert recommender.snapshot.fingerprint != fingerprint  # every cached list is stale now
    counts = refresh_chunk(recommender, store, ["c"], CachePolicy(), today=TODAY)
    assert counts["computed"] == 1


# ---------------------------------------------------------------- co-purchase table
def test_cooccurrence_is_the_cosine_of_buyer_sets_and_drops_rare_pairs():
    purchases = [
        ("a", "D3"), ("a", "K2"), ("b", "D3"), ("b", "K2"), ("c", "D3"), ("c", "MG"),
        ("d", "MG"), ("d", "D3"), ("e", "K2"),
    ]  # fmt: skip
    table = cooccurrence(purchases, min_count=2)
    # D3 bought by a,b,c,d (4); K2 by a,b,e (3); together by a,b (2)
    assert table["D3"]["K2"] == round(2 / math.sqrt(4 * 3), 4)
    assert table["D3"]["MG"] == round(2 / math.sqrt(4 * 2), 4)
    assert "MG" not in table.get("K2", {})  # bought together by nobody
    assert cooccurrence(purchases, min_count=3) == {}
    assert "X" not in cooccurrence([*purchases, ("a", "X"), ("b", "X")], known={"D3", "K2"})


def test_copurchase_rebuild_and_read_without_redis():
    store = MemoryStore()
    events = [
        {"customer_id": c, "sku": s, "type": t, "timestamp": "2026-11-01T10:00:00"}
        for c, s, t in [
            ("a", "XF-D3-20-TAB", "purchase"), ("a", "BL-CA-500-TAB", "purchase"),
            ("b", "XF-D3-20-TAB", "purchase"), ("b", "BL-CA-500-TAB", "purchase"),
            ("c", "XF-D3-20-TAB", "view"), ("c", "XF-K2-MK7-DROPS", "view"),
        ]
    ]  # fmt: skip
    store.add_events(events)
    stats = copurchase_store.rebuild(store)
    assert stats["purchases"] == 4 and stats["products"] == 2
    assert copurchase_store.read(store, ["XF-D3-20-TAB"]) == {
        "XF-D3-20-TAB": {"BL-CA-500-TAB": 1.0}
    }


def test_copurchase_table_in_redis_replaced_whole_and_unreadable_rows_skipped(redis_url):
    import redis as redis_lib

    from service.customers.store import RedisStore

    client = redis_lib.Redis.from_url(redis_url)
    store = RedisStore(client)
    store.add_events(
        [
            {"customer_id": c, "sku": s, "type": "purchase", "timestamp": "2026-11-01T10:00:00"}
            for c in ("a", "b", "c")
            for s in ("XF-D3-20-TAB", "XF-MG-CIT-150-TAB")
        ]
    )
    client.hset(copurchase_store.TABLE, "OLD-SKU", "{}")
    stats = copurchase_store.rebuild(store)
    assert stats["started"] and stats["customers"] == 3
    assert not client.hexists(copurchase_store.TABLE, "OLD-SKU")  # replaced, not merged
    assert copurchase_store.read(store, ["XF-MG-CIT-150-TAB", "NOT-THERE"]) == {
        "XF-MG-CIT-150-TAB": {"XF-D3-20-TAB": 1.0}
    }
    client.hset(copurchase_store.TABLE, "XF-D3-20-TAB", "not json")
    assert copurchase_store.read(store, ["XF-D3-20-TAB"]) == {}
    assert client.xlen("dw:events") == 6  # read, not taken out of the stream
    client.set(copurchase_store.LOCK, "someone")
    assert copurchase_store.rebuild(store) == {"started": False}


def test_cart_over_http_uses_the_table_in_redis(redis_url):
    import redis as redis_lib

    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url})
    app.extensions["dosewise"].clock = lambda: TODAY
    client = app.test_client()
    raw = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": "XF-D3-20-TAB"}],
        "placement": "cart",
        "limit": 3,
        "locale": "en",
    }
    before = client.post("/v1/recommendations", json=raw).get_json()["items"]
    last = before[1]["sku"]
    redis_lib.Redis.from_url(redis_url).hset(
        copurchase_store.TABLE, "XF-D3-20-TAB", json.dumps({last: 1.0})
    )
    # the web process keeps the rows it read COPURCHASE_CACHE_SECONDS (60): a minute later
    cache = app.extensions["dosewise_copurchase_rows"]
    cache.clock = lambda: time.monotonic() + 61
    after = client.post("/v1/recommendations", json=raw).get_json()["items"]
    was = {i["sku"]: i for i in before}[last]
    now = {i["sku"]: i for i in after}[last]
    assert now["copurchase"] == 1.0 and was["copurchase"] == 0 and now["score"] > was["score"]


def test_cli_placements_commands(tmp_path: Path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"age": 60, "sex": "female", "goals": ["bones"]}))
    runner = CliRunner()
    listed = runner.invoke(cli_main, ["placements", "list"])
    assert listed.exit_code == 0 and "cart: complements -> profile" in listed.output
    cart = runner.invoke(
        cli_main,
        ["placements", "cart", "--profile", str(profile), "--basket", "XF-D3-20-TAB",
         "--date", TODAY.isoformat()],
    )  # fmt: skip
    assert cart.exit_code == 0, cart.output
    body = json.loads(cart.output)
    assert body["placement"] == "cart"
    assert all("vitamin_d_ug" not in i["nutrients_per_day"] for i in body["items"])
    alternatives = runner.invoke(
        cli_main, ["placements", "alternatives", "XF-D3-20-TAB", "--locale", "en"]
    )
    assert alternatives.exit_code == 0 and "vegan (lichen)" in alternatives.output
    unknown = runner.invoke(cli_main, ["placements", "show", "sidebar", "--profile", str(profile)])
    assert unknown.exit_code == 1 and "unknown placement" in unknown.output


def test_every_endpoint_but_the_public_ones_needs_a_scope(app):
    """Regression: the placement endpoints were open to anyone when the service has keys."""
    from service.api.access import ENDPOINT_SCOPES

    public = {
        "api-docs.openapi_json",
        "operations.healthz",
        "operations.metrics",
        "operations.readyz",
        "preview.preview_page",
        "static",
    }
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - public - set(ENDPOINT_SCOPES) == set()
    keyed = create_app(
        {"TESTING": True, "REDIS_URL": None, "API_KEYS": {"shop-key-0123456789": ["customers"]}}
    ).test_client()
    for url in ("/v1/placements", "/v1/products/XF-D3-20-TAB/alternatives"):
        assert keyed.get(url).status_code == 401
        assert (
            keyed.get(url, headers={"Authorization": "Bearer shop-key-0123456789"}).status_code
            == 403
        )


def test_placements_listing_and_preview_of_a_placement(client):
    listed = client.get("/v1/placements").get_json()["placements"]
    assert [p["name"] for p in listed] == ["account", "cart", "checkout", "email", "home",
                                           "product_page"]  # fmt: skip
    body = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": "XF-D3-20-TAB"}],
        "placement": "cart",
        "locale": "en",
        "date": TODAY.isoformat(),
    }
    preview = client.post("/v1/preview", json=body).get_json()
    assert preview["placement"] == "cart" and preview["items"]
    assert all(i["strategy"] == "complements" for i in preview["items"])
    assert "excluded" in preview and "matched_rules" in preview
    bad = client.post("/v1/preview", json={**body, "placement": "sidebar"})
    assert bad.status_code == 422


def test_the_refresh_writes_the_plain_list_exactly_and_each_precomputed_placement(recommender):
    from service.core.placements.serve import placement_bodies, plain_and_precomputed
    from service.core.ranking import recommend_in_locales
    from service.core.requests import RecommendationRequest

    snapshot = recommender.snapshot
    for profile in ({"age": 72, "goals": ["bones"]}, {"age": 30, "diet": "vegan"}):
        request = RecommendationRequest.from_dict({"profile": profile, "locale": "de"})
        bodies = plain_and_precomputed(snapshot, request, TODAY, ("de",))
        plain = recommend_in_locales(snapshot, request, TODAY, ("de",))["de"]
        assert json.dumps(bodies["de"], sort_keys=True) == json.dumps(plain, sort_keys=True)
        for placement in snapshot.placements.precomputed:
            alone = placement_bodies(snapshot, request, placement, TODAY, ("de",))["de"]
            assert bodies[f"de@{placement.name}"] == alone, placement.name


def test_a_placement_hit_logs_its_own_list_never_the_plain_one(redis_url):
    """The stored plain impression describes the plain list; a placement's cached answer is
    another list, so its hit logs the placement's own impression (the items it shows, the
    placement named), never the plain list's (training would see items that were not shown)."""
    import redis as redis_lib

    from service.customers.store import stream_record

    app = create_app(
        {"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": redis_url, "IMPRESSION_SAMPLE": 1.0}
    )
    recommender = app.extensions["dosewise"]
    recommender.clock = lambda: TODAY
    client = app.test_client()
    assert (
        client.put("/v1/customers/imp-1", json={"age": 72, "goals": ["bones"]}).status_code == 200
    )
    refresh_chunk(recommender, get_store(app), ["imp-1"], CachePolicy(), force=True, today=TODAY)
    redis = redis_lib.Redis.from_url(redis_url)
    before = redis.xlen("dw:impressions") if redis.exists("dw:impressions") else 0
    home = client.get("/v1/customers/imp-1/recommendations?placement=home", buffered=True)
    assert home.get_json()["source"] == "cache"
    entries = redis.xrange("dw:impressions")[before:]
    assert len(entries) == 1
    record = stream_record(entries[0][1])
    assert record["placement"] == "home" and record["customer_id"] == "imp-1"
    assert [i["sku"] for i in record["items"]] == [i["sku"] for i in home.get_json()["items"]]


# ---------------------------------------------------------------- buy again and refills
JUNE_20 = TODAY.replace(month=6, day=20)


@pytest.fixture()
def shop():
    """A service without Redis, on 20 June, and a helper that records purchase events."""
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: JUNE_20
    client = app.test_client()

    def buy(customer_id: str, sku: str, day: str) -> None:
        event = {
            "customer_id": customer_id,
            "sku": sku,
            "type": "purchase",
            "timestamp": f"{day}T10:00:00+00:00",
        }
        assert client.post("/v1/events", json={"events": [event]}).status_code == 202

    return client, buy


def _placement(client, customer_id: str, name: str) -> dict:
    response = client.get(f"/v1/customers/{customer_id}/recommendations?placement={name}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["placement"] == name and body["source"] == "computed"
    return body


def test_account_puts_what_the_customer_bought_first_with_its_run_out_date(shop):
    client, buy = shop
    profile = {"age": 30, "sex": "female", "goals": ["bones"]}
    assert client.put("/v1/customers/ba-1", json=profile).status_code == 200
    buy("ba-1", "VL-VITA-800-CAP", "2026-05-01")  # 90 capsules, one a day
    buy("ba-1", "XF-D3-20-TAB", "2026-02-25")  # 120 tablets, one a day
    items = _placement(client, "ba-1", "account")["items"]
    strategies = [i["strategy"] for i in items]
    assert strategies[:2] == ["buy_again", "buy_again"] and "buy_again" not in strategies[2:]
    by_sku = {i["sku"]: i for i in items[:2]}
    assert by_sku["VL-VITA-800-CAP"]["runs_out_on"] == "2026-07-30"
    assert by_sku["XF-D3-20-TAB"]["runs_out_on"] == "2026-06-25"
    assert by_sku["XF-D3-20-TAB"]["last_purchase"] == "2026-02-25"
    assert all(i["reasons"][0]["code"] == "bought_before" for i in items[:2])
    # the profile list after it counts the vitamin D still taken: no second vitamin D product
    rest = [PRODUCTS[i["sku"]] for i in items[2:]]
    assert not any(p["category"].startswith("vitamin_d") for p in rest), [i["sku"] for i in items]
    # the e-mail: what runs out soon (the vitamin D within 14 days; not the vitamin A)
    email = _placement(client, "ba-1", "email")["items"]
    assert [(i["sku"], i["strategy"], i["action"]) for i in email[:1]] == [
        ("XF-D3-20-TAB", "refills", "reorder")
    ]
    assert "VL-VITA-800-CAP" not in [i["sku"] for i in email]
    assert email[0]["reasons"][0]["code"] == "runs_out"


def test_now_pregnant_a_high_dose_vitamin_a_bought_before_is_not_offered_again(shop):
    client, buy = shop
    profile = {"age": 30, "sex": "female", "goals": ["bones"]}
    assert client.put("/v1/customers/ba-2", json=profile).status_code == 200
    buy("ba-2", "VL-VITA-800-CAP", "2026-06-10")  # runs out in September: not due
    buy("ba-2", "XF-D3-20-TAB", "2026-02-25")
    assert "VL-VITA-800-CAP" in [i["sku"] for i in _placement(client, "ba-2", "account")["items"]]
    pregnant = {**profile, "life_stage": "pregnant"}
    assert client.put("/v1/customers/ba-2", json=pregnant).status_code == 200
    for name in ("account", "email"):
        skus = [i["sku"] for i in _placement(client, "ba-2", name)["items"]]
        assert "VL-VITA-800-CAP" not in skus, (name, skus)
        assert not any(
            PRODUCTS[s]["nutrients_per_serving"].get("vitamin_a_ug", 0) > 800 for s in skus
        )
    assert _placement(client, "ba-2", "account")["items"][0]["sku"] == "XF-D3-20-TAB"


def test_now_on_a_vitamin_k_antagonist_the_k2_product_bought_is_replaced_not_offered(shop):
    client, buy = shop
    profile = {"age": 60, "goals": ["bones"]}
    assert client.put("/v1/customers/ba-3", json=profile).status_code == 200
    buy("ba-3", "XF-D3K2-VEGAN-CAP", "2026-03-01")  # runs out on 29 June: due
    assert _placement(client, "ba-3", "account")["items"][0]["sku"] == "XF-D3K2-VEGAN-CAP"
    assert _placement(client, "ba-3", "email")["items"][0]["sku"] == "XF-D3K2-VEGAN-CAP"
    on_vka = {**profile, "medications": ["vitamin_k_antagonist"]}
    assert client.put("/v1/customers/ba-3", json=on_vka).status_code == 200
    account = _placement(client, "ba-3", "account")["items"]
    email = _placement(client, "ba-3", "email")["items"]
    for item in account + email:
        nutrients = PRODUCTS[item["sku"]]["nutrients_per_serving"]
        assert not (nutrients.get("vitamin_k1_ug") or nutrients.get("vitamin_k2_ug")), item["sku"]
    assert "buy_again" not in [i["strategy"] for i in account]
    first = email[0]
    assert first["strategy"] == "refills" and first["action"] == "replace"
    assert first["replaces"] == "XF-D3K2-VEGAN-CAP"
    assert {r["code"] for r in first["reasons"]} >= {"runs_out", "replaces"}


def test_without_a_stored_customer_buy_again_and_refills_give_nothing_and_the_chain_goes_on(
    recommender,
):
    for name in ("account", "email"):
        body = recommend_placement(
            recommender.snapshot,
            {"profile": {"age": 60, "goals": ["bones"]}, "placement": name},
            TODAY,
        )
        assert body["items"] and {i["strategy"] for i in body["items"]} == {"profile"}


def test_a_precomputed_chain_with_buy_again_or_refills_is_refused(data_copy):
    for strategy in ("buy_again", "refills"):
        document = _document()
        document["placements"]["account"]["strategies"] = [strategy, "profile"]
        document["placements"]["account"]["precomputed"] = True
        _write(data_copy, document)
        with pytest.raises(DataFileError) as refused:
            load_snapshot(data_copy)
        (finding,) = [f for f in refused.value.findings if f.code == "precomputed_per_customer"]
        assert finding.file.endswith("placements.yaml") and finding.line > 1
        assert strategy in finding.message
        errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
        assert errors, "the JSON Schema refuses it too"


# ---------------------------------------------------------------- A/B arms and impressions
ARM_EXPERIMENT = """\
source: "test"
experiments:
  - id: placement-test
    placement: {placement}
    start: 2026-01-01
    end: 2027-12-31
    variants:
      - {{id: control, share: 0.5}}
      - {{id: without-boosts, share: 0.5, rules_off: [{rules}]}}
"""


def _arm_app(data_copy, tmp_path, placement: str, redis_url: str):
    snapshot = load_snapshot(data_copy)
    boosts = ", ".join(r.id for r in snapshot.rules.rules if r.action == "boost")
    (data_copy.rules / "experiments.yaml").write_text(
        ARM_EXPERIMENT.format(placement=placement, rules=boosts), encoding="utf-8"
    )
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": redis_url,
            "ACCESS_LOG": False,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "LEARNING_DIR": str(tmp_path / "learning"),
        }
    )
    app.extensions["dosewise"].clock = lambda: JUNE_20
    store = get_store(app)
    store.client.flushdb()
    return app, store


def _exposures_of(tmp_path) -> list[dict]:
    path = tmp_path / "learning" / "exposures.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _impressions_of(store) -> list[dict]:
    return [stream_record(f) for _, f in store.client.xrange("dw:impressions")]


def test_a_placement_post_gets_its_arm_exposure_and_an_impression_naming_it(
    data_copy, tmp_path, redis_url
):
    app, store = _arm_app(data_copy, tmp_path, "cart", redis_url)
    experiment = load_experiments(data_copy.rules / "experiments.yaml").experiments[0]
    client = app.test_client()
    body = {"profile": {"age": 66, "goals": ["bones"]}, "placement": "cart",
            "basket": [{"sku": "XF-D3-20-TAB"}]}  # fmt: skip
    variants = set()
    for n in range(8):
        customer = f"arm-{n}"
        answer = client.post(
            "/v1/recommendations",
            json={**body, "customer_id": customer},
            headers={"X-Request-ID": f"r-{n}"},
        ).get_json()
        variant = assign(experiment, customer).id
        variants.add(variant)
        assert answer["experiment"] == {"id": "placement-test", "variant": variant}
        assert answer["versions"]["rules"].endswith("+placement-test.without-boosts") == (
            variant == "without-boosts"
        )
        exposure = _exposures_of(tmp_path)[-1]
        assert exposure["request_id"] == f"r-{n}" and exposure["placement"] == "cart"
        assert exposure["skus"] == [i["sku"] for i in answer["items"]]
        impression = _impressions_of(store)[-1]
        assert impression["request_id"] == f"r-{n}" and impression["customer_id"] == customer
        assert impression["placement"] == "cart"
        assert [i["sku"] for i in impression["items"]] == [i["sku"] for i in answer["items"]]
    assert variants == {"control", "without-boosts"}
    # another placement is outside this experiment; without a customer id nothing is logged
    home = client.post("/v1/recommendations", json={**body, "placement": "home"}).get_json()
    assert "experiment" not in home
    assert len(_exposures_of(tmp_path)) == 8 and len(_impressions_of(store)) == 8


def test_a_stored_customers_computed_placement_gets_its_arm_exposure_and_impression(
    data_copy, tmp_path, redis_url
):
    app, store = _arm_app(data_copy, tmp_path, "account", redis_url)
    experiment = load_experiments(data_copy.rules / "experiments.yaml").experiments[0]
    client = app.test_client()
    assert (
        client.put("/v1/customers/acc-1", json={"age": 66, "goals": ["bones"]}).status_code == 200
    )
    before = len(_impressions_of(store))
    answer = client.get(
        "/v1/customers/acc-1/recommendations?placement=account", headers={"X-Request-ID": "g-1"}
    ).get_json()
    assert answer["source"] == "computed"
    variant = assign(experiment, "acc-1").id
    assert answer["experiment"] == {"id": "placement-test", "variant": variant}
    (exposure,) = _exposures_of(tmp_path)
    assert exposure["placement"] == "account" and exposure["request_id"] == "g-1"
    assert exposure["skus"] == [i["sku"] for i in answer["items"]]
    impressions = _impressions_of(store)[before:]
    assert [(i["placement"], i["request_id"]) for i in impressions] == [("account", "g-1")]
    assert [i["sku"] for i in impressions[0]["items"]] == [i["sku"] for i in answer["items"]]


def test_product_page_complements_fit_with_the_page_product_counted(recommender):
    """The product page evaluates once (without the product on the page); its complements
    must still pass every limit and the dose band with the product counted as if bought."""
    from bench.profiles import request_bodies
    from service.core.profile import Line, Profile, labelled_lines
    from service.core.ranking import evaluate

    snapshot = recommender.snapshot
    skus = [p.sku for p in snapshot.catalog.products]
    checked = 0
    for n, body in enumerate(request_bodies(150, skus, seed=29)):
        body = {**body, "placement": "product_page", "product_sku": skus[(n * 7) % len(skus)]}
        answer = recommend_placement(snapshot, body, TODAY)
        picked = [i["sku"] for i in answer["items"] if i["strategy"] == "complements"]
        if not picked:
            continue
        profile = Profile.from_dict(body["profile"])
        basket = [Line.from_dict(x) for x in body.get("basket") or ()]
        lines = [*labelled_lines(profile, basket), ("basket.page", Line(sku=body["product_sku"]))]
        ev = evaluate(snapshot, profile, lines, TODAY, body.get("jurisdiction"))
        fits = ev.safety.allowed() & ev.offer.within_band
        for sku in picked:
            assert fits[snapshot.catalog.index[sku]], (body, sku)
            checked += 1
    assert checked > 20


@st.composite
def _with_run_out_purchases(draw: st.DrawFn) -> tuple[dict, list]:
    """A valid request and purchases whose supplies all ran out 1-50 days ago (so none counts
    as taken now and the oracle's intake is the request's own), of products the profile does
    not list as taken (buying again what is taken replaces it, not adds to it)."""
    raw = draw(request_bodies())
    taken = {line.get("sku") for line in raw["profile"].get("current_supplements") or ()}
    skus = draw(
        st.lists(
            st.sampled_from(sorted(set(PRODUCTS) - taken)), min_size=1, max_size=4, unique=True
        )
    )
    purchases = []
    for sku in skus:
        product = PRODUCTS[sku]
        days = math.floor(product["pack_size"] / product["servings_per_day"] + 1e-9)
        ago = draw(st.integers(1, 50))
        purchases.append(Purchase(TODAY - dt.timedelta(days=days + ago), sku))
    return raw, purchases


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_with_run_out_purchases(), name=st.sampled_from(["account", "email"]))
def test_buy_again_and_refills_keep_every_guarantee_for_random_profiles(recommender, case, name):
    """Hidden-profile property test of the purchase-based placements: whatever the customer
    bought, an item of account or email keeps every guarantee of the contract for the profile
    as it is now (tests/oracle.py), plus the placement's own promises."""
    raw, purchases = case
    raw = {**raw, "placement": name}
    body = RecommendationRequestSchema().load(raw)
    config = refill_config(RULES, recommender.snapshot.reference)
    response = recommend_placement(
        recommender.snapshot, body, TODAY, None, purchases=(purchases, config)
    )
    assert_placement_promises(raw, response)


def test_the_alternatives_endpoint_does_not_say_nothing_goes_with_an_unsuited_product():
    """Review s4 R15d: the alternatives POST never suggests what goes with a product, so its
    page_product_not_suited notice does not say "we suggest nothing to go with it"."""
    from service.api.app import create_app

    client = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None}).test_client()
    body = {"profile": {"age": 45, "sex": "male"}, "locale": "en"}
    answer = client.post("/v1/products/XF-MULTI-MEN/alternatives", json=body).get_json()
    (notice,) = [n for n in answer["notices"] if n["code"] == "page_product_not_suited"]
    assert "go with it" not in notice["text"]
    assert "only alternatives that suit your profile" in notice["text"]  # session 29 wording
    page = {**body, "placement": "product_page", "product_sku": "XF-MULTI-MEN"}
    answer = client.post("/v1/recommendations", json=page).get_json()
    (notice,) = [n for n in answer["notices"] if n["code"] == "page_product_not_suited"]
    assert "go with it" in notice["text"]


def test_the_placements_list_refuses_an_unknown_parameter():
    """Review s35b F10: `/v1/placements?x=1` answered 200 while every other GET refuses an
    unknown parameter (a typo is not silently ignored)."""
    from .conftest import memory_app

    client = memory_app().test_client()
    answer = client.get("/v1/placements?x=1")
    assert answer.status_code == 422 and answer.get_json()["error"]["fields"] == {
        "x": ["Unknown field."]
    }
    assert client.get("/v1/placements").status_code == 200
