"""Placements (issue 11): the configuration file, its checks and hot reload, rules that name
placements, the customer GET per placement (precomputed and computed), alternatives and cart
texts, the co-purchase table, and the plain list unchanged when no placement is named."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from service.api.app import create_app
from service.cli import main as cli_main
from service.core.errors import DataFileError, InvalidInput
from service.core.placements.copurchase import cooccurrence
from service.core.placements.serve import alternatives_of, recommend_placement
from service.core.placements.strategies import STRATEGIES
from service.core.recommender import Recommender
from service.core.snapshot import load_snapshot
from service.customers import copurchase as copurchase_store
from service.customers.redis_client import get_store
from service.customers.refresh import CachePolicy, refresh_chunk
from service.customers.store import MemoryStore

from .conftest import RULES, TODAY
from .oracle import PRODUCTS, claim_in

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
    assert [p.name for p in config.precomputed] == ["account", "home"]


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
    raw = {
        "profile": {"age": 60, "sex": "female", "goals": ["bones", "muscles"]},
        "basket": [{"sku": "XF-D3-20-TAB"}],
        "placement": "cart",
        "limit": 3,
        "locale": "en",
    }
    plain = recommend_placement(recommender.snapshot, raw, TODAY)
    first, second = plain["items"][0]["sku"], plain["items"][1]["sku"]
    # with the shipped weight (0.15) the signal raises a score, not above a clearly better one
    last = plain["items"][-1]
    weak = recommend_placement(recommender.snapshot, raw, TODAY, {"XF-D3-20-TAB": {last["sku"]: 1}})
    assert weak["items"][-1]["sku"] == last["sku"] and weak["items"][-1]["score"] > last["score"]
    assert weak["items"][-1]["copurchase"] == 1.0
    # with the full weight it reorders the two best
    snapshot = replace(
        recommender.snapshot,
        placements=replace(recommender.snapshot.placements, copurchase_weight=1),
    )
    ranked = recommend_placement(snapshot, raw, TODAY, {"XF-D3-20-TAB": {second: 1}})
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
    assert response.get_json()["items"] == []  # every D3 + K2 product holds vitamin K


# ---------------------------------------------------------------- stored customers
def test_precomputed_placements_are_served_from_the_cache_and_others_computed():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    recommender = app.extensions["dosewise"]
    recommender.clock = lambda: TODAY
    client = app.test_client()
    assert client.put("/v1/customers/p-1", json={"age": 72, "goals": ["bones"]}).status_code == 200
    store = get_store(app)
    refresh_chunk(recommender, store, ["p-1"], CachePolicy(), force=True, today=TODAY)
    for name in ("home", "account"):
        body = client.get(f"/v1/customers/p-1/recommendations?placement={name}").get_json()
        assert body["source"] == "cache" and body["placement"] == name, body
        direct = recommend_placement(
            recommender.snapshot,
            {"profile": {"age": 72, "goals": ["bones"]}, "placement": name},
            TODAY,
        )
        assert [i["sku"] for i in body["items"]] == [i["sku"] for i in direct["items"]]
    for name in ("cart", "email"):  # not precomputed: computed on the request
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


def test_a_placement_hit_logs_no_impression_of_the_plain_list(redis_url):
    """The stored impression describes the plain list; a placement's cached answer is another
    list, so its hit must not log it (training would see items that were not shown)."""
    import redis as redis_lib

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
    home = client.get("/v1/customers/imp-1/recommendations?placement=home")
    assert home.get_json()["source"] == "cache"
    after = redis.xlen("dw:impressions") if redis.exists("dw:impressions") else 0
    assert after == before
