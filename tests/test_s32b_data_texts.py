"""Review s32b, data-file validation (notes/review_s32b.md):

F3 an integer of a data file took a decimal and truncated it: `servings_per_day: 1.5` on the
   75 µg vitamin D tablet counted 75 µg a day (the label says 112.5, above the NL maximum of
   75) and `rules check` said ok; likewise pack_size, min_age/max_age, a rule's position and
   priority, an upper-limit band's ages, refills.yaml's days. Now refused at its line: "must be
   a whole number, got 1.5" (2.0 too: an integer is written as one, as the HTTP API asks).
F4 a blank or whitespace-only text, a control character (NUL) or a bidi override (U+202E) in a
   rule's reason, a product name, texts.yaml, placements.yaml passed: a blank `en` reason took
   a campaign's items away from English customers. Now refused at the text's line.
"""

from __future__ import annotations

import re

import pytest

from service.core.lint import lint

from .conftest import TODAY
from .test_s31b_data import app_for, check, edit_product

SKU = "XF-D3-75-TAB"  # 75 µg vitamin D, servings_per_day 1, pack_size 120, min_age 18


def line_in(path, text: str, start: int = 1) -> int:
    """The line (1-based) of the first line at or after `start` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if i >= start and text in line)


def refused_at(out, file: str, line: int, message: str) -> None:
    assert out.exit_code == 1, out.output
    pattern = rf"{re.escape(file)}:(\d+):\d+: \w+: (.*?)(?: \[rule [^]]*\])?$"
    found = re.findall(pattern, out.output, re.MULTILINE)
    assert (str(line), message) in found, out.output


def replace(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_data_loads_clean(data_copy):
    out = check(data_copy)
    assert out.exit_code == 0, out.output
    assert not lint(data_copy, today=TODAY).errors


# ---------------------------------------------------------------- F3: whole numbers
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("servings_per_day: 1\n", "servings_per_day: 1.5\n", "must be a whole number, got 1.5"),
        ("servings_per_day: 1\n", "servings_per_day: 2.0\n", "must be a whole number, got 2.0"),
        ("pack_size: 120\n", "pack_size: 60.9\n", "must be a whole number, got 60.9"),
        ("min_age: 18\n", "min_age: 17.5\n", "must be a whole number, got 17.5"),
        ("max_age: null\n", "max_age: 70.5\n", "must be a whole number, got 70.5"),
    ],
    ids=["servings-1.5", "servings-2.0", "pack_size", "min_age", "max_age"],
)
def test_a_decimal_catalog_integer_is_refused_at_its_line(data_copy, old, new, message):
    start = edit_product(data_copy, SKU, old, new)
    field = new.split(":")[0]
    out = check(data_copy)
    refused_at(
        out, "products.yaml", line_in(data_copy.catalog, new.strip(), start), f"{field}: {message}"
    )


def test_a_refused_servings_per_day_keeps_the_last_good_catalog_serving(data_copy):
    client = app_for(data_copy).test_client()
    assert client.get(f"/v1/products/{SKU}").get_json()["servings_per_day"] == 1
    edit_product(data_copy, SKU, "servings_per_day: 1\n", "servings_per_day: 1.5\n")
    reload = client.post("/v1/admin/reload")
    assert reload.status_code == 422, reload.get_json()
    messages = [f["message"] for f in reload.get_json()["reload"]["findings"]]
    assert "servings_per_day: must be a whole number, got 1.5" in messages, messages
    page = client.get(f"/v1/products/{SKU}").get_json()
    assert page["servings_per_day"] == 1 and page["nutrients_per_day"]["vitamin_d_ug"] == 75


@pytest.mark.parametrize(
    ("old", "new"),
    [("    priority: 40\n", "    priority: 1.5\n"), ("    weight: 0.2\n", "    position: 2.7\n")],
    ids=["priority", "position"],
)
def test_a_decimal_rule_integer_is_refused_at_its_line(data_copy, old, new):
    path = data_copy.merchandising_dir / "campaigns.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: winter-2026-d3-k2-flagship\n")
    end = text.index("\n  - id: ", start + 1)
    block = text[start:end].replace(old, new, 1)
    if "position" in new:
        block = block.replace("action: boost", "action: pin")
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    line = line_in(path, new.strip())
    field, value = new.strip().split(": ")
    (finding,) = [f for f in lint(data_copy, path, TODAY).errors if field in f.message]
    assert (finding.line, finding.message) == (
        line,
        f"{field}: must be a whole number, got {value}",
    )
    refused_at(check(data_copy), "campaigns.yaml", line, finding.message)


def test_a_decimal_age_band_of_the_upper_limits_is_refused(data_copy):
    path = data_copy.reference_dir / "upper_limits.yaml"
    line = line_in(path, "max_age: 17")
    replace_first(path, "max_age: 17", "max_age: 17.5")
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert re.search(
        rf"upper_limits\.yaml:{line}:\d+: schema: .*max_age: must be a whole number, got 17\.5",
        out.output,
    ), out.output


def replace_first(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_decimal_refill_setting_is_refused(data_copy):
    path = data_copy.rules / "refills.yaml"
    line = line_in(path, "remind_days_before: 14")
    replace_first(path, "remind_days_before: 14", "remind_days_before: 14.5")
    refused_at(
        check(data_copy),
        "refills.yaml",
        line,
        "remind_days_before: must be a whole number, got 14.5",
    )


# ---------------------------------------------------------------- F4: blank and control texts
BAD_REASON = r"""
  - id: spring-magnesium
    description: "Spring campaign on magnesium"
    when: "profile.age >= 18"
    categories: [magnesium]
    action: boost
    weight: 0.3
    reason:
      nl: "Voorjaarsactie op magnesium\u0000."
      de: "Frühjahrsaktion für Magnesium.\u202e"
      en: "   "
"""


def test_a_blank_or_control_character_reason_is_refused_at_its_line(data_copy):
    path = data_copy.merchandising_dir / "campaigns.yaml"
    path.write_text(path.read_text(encoding="utf-8") + BAD_REASON, encoding="utf-8")
    start = line_in(path, "id: spring-magnesium")
    lines = {loc: line_in(path, f"      {loc}: ", start) for loc in ("nl", "de", "en")}
    expected = {
        (lines["nl"], "reason.nl: control character U+0000 in text"),
        (lines["de"], "reason.de: bidi control character U+202E in text"),
        (lines["en"], "reason.en: blank text"),
    }
    found = {(f.line, f.message) for f in lint(data_copy, path, TODAY).errors}
    assert found >= expected, found
    out = check(data_copy)
    for line, message in expected:
        refused_at(out, "campaigns.yaml", line, message)


def test_a_blank_product_name_is_refused_at_its_line(data_copy):
    start = edit_product(data_copy, SKU, 'en: "XTRA FUEL Vitamin D3 75 µg Tablets"', 'en: "  "')
    refused_at(check(data_copy), "products.yaml", start + 1, "name.en: blank text")


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "reference/texts.yaml",
            'en: "Tops up your',
            'en: "\\u2066Tops up your',
            "texts.reason_fills_gap.en: bidi control character U+2066 in text",
        ),
        (
            "reference/claims.yaml",
            'en: "Vitamin D contributes to normal absorption',
            'en: "\\x1bVitamin D contributes to normal absorption',
            "claims.vitamin_d_calcium_absorption.text.en: control character U+001B in text",
        ),
        (
            "placements.yaml",
            'alternative_vegetarian: {nl: "vegetarisch", de: "vegetarisch", en: "vegetarian"}',
            'alternative_vegetarian: {nl: "vegetarisch", de: "vegetarisch", en: " \\t"}',
            "texts.alternative_vegetarian.en: blank text",
        ),
    ],
    ids=["texts", "claims", "placements"],
)
def test_a_bad_text_of_the_other_files_is_refused_at_its_line(data_copy, file, old, new, message):
    path = data_copy.rules / file
    line = line_in(path, old)
    replace(path, old, new)
    out = check(data_copy)
    refused_at(out, file.rsplit("/", 1)[-1], line, message)


def test_a_newline_and_a_tab_stay_allowed(data_copy):
    path = data_copy.merchandising_dir / "campaigns.yaml"
    ok = (
        BAD_REASON.replace(r"magnesium\u0000.", r"magnesium.\nNu")
        .replace(r"Magnesium.\u202e", r"Magnesium.\t")
        .replace('en: "   "', 'en: "Spring offer on magnesium."')
    )
    path.write_text(path.read_text(encoding="utf-8") + ok, encoding="utf-8")
    assert not lint(data_copy, path, TODAY).errors
    assert check(data_copy).exit_code == 0


@pytest.mark.parametrize(
    ("file", "key", "old", "new", "message"),
    [
        (
            "regimen_texts.yaml",
            "  role:",
            'en: "Gives {parts} a day towards the advice for your profile."',
            'en: "\\u202dGives {parts} a day towards the advice for your profile."',
            "schema: role (en): bidi control character U+202D in text",
        ),
        (
            "targets.yaml",
            "  gezondheidsraad:",
            'en: "the Dutch Health Council advises',
            'en: "\\x00the Dutch Health Council advises',
            "advice: authority gezondheidsraad (en): control character U+0000 in text",
        ),
    ],
    ids=["regimen_texts", "targets-authority"],
)
def test_a_bad_text_of_a_file_checked_by_hand_is_refused(data_copy, file, key, old, new, message):
    """The files that are not checked with a schema share the helper: text_problem."""
    path = data_copy.reference_dir / file
    line = line_in(path, key)
    replace_first(path, old, new)
    out = check(data_copy)
    assert out.exit_code == 1, out.output
    assert f"{file}:{line}:1: {message}" in out.output, out.output
