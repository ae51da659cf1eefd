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

import pytest
from click.testing import CliRunner

from service.api.app import create_app
from service.cli import main
from service.core.lint import lint
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
