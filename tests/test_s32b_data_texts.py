"""Review s32b, data-file validation (notes/review_s32b.md):

F3 an integer of a data file took a decimal and truncated it: `servings_per_day: 1.5` on the
   75 µg vitamin D tablet counted 75 µg a day (the label says 112.5, above the NL maximum of
   75) and `rules check` said ok; likewise pack_size, min_age/max_age, a rule's position and
   priority, an upper-limit band's ages, refills.yaml's days. Now refused at its line: "must be
   a whole number, got 1.5" (2.0 too: an integer is written as one, as the HTTP API asks).
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
