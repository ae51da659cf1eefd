"""Review s33b (a hostile tester and a newcomer), notes/review_s33b.md:

F1 an emptied or missing rules/merchandising folder went live as a good set of 0 rules: every
   risk-group advice (NL 70+, children, pregnancy) and every exclude rule gone, `/readyz`
   ready, `rules check` "ok: 0 rules", while `rules lint` and `rules diff` refused it. The
   loader the service, check and reload share now refuses it (`no-rule-files`); a file with
   `rules: []` is how to say "none".
F2 invisible format characters (zero-width joiner or space, word joiner, soft hyphen: unicode
   category Cf) hid a disease claim from the claim patterns: "Magnesium pre\u200dvents
   osteo\u200dporosis." passed check and lint and was served. Such characters are refused in
   every text of a data file, and the served-time claim check reads a text without them and
   in NFKC form (fullwidth letters as plain ones).
F4 one purchase sent with and without its offset (2026-11-20T10:00:00, the market's own time,
   and 2026-11-20T10:00:00+01:00 in NL: one instant) counted as two packs: the naive time was
   stored as sent and compared as text; the refill ran out four months late. A stored time
   without an offset is read as the market's (as its day already was) and the same event once.
F3 a condition on skin_type or serum_25ohd_nmol_l without has() passed lint and never held for
   a customer who gives no such field; refused with the guard, as higher_dose_advised was.
F5-F7 an encoded '/' in a customer id got the router's 404, a fullwidth country marshmallow's
   "does not match expected pattern", `refresh --timeout nan` passed the range check.
"""

from __future__ import annotations

import datetime as dt

import pytest

from service.core.lint import lint
from service.core.rules import rule_files

from .conftest import TODAY, recommend
from .test_s31b_data import app_for, check
from .test_s32b_data_texts import line_in, refused_at

OLD_PEOPLE = {"profile": {"age": 75, "country": "NL"}}


def _rule_codes(answer: dict) -> set[str]:
    return {
        r["code"] for i in answer["items"] for r in i["reasons"] if r["code"].startswith("rule:")
    }


# ---------------------------------------------------------------- F1
@pytest.mark.parametrize("how", ["emptied", "removed"])
def test_an_emptied_rule_folder_is_refused_and_the_last_good_rules_keep_serving(data_copy, how):
    client = app_for(data_copy).test_client()
    before = recommend(client, OLD_PEOPLE)
    assert "rule:nl-70-plus-vitamin-d" in _rule_codes(before), before
    folder = data_copy.merchandising_dir
    for path in rule_files(folder):
        path.rename(data_copy.rules / f"{path.stem}.moved")
    if how == "removed":
        folder.rmdir()
    reload = client.post("/v1/admin/reload")
    assert reload.status_code == 422, reload.get_json()
    findings = reload.get_json()["reload"]["findings"]
    assert [(f["code"], f["message"]) for f in findings] == [
        ("no-rule-files", "no rule files (*.yaml) here")
    ], findings
    after = recommend(client, OLD_PEOPLE)
    assert after["versions"]["rules"] == before["versions"]["rules"]
    assert "rule:nl-70-plus-vitamin-d" in _rule_codes(after), after
    out = check(data_copy)
    assert out.exit_code == 1 and "no-rule-files: no rule files (*.yaml) here" in out.output, (
        out.output
    )


def test_a_rule_file_with_no_rules_is_how_to_say_none(data_copy):
    folder = data_copy.merchandising_dir
    for path in rule_files(folder):
        path.unlink()
    (folder / "none.yaml").write_text(
        'source: "no rules on purpose"\nrules: []\n', encoding="utf-8"
    )
    out = check(data_copy)
    # since session 39 (review s39b F1) the rules a pharmacist's review requires must go too
    assert out.exit_code == 1 and "required_rule: required rule" in out.output, out.output
    required = data_copy.reference_dir / "required_rules.yaml"
    required.write_text('source: "none required on purpose"\nrules: []\n', encoding="utf-8")
    out = check(data_copy)
    assert out.exit_code == 0 and "0 rules" in out.output, out.output


# ---------------------------------------------------------------- F2
def _campaign(rule_id: str, when: str, en: str) -> str:
    """A magnesium campaign rule (YAML, to append to campaigns.yaml) with `when` and `en`."""
    return f"""
  - id: {rule_id}
    description: "Spring campaign on magnesium"
    when: "{when}"
    categories: [magnesium]
    action: boost
    weight: 0.3
    reason:
      nl: "Voorjaarsactie op magnesium."
      de: "Frühjahrsaktion für Magnesium."
      en: "{en}"
"""


def _append(path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    "char", ["\\u200d", "\\u200b", "\\u2060", "\\u00ad", "\\ufeff", "\\u034f", "\\ufe0f"]
)
def test_a_format_character_in_a_text_is_refused_at_its_line(data_copy, char):
    path = data_copy.merchandising_dir / "campaigns.yaml"
    en = f"Magnesium pre{char}vents osteo{char}porosis."
    _append(path, _campaign("hidden-claim", "profile.age >= 18", en))
    line = line_in(path, "      en: ", line_in(path, "id: hidden-claim"))
    code = char[2:].upper()
    message = f"reason.en: format character U+{code} in text"
    assert (line, message) in {(f.line, f.message) for f in lint(data_copy, path, TODAY).errors}
    refused_at(check(data_copy), "campaigns.yaml", line, message)


@pytest.mark.parametrize(
    "text",
    [
        "Magnesium pre\u200dvents osteo\u200dporosis.",
        "Magnesium pre\u00advents osteo\u00adporosis.",
        "Magnesium ｐｒｅｖｅｎｔｓ ｏｓｔｅｏｐｏｒｏｓｉｓ.",  # fullwidth
        "Magnesium pre\u034fvents osteo\u034fporosis.",  # review s33c 1: not Cf
        "Magnesium pre\ufe0fvents osteo\ufe0fporosis.",
    ],
)
def test_the_served_claim_check_reads_a_text_as_the_customer_does(recommender, text):
    reference = recommender.snapshot.reference
    assert reference.forbidden_match("Magnesium prevents osteoporosis.")
    assert reference.forbidden_match(text), text


# ---------------------------------------------------------------- F4


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
def test_one_purchase_with_and_without_its_offset_counts_once(redis, request):
    from .conftest import dated_client, memory_app

    if redis:
        client = dated_client(request.getfixturevalue("redis_url"), dt.date(2026, 12, 6))
    else:
        client = memory_app(dt.date(2026, 12, 6)).test_client()
    assert client.put("/v1/customers/f4", json={"age": 45, "country": "NL"}).status_code == 200
    stamps = [
        "2026-11-20T10:00:00",
        "2026-11-20T10:00:00+01:00",
        "2026-11-20T09:00:00Z",
        "2026-11-20T11:00:00+02:00",
    ]
    for stamp in stamps:  # one call each, as a shop retrying with another serialiser
        event = {"customer_id": "f4", "sku": "XF-D3-20-TAB", "type": "purchase", "timestamp": stamp}
        assert client.post("/v1/events", json={"events": [event]}).status_code == 202
    response = client.get("/v1/customers/f4/refills?locale=en")
    assert response.status_code == 200, response.get_json()
    refill = {r["sku"]: r for r in response.get_json()["refills"]}["XF-D3-20-TAB"]
    # one pack of 120, one a day, from 20 November
    assert (refill["packs"], refill["purchases"]) == (1, 1), refill
    assert refill["runs_out_on"] == "2027-03-20", refill
    # a purchase an hour later is another one
    later = {"customer_id": "f4", "sku": "XF-D3-20-TAB", "type": "purchase"}
    later["timestamp"] = "2026-11-20T11:00:00"
    assert client.post("/v1/events", json={"events": [later]}).status_code == 202
    refill = {r["sku"]: r for r in client.get("/v1/customers/f4/refills").get_json()["refills"]}
    assert refill["XF-D3-20-TAB"]["packs"] == 2


# ---------------------------------------------------------------- F3


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ("profile.serum_25ohd_nmol_l > 125.0", "serum_25ohd_nmol_l"),
        ("profile.skin_type >= 5", "skin_type"),
    ],
)
def test_an_unguarded_optional_field_is_refused_with_the_guard(data_copy, condition, field):
    """F3: the condition never held for a customer who gives no such field (most of them)."""
    path = data_copy.merchandising_dir / "campaigns.yaml"
    when = f"profile.age >= 18 && !({condition})"
    _append(path, _campaign("unguarded-optional", when, "Spring offer on magnesium."))
    line = line_in(path, "    when: ", line_in(path, "id: unguarded-optional"))
    message = (
        f"profile condition: profile.{field} is only present when the request gives it, and the "
        f"condition fails without it; guard it: has(profile.{field}) && ..."
    )
    assert (line, message) in {(f.line, f.message) for f in lint(data_copy, path, TODAY).errors}
    refused_at(check(data_copy), "campaigns.yaml", line, message)
    # guarded as the docs say, it loads
    guarded = f"has(profile.{field}) && {condition}"
    text = path.read_text(encoding="utf-8").replace(condition, guarded)
    path.write_text(text, encoding="utf-8")
    assert check(data_copy).exit_code == 0


# ---------------------------------------------------------------- F5, F6, F7
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/v1/customers/a%2Fb"),
        ("get", "/v1/customers/..%2F..%2Fx/recommendations"),
        ("get", "/v1/customers/a%2fb/refills"),
    ],
)
def test_an_encoded_slash_in_a_customer_id_gets_the_ids_422(client, method, path):
    """F5: the router's generic 404 ("The requested URL was not found ... check your spelling")
    said nothing of why; the id's own rule does."""
    response = getattr(client, method)(path, json={"age": 72} if method == "put" else None)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"]["customer_id"] == [
        "no '/' and not '.' or '..': the id must fit in the path /v1/customers/{id}"
    ]


def test_a_fullwidth_country_gets_no_generic_pattern_message(client):
    """F6: "String does not match expected pattern." stood beside the country's own words."""
    body = {"profile": {"age": 40, "country": "ＮＬ"}}
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 422
    messages = response.get_json()["error"]["fields"]["profile.country"]
    assert "two letters A-Z, such as NL or DE" in messages, messages
    assert not [m for m in messages if "expected pattern" in m], messages


@pytest.mark.parametrize("value", ["nan", "1e400"])
def test_refresh_refuses_a_timeout_that_is_no_number_of_seconds(value):
    """F7: `--timeout nan` passed FloatRange(min=0): a NaN deadline compares false forever."""
    from click.testing import CliRunner

    from service.cli import main

    out = CliRunner().invoke(main, ["refresh", "--all", "--timeout", value])
    assert out.exit_code == 2, out.output
    assert "Invalid value for '--timeout'" in out.output, out.output


def test_the_erasure_of_an_id_with_an_encoded_slash_says_where_its_data_is(client):
    """Review s33c 6: DELETE takes any id its path can hold; one with a '/' has none."""
    response = client.delete("/v1/customers/a%2Fb")
    assert response.status_code == 422
    (message,) = response.get_json()["error"]["fields"]["customer_id"]
    assert "removing its keys in Redis" in message, message
