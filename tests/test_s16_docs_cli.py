"""Review 22: `dosewise placements` errors are one line with a did-you-mean (F7), its
`alternatives --country` is validated as the HTTP GET validates it (F8), and the refill job's
status has the same value types at the CLI and over HTTP (F10)."""

from __future__ import annotations

import json
import time

import pytest

from service.customers.redis_client import get_store
from service.customers.refills import JOB

from .conftest import memory_app, redis_app
from .test_cli_errors import DATA, one_line_error, run

PROFILE = ["--profile", "docs/examples/profile.yaml"]


# ------------------------------------------------------------------ F7: one line, did you mean
@pytest.mark.parametrize(
    "args, words",
    [
        (["show", "product_page", *PROFILE], ["product_page placement needs the product"]),
        (["show", "sidebar", *PROFILE], ["unknown placement 'sidebar'", "known: account"]),
        (["show", "product_pag", *PROFILE], ["did you mean 'product_page'"]),
        (["show", "home", *PROFILE, "--basket", "NOPE"], ["basket.0.sku", "unknown SKU 'NOPE'"]),
        (["cart", *PROFILE, "--basket", "XF-D3-20-TABB"], ["did you mean 'XF-D3-20-TAB'"]),
        (["alternatives", "NOPE"], ["no product with SKU 'NOPE'"]),
        (["alternatives", "XF-D3-20-TABB"], ["did you mean 'XF-D3-20-TAB'"]),
        (
            ["alternatives", "XF-D3-20-TAB", *PROFILE, "--basket", "XF-K2-MK7-100-CAPP"],
            ["basket.0.sku", "did you mean 'XF-K2-MK7-100-CAP'"],
        ),
    ],
)
def test_placements_errors_are_one_line_with_a_did_you_mean(args, words):
    line = one_line_error(run(["placements", *args, *DATA]), 1, "dosewise: ", *words)
    assert "{" not in line


def test_a_known_name_gets_no_did_you_mean():
    line = one_line_error(run(["placements", "show", "product_page", *PROFILE, *DATA]), 1)
    assert "did you mean" not in line


# ------------------------------------------------------------------ F8: --country as the GET
@pytest.mark.parametrize("country", ["XX", "foo", "GER", "D1", ""])
def test_alternatives_refuses_an_unknown_country_as_the_http_get_does(country):
    """The GET's last message, which names the code and the markets (review 23 F5: not the
    pattern's "String does not match expected pattern." joined before it)."""
    http = (
        memory_app().test_client().get(f"/v1/products/XF-D3-20-TAB/alternatives?country={country}")
    )
    assert http.status_code == 422
    messages = http.get_json()["error"]["fields"]["country"]
    line = one_line_error(
        run(["placements", "alternatives", "XF-D3-20-TAB", "--country", country, *DATA]),
        1,
        "--country",
        messages[-1],
    )
    assert "does not match" not in line
    if country == "XX":
        assert "NL" in line and "DE" in line


@pytest.mark.parametrize("country", ["DE", "de", "BE"])
def test_alternatives_takes_a_real_country(country):
    result = run(["placements", "alternatives", "XF-D3-20-TAB", "--country", country, *DATA])
    assert result.exit_code == 0, result.output
    assert "items" in json.loads(result.stdout) or json.loads(result.stdout)


# ------------------------------------------------------------------ F10: one status, one type
def test_refill_status_has_the_same_types_at_the_cli_and_over_http(redis_url):
    app = redis_app(redis_url)
    now = time.time()
    get_store(app).for_job(JOB).start_run(
        "r-types",
        {
            "run_id": "r-types",
            "status": "finished",
            "started_at": now - 10,
            "finished_at": now - 2,
            "total": 4,
            "done": 4,
            "due": 3,
            "day": "2026-11-28",
            "exported_to": "/tmp/refills-2026-11-28.jsonl",
            "exported_at": now - 1,
        },
    )
    http = app.test_client().get("/v1/admin/refills").get_json()
    result = run(["refills", "--status"], REDIS_URL=redis_url)
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    assert set(cli) == set(http)
    for key in http:
        assert type(cli[key]) is type(http[key]), (key, cli[key], http[key])
    assert cli["due"] == http["due"] == 3
    for key in ("started_at", "finished_at", "exported_at"):
        assert isinstance(cli[key], float), (key, cli[key])
    assert cli["exported_at"] == pytest.approx(now - 1, abs=0.01)
