"""Review s31b, the merchandiser-facing findings (notes/review_s31b.md):

H4 a catalog product without the form of a nutrient whose form must be authorised
   (`vitamin_sources` missing or `{}`) passed `rules check` and was offered: a missing form is an
   unknown one, so it is `unauthorised-form` at the product's line and never offered.
H5 a product whose daily dose alone is above the upper limit for every age it is sold for (500
   µg vitamin D) had no finding and its product page said `sellable: true`.
H7 `rules check`, /readyz and the 422 of POST /v1/admin/reload gave column 1 and no hints where
   `rules lint` gave the real line:column and "did you mean".
H8 an unclosed quote was reported at the end of the file, not where the scalar starts.
"""

from __future__ import annotations

import re
import textwrap

import pytest
from click.testing import CliRunner

from service.api.app import create_app
from service.cli import main
from service.core.lint import lint
from service.core.reference_load import load_reference
from service.core.snapshot import DataPaths

from .conftest import TODAY

SKU = "XF-D3-20-TAB"  # 20 µg vitamin D (lanolin), min_age 12


def edit_product(paths: DataPaths, sku: str, old: str, new: str) -> int:
    """Replace `old` (once) inside the catalog block of `sku`; return the line of `- sku:`."""
    text = paths.catalog.read_text(encoding="utf-8")
    start = text.index(f"  - sku: {sku}\n")
    end = text.find("\n  - sku: ", start + 1)
    block = text[start:end]
    assert block.count(old) == 1, (sku, old)
    paths.catalog.write_text(text[:start] + block.replace(old, new) + text[end:], "utf-8")
    return text.count("\n", 0, start) + 1


def check(paths: DataPaths):
    args = ["--catalog", str(paths.catalog), "--rules", str(paths.rules)]
    return CliRunner().invoke(main, ["rules", "check", *args], catch_exceptions=False)


def app_for(paths: DataPaths):
    app = create_app(
        {
            "TESTING": True,
            "REDIS_URL": None,
            "RELOAD_INTERVAL": 3600,
            "CATALOG_PATH": str(paths.catalog),
            "RULES_DIR": str(paths.rules),
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    return app


def finding_line(output: str, code: str, sku: str) -> int:
    found = re.findall(rf":(\d+):\d+: warning: {code}: {sku}: ", output)
    assert len(found) == 1, output
    return int(found[0])


# ---------------------------------------------------------------- H4: a missing form
@pytest.mark.parametrize(
    "sources", ["", "    vitamin_sources: {}\n"], ids=["no-vitamin_sources", "empty"]
)
def test_a_product_without_its_form_is_an_unknown_form_never_offered(data_copy, sources):
    line = edit_product(data_copy, SKU, "    vitamin_sources:\n      vitamin_d: lanolin\n", sources)
    out = check(data_copy)
    assert out.exit_code == 0, out.output
    assert finding_line(out.output, "unauthorised-form", SKU) == line
    assert "vitamin_d" in out.output.split(f"unauthorised-form: {SKU}: ")[1].splitlines()[0]
    result = lint(data_copy, today=TODAY)
    (finding,) = [f for f in result.warnings if f.code == "unauthorised-form"]
    assert finding.line == line and finding in result.strict_failures  # --strict fails on it

    client = app_for(data_copy).test_client()
    page = client.get(f"/v1/products/{SKU}").get_json()
    for market in ("NL", "DE"):
        status = page["markets"][market]
        assert status["sellable"] is False, status
        assert [r["code"] for r in status["reasons"]] == ["not_sellable"]
        assert "vitamin" in status["reasons"][0]["text"]
    body = {"profile": {"age": 75, "country": "DE"}, "limit": 50, "category": "vitamin_d"}
    items = [i["sku"] for i in client.post("/v1/recommendations", json=body).get_json()["items"]]
    assert "XF-D3-10-TAB" in items and SKU not in items


# ---------------------------------------------------------------- H5: above every upper limit
def test_a_dose_above_every_upper_limit_is_a_warning_and_not_sellable_on_its_page(data_copy):
    line = edit_product(data_copy, SKU, "vitamin_d_ug: 20\n", "vitamin_d_ug: 500\n")
    reference = load_reference(data_copy.reference_dir)
    column = reference.nutrients.keys.index("vitamin_d_ug")
    limit = max(reference.upper_limits.for_profile(age, "none")[column] for age in (12, 18, 70))
    out = check(data_copy)
    assert out.exit_code == 0, out.output
    assert finding_line(out.output, "above-upper-limit", SKU) == line
    said = out.output.split(f"above-upper-limit: {SKU}: ")[1].splitlines()[0]
    assert "500" in said and f"{limit:g}" in said and "never offered" in said, said
    result = lint(data_copy, today=TODAY)
    (finding,) = [f for f in result.warnings if f.code == "above-upper-limit" and SKU in f.message]
    assert finding.line == line

    client = app_for(data_copy).test_client()
    markets = client.get(f"/v1/products/{SKU}").get_json()["markets"]
    for market in ("NL", "DE"):
        assert markets[market]["sellable"] is False, markets
        (reason,) = [r for r in markets[market]["reasons"] if r["code"] == "upper_limit"]
        assert "500" in reason["text"] and f"{limit:g}" in reason["text"], reason
    assert [r["code"] for r in markets["DE"]["reasons"]] == ["upper_limit"]
    # a dose above the room food leaves, not above the limit itself, stays sellable: a profile
    # that declares its own food intake may be offered it (the 100 µg capsule in DE)
    assert client.get("/v1/products/XF-D3-100-CAP").get_json()["markets"]["DE"]["sellable"]


# ---------------------------------------------------------------- H7: the same findings
TYPOS = """\
source: test
rules:
  - id: typo
    descripton: "x"
    action: exclude
    skus: [XF-D3K2-TAB]
    markets: [NL, GER]
"""


def test_check_reload_and_readyz_give_lints_place_and_hints(data_copy):
    client = app_for(data_copy).test_client()
    path = data_copy.merchandising_dir / "zz_typos.yaml"
    path.write_text(TYPOS, encoding="utf-8")
    linted = [f.to_dict() for f in lint(data_copy, path, TODAY).findings]
    assert {(f["line"], f["column"], f["hint"]) for f in linted} >= {
        (4, 5, "did you mean 'description'?"),
        (7, 19, "did you mean 'DE'?"),
    }, linted

    def key(findings: list[dict]) -> list[tuple]:
        return sorted(
            (f["line"], f["column"], f["code"], f["message"], f["hint"]) for f in findings
        )

    out = check(data_copy)
    assert out.exit_code == 1
    printed = [line for line in out.stderr.splitlines() if "zz_typos.yaml" in line]
    assert sorted(printed) == sorted(
        line for line in lint_lines(data_copy, path) if "zz_typos.yaml" in line
    )
    reload = client.post("/v1/admin/reload")
    assert reload.status_code == 422
    assert key(reload.get_json()["reload"]["findings"]) == key(linted)
    assert key(client.get("/readyz").get_json()["reload"]["findings"]) == key(linted)


def lint_lines(paths: DataPaths, path) -> list[str]:
    args = ["--catalog", str(paths.catalog), "--rules", str(paths.rules), "--date", "2026-12-01"]
    out = CliRunner().invoke(main, ["rules", "lint", str(path), *args], catch_exceptions=False)
    assert out.exit_code == 1, out.output
    return out.stdout.splitlines()


# ---------------------------------------------------------------- H8: an unclosed quote
UNCLOSED = """\
source: x
rules:
  - id: a
    when: "profile.age > 3
  desc: [
"""

BAD_INDENT = """\
source: x
rules:
  - id: a
    description: d
    action: exclude
   skus: [XF-D3K2-TAB]
"""


def test_an_unclosed_quote_is_reported_where_the_scalar_starts(data_copy):
    path = data_copy.merchandising_dir / "spring.yaml"
    path.write_text(UNCLOSED, encoding="utf-8")
    (finding,) = lint(data_copy, path, TODAY).findings
    assert finding.code == "yaml_syntax"
    assert (finding.line, finding.column) == (4, 11), finding
    assert "line 4" in finding.message and "line 6" in finding.message, finding
    out = check(data_copy)
    assert out.exit_code == 1
    assert re.search(r"spring\.yaml:4:11: yaml_syntax: .*line 4.*line 6", out.stderr), out.stderr


def test_an_indentation_error_stays_at_its_own_line(data_copy):
    """The context of a block error is where the list began (line 3): the line that breaks
    it (6) is the one to fix, and stays the finding's line."""
    path = data_copy.merchandising_dir / "indent.yaml"
    path.write_text(textwrap.dedent(BAD_INDENT), encoding="utf-8")
    (finding,) = lint(data_copy, path, TODAY).findings
    assert finding.code == "yaml_syntax" and finding.line == 6, finding
    assert "line 3" in finding.message, finding
