"""Broken rule, reference and catalog files are refused with file, line and reason, and the last
good data keeps serving (core, HTTP, file watch and `dosewise rules check`).

Every broken file is written as text here, and every expected line is computed from that text.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.api.app import create_app
from service.cli import main
from service.core.errors import DataFileError, Finding
from service.core.recommender import Recommender
from service.core.snapshot import DataPaths, load_snapshot

from .conftest import memory_app

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "catalog" / "products.yaml"
RULES = ROOT / "rules"
TODAY = dt.date(2026, 11, 28)  # as in conftest: inside the shipped winter campaign
FLAGSHIP = "XF-D3K2-TAB"
# a doctor's 75 µg justifies the 75 µg flagship and makes it the dose that fits (guarantee 10,
# review s5 R8: a serum level of 25 nmol/l advises 25 µg, and a 25 µg product leads)
SENIOR = {"profile": {"age": 72, "country": "NL", "higher_dose_advised": {"vitamin_d_ug": 75}}}

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


# ---------------------------------------------------------------- refusals, one table
@dataclass(frozen=True)
class Refusal:
    """A broken data file and where and why it must be refused.

    The expected line is the line of `at` in the broken text (the first after the appended
    product for catalog cases); `column_at` adds the column of that text on the line (plus
    `column_shift`); `says` are parts of the message, `not_says` must not be in it. With `pick`,
    the file may give several findings and the one whose message holds `pick` is checked.
    """

    name: str
    at: str | None
    code: str | None = None
    rule_id: str | None = None
    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    column_at: str | None = None
    column_shift: int = 0
    pick: str | None = None


def check_refusal(case: Refusal, findings: list[Finding], path: Path, text: str, after=0):
    """Assert the refusal; every failure names the case, the file, line and reason expected."""
    line = line_no(text, case.at, after=after) if case.at is not None else None
    place = f"{path.name}:{line} (the line of {case.at!r})" if line else f"{path.name}, any line"
    expected = f"{case.name}: expected {place} code={case.code} says={case.says}"
    got = [str(f) for f in findings]
    if case.pick is None:
        assert len(findings) == 1 and same_file(findings[0].file, path), (expected, got)
        finding = findings[0]
    else:
        assert findings_in(findings, path) == findings, (expected, got)
        picked = [f for f in findings if case.pick in f.message]
        assert len(picked) == 1, (expected, got)
        finding = picked[0]
    if line is not None:
        assert finding.line == line, (expected, str(finding))
    if case.column_at is not None:
        assert line is not None
        column = column_no(text, line, case.column_at) + case.column_shift
        assert finding.column == column, (expected, f"column {column}", str(finding))
    if case.code is not None:
        assert finding.code == case.code, (expected, str(finding))
    if case.rule_id is not None:
        assert finding.rule_id == case.rule_id, (expected, str(finding))
    assert finding.message, (expected, str(finding))
    for part in case.says:
        assert part in finding.message, (expected, str(finding))
    for part in case.not_says:
        assert part not in finding.message, (expected, str(finding))


REASONS = f"""\
    reason:
      nl: "{REASON_NL}"
      de: "{REASON_DE}"
      en: "{REASON_EN}"
"""

# One broken rule each, written as `rules/merchandising/broken.yaml` below a `source:` line.
BROKEN_RULES = [
    (
        Refusal("yaml syntax", "   weight: 0.2", "yaml_syntax"),
        f"""\
  - id: badly-indented
    description: "weight is indented one space too little"
    when: "profile.age >= 18"
    skus: [{FLAGSHIP}]
    action: boost
   weight: 0.2
""",
    ),
    (
        Refusal("duplicate key", "action: exclude", says=("duplicate key 'action'",)),
        f"""\
  - id: two-actions
    description: "action given twice: the second would silently win"
    when: "profile.age >= 18"
    skus: [{FLAGSHIP}]
    action: boost
    weight: 0.2
    action: exclude
""",
    ),
    (
        # CEL stops at the end of the text: the column right after `>=` (the closing quote).
        Refusal(
            "CEL syntax error in when",
            "when:",
            "expression",
            "cel-syntax-error",
            says=("syntax error",),
            column_at=">=",
            column_shift=len(">="),
        ),
        f"""\
  - id: cel-syntax-error
    description: "the condition stops after >="
    when: "profile.age >="
    skus: [{FLAGSHIP}]
    action: exclude
""",
    ),
    (
        Refusal(
            "CEL column at the offending character",
            "when:",
            "expression",
            "cel-stray-paren",
            says=("')'",),
            column_at=")",
        ),
        f"""\
  - id: cel-stray-paren
    description: "a stray closing parenthesis"
    when: "profile.age >= )"
    skus: [{FLAGSHIP}]
    action: exclude
""",
    ),
    (
        Refusal(
            "CEL error in a literal block, at its own line",
            "profile.sex == )",
            "expression",
            "cel-block-error",
            column_at=")",
        ),
        f"""\
  - id: cel-block-error
    description: "a long condition as a literal block; the error is on its 2nd line"
    when: |
      profile.age >= 18 &&
        profile.sex == )
    skus: [{FLAGSHIP}]
    action: exclude
""",
    ),
    (
        Refusal(
            "CEL error in a multi-line plain scalar, at its own line",
            "profile.sex == )",
            "expression",
            "cel-folded-error",
        ),
        f"""\
  - id: cel-folded-error
    description: "a plain scalar over two lines; the error is on the second"
    when: profile.age >= 18 &&
      profile.sex == )
    skus: [{FLAGSHIP}]
    action: exclude
""",
    ),
    (
        Refusal(
            "unknown profile field, did you mean",
            "when:",
            "expression",
            "typo-in-field",
            says=("did you mean 'age'",),
        ),
        f"""\
  - id: typo-in-field
    description: "agee instead of age"
    when: "profile.agee >= 70"
    skus: [{FLAGSHIP}]
    action: exclude
""",
    ),
    (
        Refusal(
            "when gives a number, not a boolean",
            "when:",
            "expression",
            "not-a-condition",
            says=("true or false", "int"),
        ),
        f"""\
  - id: not-a-condition
    description: "when gives an int, not true or false"
    when: "profile.age"
    skus: [{FLAGSHIP}]
    action: exclude
""",
    ),
    (
        Refusal(
            "unknown SKU, close match",
            "skus:",
            "unknown_sku",
            "typo-in-sku",
            says=("unknown SKU 'XF-D3K2-TAX'", f"did you mean {FLAGSHIP!r}"),
        ),
        """\
  - id: typo-in-sku
    description: "TAX instead of TAB"
    skus: [XF-D3K2-TAX]
    action: exclude
""",
    ),
    (
        Refusal(
            "unknown category, close match",
            "categories:",
            "unknown_category",
            "typo-in-category",
            says=("unknown category 'vitamine_d'", "did you mean 'vitamin_d'"),
        ),
        """\
  - id: typo-in-category
    description: "vitamine_d instead of vitamin_d"
    categories: [vitamine_d]
    action: exclude
""",
    ),
    (
        Refusal(
            "unknown key, at its line",
            "wieght:",
            rule_id="typo-in-key",
            says=("unknown key 'wieght'",),  # with lint's hint (review s31b H7)
            pick="wieght",
        ),
        f"""\
  - id: typo-in-key
    description: "wieght instead of weight"
    skus: [{FLAGSHIP}]
    action: bury
    wieght: 0.2
""",
    ),
    (
        # No `weight:` line exists: the rule itself is the place.
        Refusal(
            "boost without weight",
            "id: boost-no-weight",
            rule_id="boost-no-weight",
            says=("boost needs a weight",),
        ),
        f"""\
  - id: boost-no-weight
    description: "a boost needs a weight"
    skus: [{FLAGSHIP}]
    action: boost
{REASONS}""",
    ),
    (
        Refusal(
            "pin without position",
            "id: pin-no-position",
            rule_id="pin-no-position",
            says=("pin needs a position",),
        ),
        f"""\
  - id: pin-no-position
    description: "a pin needs a position"
    skus: [{FLAGSHIP}]
    action: pin
{REASONS}""",
    ),
    (
        Refusal(
            "reason missing a locale",
            "reason:",
            rule_id="reason-without-de",
            says=("missing locale(s): de",),
        ),
        f"""\
  - id: reason-without-de
    description: "German text missing"
    skus: [{FLAGSHIP}]
    action: boost
    weight: 0.2
    reason:
      nl: "{REASON_NL}"
      en: "{REASON_EN}"
""",
    ),
    (
        Refusal(
            "valid_until before valid_from",
            "valid_until:",
            rule_id="window-backwards",
            says=("valid_until is before valid_from",),
        ),
        f"""\
  - id: window-backwards
    description: "ends before it starts"
    skus: [{FLAGSHIP}]
    action: exclude
    valid_from: 2026-12-01
    valid_until: 2026-11-01
""",
    ),
    (
        Refusal("a rule that is not a mapping, at its own line", "- just some text"),
        f"""\
  - id: fine
    description: "a good rule"
    skus: [{FLAGSHIP}]
    action: exclude
  - just some text where a rule should be
""",
    ),
    (
        Refusal("an impossible date, at its line", "valid_from:"),
        f"""\
  - id: leap-typo
    description: "30 February does not exist"
    skus: [{FLAGSHIP}]
    action: exclude
    valid_from: 2026-02-30
""",
    ),
] + [
    (
        Refusal(
            f"disease claim in the {locale} reason",
            f'      {locale}: "',  # the locale's own line (review 19 F8), not `reason:`
            "forbidden_claim",
            "disease-claim",
            says=(f"reason ({locale}) makes a disease claim",),
        ),
        f"""\
  - id: disease-claim
    description: "a reason with disease wording"
    skus: [{FLAGSHIP}]
    action: boost
    weight: 0.2
{REASONS.replace(reason, claim)}""",
    )
    for locale, reason, claim in [
        ("nl", REASON_NL, "Vitamine D voorkomt botontkalking."),
        ("en", REASON_EN, "Vitamin D prevents osteoporosis."),
    ]
]


@pytest.mark.parametrize(
    ("case", "rule"), BROKEN_RULES, ids=[case.name for case, _ in BROKEN_RULES]
)
def test_a_broken_rule_file_is_refused_at_its_line_with_its_reason(data_copy, case, rule):
    path = data_copy.merchandising_dir / "broken.yaml"
    text = f'source: "test"\nrules:\n{rule}'
    path.write_text(text, encoding="utf-8")
    check_refusal(case, refusal(data_copy), path, text)


# ---------------------------------------------------------------- rule files: more
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
    pregnancy_suitable: {pregnancy}
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
        "pregnancy": "true",
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


BROKEN_PRODUCTS = [
    (
        Refusal(
            "unknown nutrient key",
            "nutrients_per_serving:",
            "unknown_nutrient",
            says=("unknown nutrient key 'vitamin_z_ug'", "TEST-D3-10-TAB"),
        ),
        {"nutrient": "vitamin_z_ug", "claims": ""},
    ),
    (
        Refusal(
            "vegan but not vegetarian",
            "vegan: true",
            "diet",
            says=("vegan product must also be vegetarian",),
        ),
        {"vegan": "true", "vegetarian": "false"},
    ),
    (
        # vitamin_d_bones needs 0.75 µg a day (15% of the 5 µg NRV); 0.5 µg is too little.
        Refusal(
            "claim whose 15 percent NRV condition the dose misses",
            "claims:",
            "claim_condition",
            says=("vitamin_d_bones", "0.75", "0.5"),
        ),
        {"amount": 0.5},
    ),
    (
        # review 18 F5: the pregnancy claim on men's and children's multivitamins
        Refusal(
            "claim whose product condition the product does not meet",
            "claims:",
            "claim_condition",
            says=("folate_pregnancy", "pregnancy_suitable"),
        ),
        {
            "category": "folic_acid",
            "nutrient": "folic_acid_ug",
            "amount": 400,
            "claims": "folate_pregnancy",
            "pregnancy": "false",
        },
    ),
    (
        Refusal(
            "unknown category",
            "category: vitamine_d",
            "unknown_category",
            says=("unknown category 'vitamine_d'",),
        ),
        {"category": "vitamine_d"},
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides"), BROKEN_PRODUCTS, ids=[case.name for case, _ in BROKEN_PRODUCTS]
)
def test_a_broken_product_is_refused_at_its_line_with_its_reason(data_copy, case, overrides):
    text, start = append_product(data_copy, **overrides)
    check_refusal(case, refusal(data_copy), data_copy.catalog, text, after=start)


# ---------------------------------------------------------------- reference data
def replace_once(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


VKA_EXCLUSION = "    exclude: {vitamin_k1_ug: 0, vitamin_k2_ug: 0}\n"
# (file under rules/reference, text replaced once, by what, the refusal)
BROKEN_REFERENCE = [
    (
        "interactions.yaml",
        VKA_EXCLUSION,
        "",
        Refusal(
            "removing the vitamin K antagonist exclusion",
            None,
            "guarantee_not_covered",
            says=("vitamin_k_antagonist", "vitamin_k1_ug", "vitamin_k2_ug"),
        ),
    ),
    (
        "interactions.yaml",
        VKA_EXCLUSION,
        VKA_EXCLUSION.replace("vitamin_k2_ug: 0", "vitamin_k2_ug: 10"),
        Refusal(
            "weakening the vitamin K antagonist threshold",
            None,
            "guarantee_not_covered",
            says=("vitamin_k2_ug",),
            not_says=("vitamin_k1_ug",),
        ),
    ),
    (
        "interactions.yaml",
        "warn: {vitamin_d_ug: 20, calcium_mg: 0}",
        "warn: {vitamin_d_ug: 20, calcium_mgg: 0}",
        Refusal("unknown nutrient key", "calcium_mgg", "unknown_nutrient", says=("calcium_mgg",)),
    ),
    (
        # a target whose condition names no real field would silently never apply
        "targets.yaml",
        'profile.age <= 3"',
        'profile.agee <= 3"',
        Refusal("target condition with an unknown profile field", "profile.agee", says=("agee",)),
    ),
    (
        # regression: re.error escaped load_reference
        "claims.yaml",
        '- "voorkom"',
        '- "voorkom("',
        Refusal("forbidden pattern that is not a regex", '- "voorkom("'),
    ),
    (
        # regression: accepted, a request that needed the text answered 500 (KeyError)
        "texts.yaml",
        "notice_no_items:",
        "notice_no_itemz:",
        Refusal("texts missing a text the service uses", None, says=("notice_no_items",)),
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "case"), BROKEN_REFERENCE, ids=[r[3].name for r in BROKEN_REFERENCE]
)
def test_broken_reference_data_is_refused_with_its_reason(data_copy, name, old, new, case):
    path = data_copy.reference_dir / name
    text = replace_once(path, old, new)
    check_refusal(case, refusal(data_copy), path, text)


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
    client = memory_app(data=data_copy).test_client()
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
def watched_app(data_copy: DataPaths, settle: float = 0):
    app = create_app(
        {
            "TESTING": True,
            "CATALOG_PATH": str(data_copy.catalog),
            "RULES_DIR": str(data_copy.rules),
            "RELOAD_INTERVAL": 0.01,
            "RELOAD_SETTLE": settle,
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


def assert_reloaded_once_with(client, before: dict, rule_id: str) -> None:
    """The next answer comes from new rules, with `rule_id` on the flagship, after one reload."""
    after = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert after["versions"]["rules"] != before["versions"]["rules"]
    assert f"rule:{rule_id}" in flagship_reason_codes(after)
    status = client.application.extensions["dosewise"].status
    assert status.ok is True and status.reloads == 1


def test_file_watch_picks_up_a_new_valid_rule_file_on_the_next_request(data_copy):
    client = watched_app(data_copy).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert "rule:watched-boost" not in flagship_reason_codes(before)

    path, _ = write_rules(data_copy, "watched.yaml", valid_boost_rule("watched-boost"))
    bump_mtime(path)
    time.sleep(0.05)

    assert_reloaded_once_with(client, before, "watched-boost")


def test_file_watch_does_not_load_a_file_that_is_still_being_written(data_copy):
    """Regression (stop CI of session 6): a file truncated and then written was loaded in
    between. The empty campaigns.yaml parsed, went live, and the broken text written next
    left it serving. Changed files load only once their stamps held still RELOAD_SETTLE."""
    client = watched_app(data_copy, settle=0.3).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    path = data_copy.merchandising_dir / "campaigns.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text("", encoding="utf-8")  # the editor truncated the file ...
    bump_mtime(path)
    time.sleep(0.05)
    during = client.post("/v1/recommendations", json=SENIOR).get_json()
    assert during["versions"] == before["versions"]
    rule = textwrap.dedent(valid_boost_rule("settled-boost")).split("rules:\n", 1)[1]
    path.write_text(good + "\n" + rule, encoding="utf-8")  # ... and wrote it in full
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 4_000_000_000))
    time.sleep(0.05)
    assert (
        client.post("/v1/recommendations", json=SENIOR).get_json()["versions"] == before["versions"]
    )
    time.sleep(0.35)
    assert_reloaded_once_with(client, before, "settled-boost")


def test_file_watch_loads_at_once_a_change_that_has_long_held_still(data_copy):
    """A worker that served no request while a file changed (gunicorn: each worker watches on
    its own requests) saw the change first on its next request and then served the old rules
    for RELOAD_SETTLE more (test_metrics_gunicorn failed on it in CI). A change whose files were
    last written at least RELOAD_SETTLE ago has held still: it loads on the first look."""
    client = watched_app(data_copy, settle=0.3).test_client()
    before = client.post("/v1/recommendations", json=SENIOR).get_json()
    write_rules(data_copy, "still.yaml", valid_boost_rule("still-boost"))
    past = time.time_ns() - 5_000_000_000  # every file written five seconds ago at the latest
    for path in data_copy.catalog.parent.parent.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(past, past))
    time.sleep(0.05)
    assert_reloaded_once_with(client, before, "still-boost")


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
