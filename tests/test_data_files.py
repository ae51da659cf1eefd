"""Broken rule, reference and catalog files are refused with file, line and reason, and the last
good data keeps serving (core, HTTP, file watch and `dosewise rules check`).

Every broken file is written as text here, and every expected line is computed from that text.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.api.app import create_app
from service.cli import main
from service.core.errors import DataFileError, Finding
from service.core.recommender import Recommender
from service.core.snapshot import DataPaths, load_snapshot

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "catalog" / "products.yaml"
RULES = ROOT / "rules"
TODAY = dt.date(2026, 11, 28)  # as in conftest: inside the shipped winter campaign
FLAGSHIP = "XF-D3K2-TAB"
# serum 25(OH)D below 30 nmol/l justifies the 75 µg flagship (guarantee 10: dose band)
SENIOR = {"profile": {"age": 72, "country": "NL", "serum_25ohd_nmol_l": 25.0}}

# Authorised wording (claims.yaml), so that a valid rule passes the disease-claim check.
# two authorised claims: a reason that another reason on the item says whole is not shown twice,
# and the shipped rules already say the first sentence on the flagship
REASON_NL = (
    "Vitamine D draagt bij tot de instandhouding van normale botten. "
    "Vitamine D draagt bij tot de normale werking van het immuunsysteem."
)
REASON_DE = (
    "Vitamin D trägt zur Erhaltung normaler Knochen bei. "
    "Vitamin D trägt zu einer normalen Funktion des Immunsystems bei."
)
REASON_EN = (
    "Vitamin D contributes to the maintenance of normal bones. "
    "Vitamin D contributes to the normal function of the immune system."
)


# ---------------------------------------------------------------- helpers
def write(path: Path, text: str) -> str:
    """Write dedented text; return exactly what was written (to compute expected lines)."""
    text = textwrap.dedent(text)
    path.write_text(text, encoding="utf-8")
    return text


def write_rules(paths: DataPaths, name: str, text: str) -> tuple[Path, str]:
    path = paths.merchandising_dir / name
    return path, write(path, text)


def line_no(text: str, needle: str, after: int = 0) -> int:
    """1-based number of the first line after line `after` that contains `needle`."""
    lines = text.splitlines()
    for number in range(after + 1, len(lines) + 1):
        if needle in lines[number - 1]:
            return number
    raise AssertionError(f"{needle!r} not in the text after line {after}")


def column_no(text: str, line: int, needle: str) -> int:
    """1-based column of `needle` on the given 1-based line."""
    index = text.splitlines()[line - 1].index(needle)
    return index + 1


def refusal(paths: DataPaths) -> list[Finding]:
    """Load as the service does; the data must be refused. Returns the findings."""
    with pytest.raises(DataFileError) as caught:
        load_snapshot(paths)
    assert caught.value.findings, "a refusal must carry at least one finding"
    return caught.value.findings


def same_file(name: str, path: Path) -> bool:
    return Path(name).resolve() == path.resolve()


def findings_in(findings: list[Finding], path: Path) -> list[Finding]:
    return [f for f in findings if same_file(f.file, path)]


def only_finding(findings: list[Finding], path: Path) -> Finding:
    """The data was refused for exactly one reason, in `path`."""
    assert len(findings) == 1, [str(f) for f in findings]
    finding = findings[0]
    assert same_file(finding.file, path), str(finding)
    return finding


def skus(answer: dict) -> list[str]:
    return [item["sku"] for item in answer["items"]]


def valid_boost_rule(rule_id: str, sku: str = FLAGSHIP, weight: float = 0.3) -> str:
    return f"""\
        source: "test"
        rules:
          - id: {rule_id}
            description: "a valid boost rule written by the test"
            when: "profile.age >= 18"
            skus: [{sku}]
            action: boost
            weight: {weight}
            reason:
              nl: "{REASON_NL}"
              de: "{REASON_DE}"
              en: "{REASON_EN}"
        """


# ---------------------------------------------------------------- rule files: syntax
def test_rule_file_yaml_syntax_error_is_refused_at_the_offending_line(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: badly-indented
            description: "weight is indented one space too little"
            when: "profile.age >= 18"
            skus: [{FLAGSHIP}]
            action: boost
           weight: 0.2
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "yaml_syntax"
    assert finding.line == line_no(text, "   weight: 0.2")
    assert finding.message


def test_rule_file_duplicate_key_is_refused_at_the_second_key(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: two-actions
            description: "action given twice: the second would silently win"
            when: "profile.age >= 18"
            skus: [{FLAGSHIP}]
            action: boost
            weight: 0.2
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "action: exclude")
    assert "duplicate key 'action'" in finding.message


def test_rule_cel_syntax_error_in_when_is_refused_at_when_line_with_column_and_rule_id(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: cel-syntax-error
            description: "the condition stops after >="
            when: "profile.age >="
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    when_line = line_no(text, "when:")
    assert finding.line == when_line
    assert finding.code == "expression"
    assert finding.rule_id == "cel-syntax-error"
    assert "syntax error" in finding.message
    # CEL stops at the end of the text: the column right after `>=` (the closing quote).
    assert finding.column == column_no(text, when_line, ">=") + len(">=")


def test_rule_cel_syntax_error_column_points_at_the_offending_character(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: cel-stray-paren
            description: "a stray closing parenthesis"
            when: "profile.age >= )"
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    when_line = line_no(text, "when:")
    assert (finding.line, finding.code, finding.rule_id) == (
        when_line,
        "expression",
        "cel-stray-paren",
    )
    assert "')'" in finding.message
    assert finding.column == column_no(text, when_line, ")"), str(finding)


def test_rule_cel_syntax_error_in_a_literal_block_when_is_refused_at_its_own_line(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: cel-block-error
            description: "a long condition as a literal block; the error is on its 2nd line"
            when: |
              profile.age >= 18 &&
                profile.sex == )
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    error_line = line_no(text, "profile.sex == )")
    assert (finding.code, finding.rule_id) == ("expression", "cel-block-error")
    assert (finding.line, finding.column) == (error_line, column_no(text, error_line, ")")), str(
        finding
    )


def test_rule_cel_syntax_error_in_a_multi_line_plain_when_is_refused_at_its_own_line(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: cel-folded-error
            description: "a plain scalar over two lines; the error is on the second"
            when: profile.age >= 18 &&
              profile.sex == )
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert (finding.code, finding.rule_id) == ("expression", "cel-folded-error")
    assert finding.line == line_no(text, "profile.sex == )"), str(finding)


def test_rule_unknown_profile_field_is_refused_with_did_you_mean(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: typo-in-field
            description: "agee instead of age"
            when: "profile.agee >= 70"
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "when:")
    assert finding.code == "expression"
    assert finding.rule_id == "typo-in-field"
    assert "did you mean 'age'" in finding.message


def test_rule_when_giving_a_number_instead_of_a_boolean_is_refused(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: not-a-condition
            description: "when gives an int, not true or false"
            when: "profile.age"
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "when:")
    assert finding.code == "expression"
    assert finding.rule_id == "not-a-condition"
    assert "true or false" in finding.message
    assert "int" in finding.message


# ---------------------------------------------------------------- rule files: meaning
def test_rule_unknown_sku_is_refused_with_the_close_match(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        """\
        source: "test"
        rules:
          - id: typo-in-sku
            description: "TAX instead of TAB"
            skus: [XF-D3K2-TAX]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "skus:")
    assert finding.code == "unknown_sku"
    assert finding.rule_id == "typo-in-sku"
    assert "unknown SKU 'XF-D3K2-TAX'" in finding.message
    assert f"did you mean {FLAGSHIP!r}" in finding.message


def test_rule_unknown_category_is_refused_with_the_close_match(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        """\
        source: "test"
        rules:
          - id: typo-in-category
            description: "vitamine_d instead of vitamin_d"
            categories: [vitamine_d]
            action: exclude
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "categories:")
    assert finding.code == "unknown_category"
    assert finding.rule_id == "typo-in-category"
    assert "unknown category 'vitamine_d'" in finding.message
    assert "did you mean 'vitamin_d'" in finding.message


def test_rule_unknown_key_is_refused_at_its_line(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: typo-in-key
            description: "wieght instead of weight"
            skus: [{FLAGSHIP}]
            action: bury
            wieght: 0.2
        """,
    )
    findings = refusal(data_copy)
    assert findings_in(findings, path) == findings
    typo = [f for f in findings if "wieght" in f.message]
    assert len(typo) == 1, [str(f) for f in findings]
    assert typo[0].line == line_no(text, "wieght:")
    assert "unknown field" in typo[0].message.lower()
    assert typo[0].rule_id == "typo-in-key"


def test_rule_boost_without_weight_is_refused(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: boost-no-weight
            description: "a boost needs a weight"
            skus: [{FLAGSHIP}]
            action: boost
            reason:
              nl: "{REASON_NL}"
              de: "{REASON_DE}"
              en: "{REASON_EN}"
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    # No `weight:` line exists: the rule itself is the place.
    assert finding.line == line_no(text, "id: boost-no-weight")
    assert "boost needs a weight" in finding.message
    assert finding.rule_id == "boost-no-weight"


def test_rule_pin_without_position_is_refused(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: pin-no-position
            description: "a pin needs a position"
            skus: [{FLAGSHIP}]
            action: pin
            reason:
              nl: "{REASON_NL}"
              de: "{REASON_DE}"
              en: "{REASON_EN}"
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "id: pin-no-position")
    assert "pin needs a position" in finding.message
    assert finding.rule_id == "pin-no-position"


def test_rule_reason_missing_a_locale_is_refused(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: reason-without-de
            description: "German text missing"
            skus: [{FLAGSHIP}]
            action: boost
            weight: 0.2
            reason:
              nl: "{REASON_NL}"
              en: "{REASON_EN}"
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "reason:")
    assert "missing locale(s): de" in finding.message
    assert finding.rule_id == "reason-without-de"


def test_rule_valid_until_before_valid_from_is_refused(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: window-backwards
            description: "ends before it starts"
            skus: [{FLAGSHIP}]
            action: exclude
            valid_from: 2026-12-01
            valid_until: 2026-11-01
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "valid_until:")
    assert "valid_until is before valid_from" in finding.message
    assert finding.rule_id == "window-backwards"


def test_rule_id_duplicated_across_two_files_is_refused_naming_the_first(data_copy):
    rule = f"""\
        source: "test"
        rules:
          - id: first-rule
            description: "unique"
            skus: [{FLAGSHIP}]
            action: exclude
          - id: twice
            description: "the same id in two files"
            skus: [{FLAGSHIP}]
            action: exclude
        """
    first, first_text = write_rules(data_copy, "aa_first.yaml", rule)
    second, second_text = write_rules(
        data_copy, "zz_second.yaml", rule.replace("first-rule", "other-rule")
    )
    finding = only_finding(refusal(data_copy), second)
    assert finding.code == "duplicate_id"
    assert finding.rule_id == "twice"
    assert finding.line == line_no(second_text, "id: twice")
    assert "duplicate rule id" in finding.message
    assert f"{first.name}:{line_no(first_text, 'id: twice')}" in finding.message


def test_rule_that_is_not_a_mapping_is_refused_at_its_own_line(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: fine
            description: "a good rule"
            skus: [{FLAGSHIP}]
            action: exclude
          - just some text where a rule should be
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "- just some text"), str(finding)


def test_rule_with_an_impossible_date_is_refused_at_its_line(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: leap-typo
            description: "30 February does not exist"
            skus: [{FLAGSHIP}]
            action: exclude
            valid_from: 2026-02-30
        """,
    )
    findings = refusal(data_copy)  # today: ValueError escapes load_yaml instead
    finding = only_finding(findings, path)
    assert finding.line == line_no(text, "valid_from:")


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("nl", "Vitamine D voorkomt botontkalking."),
        ("en", "Vitamin D prevents osteoporosis."),
    ],
)
def test_rule_reason_with_a_disease_claim_is_refused(data_copy, locale, text):
    reason = {"nl": REASON_NL, "de": REASON_DE, "en": REASON_EN, locale: text}
    path, written = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: disease-claim
            description: "a reason with disease wording"
            skus: [{FLAGSHIP}]
            action: boost
            weight: 0.2
            reason:
              nl: "{reason["nl"]}"
              de: "{reason["de"]}"
              en: "{reason["en"]}"
        """,
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "forbidden_claim"
    assert finding.rule_id == "disease-claim"
    assert finding.line == line_no(written, "reason:")
    assert f"reason ({locale}) makes a disease claim" in finding.message


def test_rule_problems_in_several_files_are_all_reported(data_copy):
    a, a_text = write_rules(
        data_copy,
        "a.yaml",
        """\
        source: "test"
        rules:
          - id: bad-sku
            description: "unknown sku"
            skus: [NO-SUCH-SKU]
            action: exclude
        """,
    )
    b, b_text = write_rules(
        data_copy,
        "b.yaml",
        """\
        source: "test"
        rules:
          - id: bad-when
            description: "typo in field"
            when: "profile.agee >= 70"
            action: exclude
        """,
    )
    findings = refusal(data_copy)
    places = {(Path(f.file).name, f.line) for f in findings}
    assert places == {("a.yaml", line_no(a_text, "skus:")), ("b.yaml", line_no(b_text, "when:"))}


# ---------------------------------------------------------------- catalog file
PRODUCT = """\
  - sku: {sku}
    name: {{nl: "Testproduct", de: "Testprodukt", en: "Test product"}}
    brand: TEST
    category: {category}
    form: tablet
    price: 5.95
    pack_size: 90
    servings_per_day: 1
    nutrients_per_serving:
      {nutrient}: {amount}
    vegan: {vegan}
    vegetarian: {vegetarian}
    allergens: []
    min_age: 18
    max_age: null
    pregnancy_suitable: true
    breastfeeding_suitable: true
    in_stock: true
    tags: []
    claims: [{claims}]
"""


def append_product(paths: DataPaths, **overrides) -> tuple[str, int]:
    """Append one product to the catalog; return the file text and the line it starts after."""
    values = {
        "sku": "TEST-D3-10-TAB",
        "category": "vitamin_d",
        "nutrient": "vitamin_d_ug",
        "amount": 10,
        "vegan": "true",
        "vegetarian": "true",
        "claims": "vitamin_d_bones",
    }
    values.update(overrides)
    original = paths.catalog.read_text(encoding="utf-8")
    assert original.endswith("\n")
    text = original + PRODUCT.format(**values)
    paths.catalog.write_text(text, encoding="utf-8")
    return text, len(original.splitlines())


def test_catalog_with_an_appended_valid_product_loads(data_copy):
    append_product(data_copy)
    snapshot = load_snapshot(data_copy)
    assert "TEST-D3-10-TAB" in snapshot.catalog.index


def test_catalog_duplicate_sku_is_refused_at_the_second_product(data_copy):
    first_line = line_no(data_copy.catalog.read_text(encoding="utf-8"), f"sku: {FLAGSHIP}")
    text, start = append_product(data_copy, sku=FLAGSHIP)
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "duplicate_sku"
    assert finding.line == line_no(text, f"sku: {FLAGSHIP}", after=start)
    assert f"duplicate SKU {FLAGSHIP!r} (first at line {first_line})" in finding.message


def test_catalog_unknown_nutrient_key_is_refused(data_copy):
    text, start = append_product(data_copy, nutrient="vitamin_z_ug", claims="")
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "unknown_nutrient"
    assert finding.line == line_no(text, "nutrients_per_serving:", after=start)
    assert "unknown nutrient key 'vitamin_z_ug'" in finding.message
    assert "TEST-D3-10-TAB" in finding.message


def test_catalog_vegan_product_that_is_not_vegetarian_is_refused(data_copy):
    text, start = append_product(data_copy, vegan="true", vegetarian="false")
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "diet"
    assert finding.line == line_no(text, "vegan: true", after=start)
    assert "vegan product must also be vegetarian" in finding.message


def test_catalog_claim_whose_15_percent_nrv_condition_the_dose_misses_is_refused(data_copy):
    # vitamin_d_bones needs 0.75 µg a day (15% of the 5 µg NRV); 0.5 µg is too little.
    text, start = append_product(data_copy, amount=0.5)
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "claim_condition"
    assert finding.line == line_no(text, "claims:", after=start)
    assert "vitamin_d_bones" in finding.message
    assert "0.75" in finding.message and "0.5" in finding.message


def test_catalog_unknown_category_is_refused(data_copy):
    text, start = append_product(data_copy, category="vitamine_d")
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "unknown_category"
    assert finding.line == line_no(text, "category: vitamine_d", after=start)
    assert "unknown category 'vitamine_d'" in finding.message


def test_catalog_yaml_syntax_error_is_refused_at_its_line(data_copy):
    original = data_copy.catalog.read_text(encoding="utf-8")
    text = original + (
        "  - sku: TEST-BROKEN\n    brand: TEST\n   category: vitamin_d\n"  # one space too little
    )
    data_copy.catalog.write_text(text, encoding="utf-8")
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "yaml_syntax"
    assert finding.line == line_no(text, "   category: vitamin_d", after=len(original.splitlines()))


def test_catalog_schema_error_is_refused_at_the_field_line(data_copy):
    text, start = append_product(data_copy)
    lines = text.splitlines(keepends=True)
    price = line_no(text, "price: 5.95", after=start)
    lines[price - 1] = lines[price - 1].replace("price: 5.95", "price: -1")
    data_copy.catalog.write_text("".join(lines), encoding="utf-8")
    finding = only_finding(refusal(data_copy), data_copy.catalog)
    assert finding.code == "schema"
    assert finding.line == price
    assert "price" in finding.message


# ---------------------------------------------------------------- reference data
def test_removing_the_vitamin_k_antagonist_exclusion_is_refused(data_copy):
    path = data_copy.reference_dir / "interactions.yaml"
    text = path.read_text(encoding="utf-8")
    exclusion = "    exclude: {vitamin_k1_ug: 0, vitamin_k2_ug: 0}\n"
    assert text.count(exclusion) == 1
    path.write_text(text.replace(exclusion, ""), encoding="utf-8")
    findings = refusal(data_copy)
    finding = only_finding(findings, path)
    assert finding.code == "guarantee_not_covered"
    assert "vitamin_k_antagonist" in finding.message
    assert "vitamin_k1_ug" in finding.message and "vitamin_k2_ug" in finding.message


def test_weakening_the_vitamin_k_antagonist_threshold_is_refused(data_copy):
    path = data_copy.reference_dir / "interactions.yaml"
    text = path.read_text(encoding="utf-8")
    exclusion = "exclude: {vitamin_k1_ug: 0, vitamin_k2_ug: 0}"
    path.write_text(
        text.replace(exclusion, "exclude: {vitamin_k1_ug: 0, vitamin_k2_ug: 10}"), encoding="utf-8"
    )
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "guarantee_not_covered"
    assert "vitamin_k2_ug" in finding.message and "vitamin_k1_ug" not in finding.message


def test_reference_unknown_nutrient_key_is_refused_at_its_line(data_copy):
    path = data_copy.reference_dir / "interactions.yaml"
    text = path.read_text(encoding="utf-8")
    old = "warn: {vitamin_d_ug: 20, calcium_mg: 0}"
    assert text.count(old) == 1
    text = text.replace(old, "warn: {vitamin_d_ug: 20, calcium_mgg: 0}")
    path.write_text(text, encoding="utf-8")
    finding = only_finding(refusal(data_copy), path)
    assert finding.code == "unknown_nutrient"
    assert finding.line == line_no(text, "calcium_mgg")
    assert "calcium_mgg" in finding.message


def replace_once(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def test_reference_target_when_with_an_unknown_profile_field_is_refused(data_copy):
    """A target whose condition names no real field would silently never apply."""
    path = data_copy.reference_dir / "targets.yaml"
    text = replace_once(path, 'profile.age <= 3"', 'profile.agee <= 3"')
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == line_no(text, "profile.agee")
    assert "agee" in finding.message


def test_reference_target_with_an_unknown_nutrient_is_refused(data_copy):
    """Accepted today, it makes every recommendation for a matching profile answer 500."""
    path = data_copy.reference_dir / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    first = line_no(text, "  - id: nl-children-0-3-vitamin-d") + 2  # its `nutrient:` line
    lines = text.splitlines(keepends=True)
    lines[first - 1] = lines[first - 1].replace("vitamin_d_ug", "vitamin_z_ug")
    path.write_text("".join(lines), encoding="utf-8")
    finding = only_finding(refusal(data_copy), path)
    assert finding.line == first
    assert "vitamin_z_ug" in finding.message


def test_reference_forbidden_pattern_that_is_not_a_regex_is_refused(data_copy):
    path = data_copy.reference_dir / "claims.yaml"
    text = replace_once(path, '- "voorkom"', '- "voorkom("')
    findings = refusal(data_copy)  # today: re.error escapes load_reference instead
    finding = only_finding(findings, path)
    assert finding.line == line_no(text, '- "voorkom("')


def test_reference_texts_missing_a_text_the_service_uses_is_refused(data_copy):
    """Accepted today, a request that needs the text answers 500 (KeyError)."""
    path = data_copy.reference_dir / "texts.yaml"
    replace_once(path, "notice_no_items:", "notice_no_itemz:")
    findings = refusal(data_copy)
    finding = only_finding(findings, path)
    assert "notice_no_items" in finding.message


# ---------------------------------------------------------------- last good keeps serving
@pytest.fixture()
def core(data_copy) -> Recommender:
    return Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)


def test_broken_rule_file_on_reload_keeps_the_last_good_snapshot_serving(data_copy, core):
    before = core.recommend(SENIOR)
    versions = dict(core.snapshot.versions)
    assert FLAGSHIP in skus(before)

    path, text = write_rules(
        data_copy,
        "extra.yaml",
        """\
        source: "test"
        rules:
          - id: extra-boost
            description: "unknown SKU"
            skus: [XF-D3K2-TAX]
            action: exclude
        """,
    )
    status = core.reload()

    assert status.ok is False
    assert status.failures == 1
    finding = only_finding(status.findings, path)
    assert finding.line == line_no(text, "skus:")
    assert core.status is status
    assert core.snapshot.versions == versions
    after = core.recommend(SENIOR)
    assert after["items"] == before["items"]
    assert after["versions"] == versions

    write(path, valid_boost_rule("extra-boost"))
    status = core.reload()
    assert status.ok is True, [str(f) for f in status.findings]
    assert status.findings == []
    assert core.snapshot.versions["rules"] != versions["rules"]
    assert core.snapshot.versions["catalog"] == versions["catalog"]
    reasons = next(i["reasons"] for i in core.recommend(SENIOR)["items"] if i["sku"] == FLAGSHIP)
    assert "rule:extra-boost" in {r["code"] for r in reasons}


def test_broken_catalog_on_reload_keeps_the_last_good_snapshot_serving(data_copy, core):
    before = core.recommend(SENIOR)
    versions = dict(core.snapshot.versions)
    text, start = append_product(data_copy, sku=FLAGSHIP)
    status = core.reload()
    assert status.ok is False
    finding = only_finding(status.findings, data_copy.catalog)
    assert finding.line == line_no(text, f"sku: {FLAGSHIP}", after=start)
    assert core.snapshot.versions == versions
    assert core.recommend(SENIOR)["items"] == before["items"]


def test_broken_data_over_http_answers_422_and_readyz_and_recommendations_keep_working(
    data_copy,
):
    app = create_app(
        {
            "TESTING": True,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    client = app.test_client()
    before = client.post("/v1/recommendations", json=SENIOR)
    assert before.status_code == 200
    versions = before.get_json()["versions"]

    path, text = write_rules(
        data_copy,
        "extra.yaml",
        f"""\
        source: "test"
        rules:
          - id: broken-when
            description: "CEL syntax error"
            when: "profile.age >="
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    when_line = line_no(text, "when:")

    # An empty JSON body: a bodyless POST is answered 415 (see the test below).
    reload = client.post("/v1/admin/reload", json={})
    assert reload.status_code == 422
    body = reload.get_json()
    assert body["status"] == "refused"
    assert body["versions"] == versions
    assert body["reload"]["ok"] is False
    (finding,) = body["reload"]["findings"]
    assert same_file(finding["file"], path)
    assert (finding["line"], finding["code"], finding["rule_id"]) == (
        when_line,
        "expression",
        "broken-when",
    )

    ready = client.get("/readyz")
    assert ready.status_code == 200
    ready_body = ready.get_json()
    assert ready_body["status"] == "ready"
    assert ready_body["versions"] == versions
    assert ready_body["reload"]["ok"] is False
    assert ready_body["checks"]["rules"]["last_reload_ok"] is False
    (detail,) = ready_body["reload"]["findings"]
    assert same_file(detail["file"], path)
    assert detail["line"] == when_line

    after = client.post("/v1/recommendations", json=SENIOR)
    assert after.status_code == 200
    assert after.get_json()["items"] == before.get_json()["items"]
    assert after.get_json()["versions"] == versions

    write(path, valid_boost_rule("fixed-boost"))
    fixed = client.post("/v1/admin/reload", json={})
    assert fixed.status_code == 200
    assert fixed.get_json()["reload"]["ok"] is True
    assert fixed.get_json()["versions"]["rules"] != versions["rules"]
    ready_body = client.get("/readyz").get_json()
    assert ready_body["reload"]["ok"] is True
    assert ready_body["reload"]["findings"] == []


def test_admin_reload_without_a_body_reloads(data_copy):
    """`curl -X POST .../v1/admin/reload` sends no body; the endpoint takes none, so the
    JSON-body check (415 for a body that is not JSON) must not stop the reload."""
    app = create_app(
        {
            "TESTING": True,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
        }
    )
    client = app.test_client()
    write_rules(data_copy, "extra.yaml", valid_boost_rule("bodyless-reload"))
    response = client.post("/v1/admin/reload")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["reload"]["ok"] is True
    assert app.extensions["dosewise"].status.reloads == 1


# ---------------------------------------------------------------- file watch
def watched_app(data_copy: DataPaths):
    app = create_app(
        {
            "TESTING": True,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "RELOAD_INTERVAL": 0.01,
            "REDIS_URL": None,
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    return app


def bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def flagship_reason_codes(answer: dict) -> set[str]:
    item = next(i for i in answer["items"] if i["sku"] == FLAGSHIP)
    return {r["code"] for r in item["reasons"]}


def test_file_watch_picks_up_a_new_valid_rule_file_on_the_next_request(data_copy):
    client = watched_app(data_copy).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert "rule:watched-boost" not in flagship_reason_codes(before)

    path, _ = write_rules(data_copy, "watched.yaml", valid_boost_rule("watched-boost"))
    bump_mtime(path)
    time.sleep(0.05)

    after = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert after["versions"]["rules"] != before["versions"]["rules"]
    assert "rule:watched-boost" in flagship_reason_codes(after)
    status = client.application.extensions["dosewise"].status
    assert status.ok is True and status.reloads == 1


def test_file_watch_picks_up_an_edit_of_an_existing_rule_file(data_copy):
    client = watched_app(data_copy).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    path = data_copy.merchandising_dir / "campaigns.yaml"
    rule = textwrap.dedent(valid_boost_rule("edited-boost")).split("rules:\n", 1)[1]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + rule)
    bump_mtime(path)
    time.sleep(0.05)

    after = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert after["versions"]["rules"] != before["versions"]["rules"]
    assert "rule:edited-boost" in flagship_reason_codes(after)


def test_file_watch_refuses_a_broken_file_and_keeps_serving(data_copy):
    client = watched_app(data_copy).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    path, text = write_rules(
        data_copy,
        "watched.yaml",
        """\
        source: "test"
        rules:
          - id: watched-typo
            description: "typo in field"
            when: "profile.agee >= 70"
            action: exclude
        """,
    )
    bump_mtime(path)
    time.sleep(0.05)

    after = client.post("/v1/recommendations", json=SENIOR)
    assert after.status_code == 200
    assert after.get_json()["items"] == before["items"]
    assert after.get_json()["versions"] == before["versions"]
    ready = client.get("/readyz").get_json()
    assert ready["reload"]["ok"] is False
    (finding,) = ready["reload"]["findings"]
    assert same_file(finding["file"], path)
    assert finding["line"] == line_no(text, "when:")


def test_file_watch_on_a_file_that_does_not_even_construct_keeps_the_service_answering(data_copy):
    """An impossible date must not take the service down: the last good set keeps serving."""
    client = watched_app(data_copy).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    path, text = write_rules(
        data_copy,
        "watched.yaml",
        f"""\
        source: "test"
        rules:
          - id: leap-typo
            description: "30 February does not exist"
            skus: [{FLAGSHIP}]
            action: exclude
            valid_from: 2026-02-30
        """,
    )
    bump_mtime(path)
    time.sleep(0.05)

    after = client.post("/v1/recommendations", json=SENIOR)
    assert after.status_code == 200, after.get_json()
    assert after.get_json()["items"] == before["items"]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["reload"]["ok"] is False
    (finding,) = ready.get_json()["reload"]["findings"]
    assert same_file(finding["file"], path)
    assert finding["line"] == line_no(text, "valid_from:")


# ---------------------------------------------------------------- a valid change takes effect
def test_valid_exclude_rule_removes_the_sku_from_answers_after_reload(data_copy, core):
    assert FLAGSHIP in skus(core.recommend(SENIOR))
    write_rules(
        data_copy,
        "exclude.yaml",
        f"""\
        source: "test"
        rules:
          - id: exclude-flagship
            description: "out of the assortment for now"
            when: "true"
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    status = core.reload()
    assert status.ok is True, [str(f) for f in status.findings]
    answer = core.recommend(SENIOR)
    assert answer["items"]
    assert FLAGSHIP not in skus(answer)
    assert FLAGSHIP not in skus(core.recommend({"profile": {"age": 40}, "limit": 50}))


# ---------------------------------------------------------------- CLI
def test_cli_rules_check_exits_0_on_the_shipped_data():
    result = CliRunner().invoke(
        main, ["rules", "check", "--catalog", str(CATALOG), "--rules", str(RULES)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_cli_rules_check_exits_1_and_prints_file_line_col_code_message(data_copy):
    path, text = write_rules(
        data_copy,
        "broken.yaml",
        f"""\
        source: "test"
        rules:
          - id: cli-broken
            description: "CEL syntax error"
            when: "profile.age >= )"
            skus: [{FLAGSHIP}]
            action: exclude
        """,
    )
    when_line = line_no(text, "when:")
    result = CliRunner().invoke(
        main,
        ["rules", "check", "--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)],
    )
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    finding_lines = [line for line in lines if line.startswith(str(path))]
    assert len(finding_lines) == 1, result.stderr
    where, code, message = finding_lines[0].split(": ", 2)
    file, line, col = where.rsplit(":", 2)
    assert file == str(path)
    assert int(line) == when_line
    assert int(col) >= 1
    assert code == "expression"
    assert "syntax error" in message and "[rule cli-broken]" in message
    assert lines[-1] == "refused: 1 finding(s)"
    assert "ok:" not in result.stdout


def test_cli_rules_check_reports_a_broken_catalog(data_copy):
    text, start = append_product(data_copy, category="vitamine_d")
    result = CliRunner().invoke(
        main,
        ["rules", "check", "--catalog", str(data_copy.catalog), "--rules", str(data_copy.rules)],
    )
    assert result.exit_code == 1
    expected_line = line_no(text, "category: vitamine_d", after=start)
    assert f"{data_copy.catalog}:{expected_line}:1: unknown_category: " in result.stderr
