"""Session 18 review: the tools a merchandiser and an integrator use refuse ordinary mistakes
with a line that says what to fix, never a traceback or a silent answer.

F1 `dosewise rules test` on a malformed case (a date that is no date, a dose band that is a
   number, no `expect:`), and the message of `first_dose` on an empty list.
F2 CLI profile files with a key given twice (the API answers 400 for the same body).
F3 unknown query parameters on the product GETs (the other GETs answer 422).
F4 a compressed request body (`Content-Encoding`) is 415, not a JSON or UTF-8 error.
F5 lint's "did you mean" for a key of an optional map that is only present when given.
"""

from __future__ import annotations

import gzip
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.core.lint import lint
from service.core.snapshot import DataPaths

from .conftest import CATALOG, RULES, TODAY

DATA = ["--catalog", str(CATALOG), "--rules", str(RULES)]


def run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


# ------------------------------------------------------------------ F1 rules test refusals
def rules_test(tmp_path: Path, cases: str):
    path = tmp_path / "cases.yaml"
    path.write_text(textwrap.dedent(cases).lstrip("\n"), encoding="utf-8")
    result = run(["rules", "test", str(path), *DATA, "--date", TODAY.isoformat()])
    assert "Traceback" not in result.output
    return path, result


def failed_case(result, path: Path, line: int, name: str) -> list[str]:
    """The failure lines of the case `name` at `line`, asserting the run failed on it."""
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    head = f"FAIL {path}:{line} {name}"
    assert head in lines, result.stdout
    after = lines[lines.index(head) + 1 :]
    reasons = []
    for text in after:
        if not text.startswith("     "):
            break
        reasons.append(text.strip())
    assert reasons, result.stdout
    return reasons


def test_rules_test_refuses_a_date_that_is_no_date(tmp_path):
    """Regression: `date: 28-11-2026` crashed with AttributeError: 'str' object has no
    attribute 'month'."""
    path, result = rules_test(
        tmp_path,
        """
        cases:
          - name: a day written the Dutch way
            profile: {age: 72, country: NL}
            date: 28-11-2026
            expect:
              roles: [vitamin_d]
        """,
    )
    (reason,) = failed_case(result, path, 2, "a day written the Dutch way")
    assert "`date`" in reason and "28-11-2026" in reason and "2026-11-28" in reason, reason
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"


@pytest.mark.parametrize(
    ("expect", "words"),
    [
        ("first_dose: {vitamin_d_ug: 20}", ["first_dose", "vitamin_d_ug", "[low, high]"]),
        ("first_dose: {vitamin_d_ug: [20, x]}", ["first_dose", "vitamin_d_ug", "[low, high]"]),
        ("first_dose: [20, 50]", ["first_dose", "mapping"]),
        ("max_dose: {vitamin_d_ug: [20, 50]}", ["max_dose", "vitamin_d_ug", "a number"]),
        ("include: XF-D3K2-TAB", ["include", "a list"]),
        ("reasons: 5", ["reasons", "a list"]),
        ("reasons: {nl-70-plus-vitamin-d: 1}", ["reasons", "a list"]),
        ("positions: {XF-D3K2-TAB: first}", ["positions", "XF-D3K2-TAB", "a whole number"]),
        ("max_items: three", ["max_items", "a whole number"]),
        ("empty: maybe", ["empty", "true or false"]),
        ("advice: {vitamin_d_ug: ten}", ["advice", "vitamin_d_ug", "a number or null"]),
    ],
)
def test_rules_test_refuses_an_expectation_of_the_wrong_shape(tmp_path, expect, words):
    """Regression: `first_dose: {vitamin_d_ug: 20}` crashed with TypeError: cannot unpack
    non-iterable int object; `include: SKU` (no list) checked each letter as a SKU."""
    path, result = rules_test(
        tmp_path,
        f"""
        cases:
          - name: a typo in an expectation
            profile: {{age: 72, country: NL}}
            expect:
              {expect}
        """,
    )
    reasons = failed_case(result, path, 2, "a typo in an expectation")
    assert len(reasons) == 1, reasons
    for word in words:
        assert word in reasons[0], reasons[0]


@pytest.mark.parametrize("expect", ["", "expect:\n", "expect: {}\n", "expct: {first: X}\n"])
def test_rules_test_refuses_a_case_that_checks_nothing(tmp_path, expect):
    """Regression: a case without `expect:` (or with a misspelt one) passed silently."""
    path, result = rules_test(
        tmp_path,
        "cases:\n  - name: nothing expected\n    profile: {age: 72, country: NL}\n"
        + (f"    {expect}" if expect else ""),
    )
    reasons = failed_case(result, path, 2, "nothing expected")
    assert any("checks nothing" in r for r in reasons), reasons
    if expect.startswith("expct"):
        assert any("expct" in r and "did you mean 'expect'" in r for r in reasons), reasons


def test_rules_test_says_the_list_is_empty_when_a_dose_band_is_expected(tmp_path):
    """Regression: "... a day; nothing gives None"."""
    path, result = rules_test(
        tmp_path,
        """
        cases:
          - name: a man of 55 has no vitamin D advice
            profile: {age: 55, sex: male, country: NL}
            expect:
              first_dose: {vitamin_d_ug: [20, 50]}
        """,
    )
    (reason,) = failed_case(result, path, 2, "a man of 55 has no vitamin D advice")
    assert reason == "expected the first item to give 20-50 vitamin_d_ug a day; the list is empty"


# ------------------------------------------------------------------ F2 profile files
@pytest.mark.parametrize("command", [["recommend"], ["check-intake"], ["explain", "--sku", "X"]])
@pytest.mark.parametrize(
    ("content", "line", "key"),
    [
        ("age: 40\nage: 3\n", 2, "age"),
        ("profile:\n  age: 40\n  country: NL\n  age: 3\n", 4, "age"),
        (
            '{"age": 40,\n "higher_dose_advised": {"vitamin_d_ug": 50,\n "vitamin_d_ug": 5}}',
            3,
            "vitamin_d_ug",
        ),
    ],
)
def test_a_profile_file_with_a_key_given_twice_is_refused(tmp_path, command, content, line, key):
    """Regression: the second `age` won silently (a child's answer, exit 0); the API answers
    400 "duplicate key 'age'" for the same body."""
    path = tmp_path / "dup.yaml"
    path.write_text(content, encoding="utf-8")
    result = run([*command, *DATA, "--profile", str(path)])
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [text for text in result.stderr.splitlines() if text.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"dosewise: {path}:{line}:"), lines[0]
    assert f"duplicate key {key!r}" in lines[0], lines[0]


def test_a_profile_file_with_a_merge_key_is_no_duplicate(tmp_path):
    """YAML's merge key (`<<:`) overridden by a key of its own is not a key given twice."""
    path = tmp_path / "merged.yaml"
    path.write_text(
        "base: &base {age: 40, country: NL}\nprofile:\n  <<: *base\n  age: 72\n", encoding="utf-8"
    )
    result = run(["check-intake", *DATA, "--profile", str(path)])
    assert "duplicate key" not in result.output


# ------------------------------------------------------------------ F3 product GET queries
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/v1/products?categroy=iron", "categroy"),
        ("/v1/products?limit=5&vegna=true", "vegna"),
        ("/v1/products/XF-D3K2-TAB?foo=1", "foo"),
        ("/v1/products/XF-D3K2-TAB?lcoale=de", "lcoale"),
    ],
)
def test_product_gets_refuse_an_unknown_query_parameter_as_the_other_gets(client, url, name):
    """Regression: `?categroy=iron` served the whole catalog; `/v1/products/{sku}?foo=1` 200."""
    answer = client.get(url)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    other = client.get("/v1/products/XF-D3K2-TAB/alternatives?country=NL&" + name + "=1")
    assert other.status_code == 422
    error, expected = answer.get_json()["error"], other.get_json()["error"]
    assert error == {**expected, "fields": {name: ["Unknown field."]}}
    assert expected["fields"] == {name: ["Unknown field."]}


def test_product_gets_still_take_their_own_parameters(client):
    assert (
        client.get("/v1/products?category=vitamin_d&vegan=true&limit=5&offset=0").status_code == 200
    )
    assert client.get("/v1/products/XF-D3K2-TAB?locale=de").status_code == 200


# ------------------------------------------------------------------ F4 compressed bodies
PROFILE = {"profile": {"age": 72, "country": "NL"}}
COMPRESSED = "compressed request bodies are not accepted; send the JSON uncompressed"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/v1/recommendations", PROFILE),
        ("post", "/v1/regimens", PROFILE),
        ("post", "/v1/intake/check", {**PROFILE, "basket": []}),
        ("put", "/v1/customers/s18-gzip", PROFILE["profile"]),
    ],
)
@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "GZIP", "identity, gzip"])
def test_a_compressed_body_is_415_in_the_contracts_error_format(client, method, url, body, coding):
    """Regression: gzip was 400 malformed_json "'utf-8' codec can't decode byte 0x8b"; `br` on
    plain JSON was ignored and answered."""
    data = json.dumps(body).encode()
    if "gzip" in coding.lower():
        data = gzip.compress(data)
    answer = getattr(client, method)(
        url,
        data=data,
        headers={"Content-Type": "application/json", "Content-Encoding": coding},
    )
    assert answer.status_code == 415, (answer.status_code, answer.get_data(as_text=True))
    assert answer.headers["Content-Type"] == "application/json"
    error = answer.get_json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert COMPRESSED in error["message"]
    assert error["fields"] == {}
    assert answer.headers.get("Accept-Encoding") == "identity"


def test_an_identity_content_encoding_is_taken_as_no_encoding(client):
    answer = client.post(
        "/v1/recommendations",
        data=json.dumps(PROFILE),
        headers={"Content-Type": "application/json", "Content-Encoding": "identity"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_an_optional_body_left_out_is_not_refused_for_its_content_encoding(client):
    """`Content-Encoding` on no body compresses nothing: the admin reload still answers."""
    answer = client.post("/v1/admin/reload", headers={"Content-Encoding": "gzip"})
    assert answer.status_code != 415, answer.get_data(as_text=True)


# ------------------------------------------------------------------ F5 lint: optional maps
def lint_when(tmp_path: Path, when: str):
    path = tmp_path / "rules.yaml"
    text = (
        "source: test\nrules:\n  - id: doctor\n    description: x\n    action: exclude\n"
        f"    skus: [XF-D3K2-TAB]\n    when: {json.dumps(when)}\n"
    )
    path.write_text(text, encoding="utf-8")
    findings = lint(DataPaths(CATALOG, RULES), path, TODAY).findings
    return [f for f in findings if f.code == "expression"], text.splitlines()


@pytest.mark.parametrize(
    ("when", "key"),
    [
        ("profile.higher_dose_advised.vitamin_d_ug > 10.0", "vitamin_d_ug"),
        ("profile.age > 18 && profile.higher_dose_advised.vitamin_d_iu >= 4000.0", "vitamin_d_iu"),
    ],
)
def test_lint_says_to_guard_a_key_of_an_optional_map_with_has(tmp_path, when, key):
    """Regression: "unknown field 'vitamin_d_ug'; did you mean 'vitamin_d_ug'?"."""
    (finding,), lines = lint_when(tmp_path, when)
    assert f"did you mean {key!r}" not in finding.message, finding.message
    assert "only present when" in finding.message, finding.message
    assert f"has(profile.higher_dose_advised.{key})" in finding.message, finding.message
    assert (finding.line, finding.column) == (7, lines[6].index(key) + 1)


def test_lint_of_a_guarded_optional_key_is_clean(tmp_path):
    when = "has(profile.higher_dose_advised.vitamin_d_ug) && "
    when += "profile.higher_dose_advised.vitamin_d_ug > 10.0"
    assert lint_when(tmp_path, when)[0] == []


def test_lint_of_a_key_no_request_can_give_still_says_did_you_mean(tmp_path):
    (finding,), _ = lint_when(tmp_path, "profile.higher_dose_advised.vitamin_dd_ug > 10.0")
    assert "unknown field 'vitamin_dd_ug'" in finding.message
    assert "did you mean 'vitamin_d_ug'" in finding.message
    assert "has(" not in finding.message
