"""Review s32b (a hostile tester and a newcomer, /work/notes/review_s32b.md): F2, F5-F8. F1
(a costly rule condition) is tests/test_s32b_cel_cost.py, F3 and F4 (data files' numbers and
texts) tests/test_s32b_data_texts.py."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.cli import main
from service.customers.redis_client import cache_policy, get_store
from service.customers.refresh import refresh_chunk

from .conftest import memory_app, redis_app, store_customer


# ------------------------------------------------------------------ F2: refills.yaml refused
@pytest.mark.parametrize("placement", ["email", "account", "home"])
def test_without_refill_settings_placements_still_count_what_is_taken(data_copy, placement):
    # a woman of 72 who bought a 75 µg vitamin D tablet 8 days before: the e-mail and account
    # placements (whose chains read purchases through the refill settings) offered two 20 µg
    # vitamin D products (102 µg a day with food, above the 100 µg upper limit) while
    # rules/refills.yaml was refused, and skipped the check of the purchases
    (data_copy.rules / "refills.yaml").write_text("source: x\n")
    client = memory_app(data=data_copy).test_client()
    profile = {"age": 72, "country": "NL", "sex": "female", "goals": ["bones"]}
    store_customer(client, "s32b-f2", profile, {"XF-D3-75-TAB": "2026-11-20"})
    assert client.get("/v1/customers/s32b-f2/refills").status_code == 503  # as documented
    url = f"/v1/customers/s32b-f2/recommendations?placement={placement}&locale=en"
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["intake"]["vitamin_d_ug"]["current"] == 75, body["intake"]
    vitamin_d = [i["sku"] for i in body["items"] if i["nutrients_per_day"].get("vitamin_d_ug")]
    assert vitamin_d == [], body["items"]


# ------------------------------------------------------------------ F6: refresh --force
def test_a_forced_refresh_computes_every_profile_again(redis_url):
    # `refresh --all --force` within the hour took every list from today's shared results
    # ("0 distinct profiles computed"): a fix that leaves the fingerprint alone never landed
    app = redis_app(redis_url)
    store, recommender = get_store(app), app.extensions["dosewise"]
    ids = ["s32b-f6-a", "s32b-f6-b", "s32b-f6-c"]
    for customer_id in ids:
        store.put_profile(customer_id, {"age": 40, "country": "NL"})  # one distinct profile
    first = refresh_chunk(recommender, store, ids, cache_policy(app))
    assert first["computed"] == 1
    again = refresh_chunk(recommender, store, ids, cache_policy(app))
    assert again["computed"] == 0 and again["skipped"] == 3  # fresh: nothing to do
    forced = refresh_chunk(recommender, store, ids, cache_policy(app), force=True)
    assert forced["computed"] == 1, forced


# ------------------------------------------------------------------ F7, F8: the CLI
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--all", "--customer", "x-1"], "not --all and --customer together"),
        (["--status", "--all"], "not --all and --status together"),
        (["--customer", ""], "--customer needs a customer id"),
        (["--all", "--timeout", "-5"], "-5"),
    ],
)
def test_refresh_options_that_contradict_are_a_usage_error(args, said):
    result = CliRunner().invoke(main, ["refresh", *args])
    assert result.exit_code == 2, result.output
    assert said in result.output, result.output


def test_rules_test_on_a_folder_without_cases_fails(tmp_path):
    result = CliRunner().invoke(main, ["rules", "test", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "no test cases" in result.output


# ------------------------------------------------------------------ F10: small ones
def test_explain_says_which_keeps_a_rule_off(tmp_path):
    # "inactive (disabled, outside its dates or market)" named all three; nl-winter-vitamin-d
    # is `enabled: false`, the summer 2027 campaign starts on 1 June 2027
    profile = tmp_path / "p.json"
    profile.write_text('{"age": 40, "country": "NL"}', encoding="utf-8")

    def statuses(sku: str) -> dict[str, str]:
        args = ["explain", "--profile", str(profile), "--sku", sku, "--format", "json"]
        result = CliRunner().invoke(main, [*args, "--date", "2026-11-28"])
        assert result.exit_code == 0, result.output
        return {r["rule"]: r["status"] for r in json.loads(result.output)["rules"]}

    said = statuses("XF-D3-20-TAB")["nl-winter-vitamin-d"]
    assert said == "inactive: disabled (enabled: false)"
    said = statuses("XF-OMEGA3-FORTE-SG")["summer-2027-omega3"]
    assert said == "inactive: starts on 2027-06-01 (valid_from)"


def test_a_413_says_the_same_however_the_body_came(client):
    big = b'{"profile": {"age": 40}, "x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    response = client.post(
        "/v1/recommendations", data=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "the body is larger than 1048576 bytes"


def test_rules_lint_refuses_an_unknown_query_parameter(client):
    response = client.get("/v1/rules/lint?strict=1")
    assert response.status_code == 422, response.get_json()
    assert "strict" in response.get_json()["error"]["fields"]
    assert client.get("/v1/rules/lint").status_code == 200


def test_an_unknown_field_lists_the_fields_of_its_object(tmp_path):
    # "known fields: age, allergies, basket, calcium_mg, categories, ..." mixed every level
    from service.core.expressions import ExpressionError, explain_evaluation_error

    known = {"profile": {"age": 1, "sex": "f"}, "intake": {"vitamin_d_ug": 0.0}}
    said = explain_evaluation_error(
        ExpressionError("unknown field 'shoe_size'"), known, "profile.shoe_size > 42"
    )
    assert said.endswith("profile has: age, sex"), said
    said = explain_evaluation_error(ExpressionError("unknown field 'agee'"), known, "profile.agee")
    assert said.endswith("did you mean 'age'?"), said


def test_a_bad_rule_id_says_which_ids_are_allowed(data_copy):
    # "schema: id: String does not match expected pattern." named no pattern
    rule = (
        'source: "test"\n'
        "rules:\n"
        "  - id: Spring_X\n"
        '    description: "x"\n'
        "    skus: [XF-D3-20-TAB]\n"
        "    action: exclude\n"
    )
    (data_copy.rules / "merchandising" / "spring.yaml").write_text(rule, encoding="utf-8")
    args = ["rules", "check", "--rules", str(data_copy.rules), "--catalog", str(data_copy.catalog)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0, result.output
    (line,) = [x for x in result.output.splitlines() if "spring.yaml" in x and "id:" in x]
    assert "lowercase letters, digits and hyphens" in line, result.output
    assert ":3:" in line, line


def test_rules_check_prints_findings_in_line_order(data_copy):
    keys = "".join(f"x{i}: {i}\n" for i in range(9))
    text = 'source: "test"\nrules: []\n' + keys
    (data_copy.rules / "merchandising" / "spring.yaml").write_text(text, encoding="utf-8")
    args = ["rules", "check", "--rules", str(data_copy.rules), "--catalog", str(data_copy.catalog)]
    result = CliRunner().invoke(main, args)
    lines = [int(x.split(":")[1]) for x in result.output.splitlines() if "spring.yaml:" in x]
    assert len(lines) == 9 and lines == sorted(lines), result.output
