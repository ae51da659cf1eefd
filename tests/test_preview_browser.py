"""The merchandisers' preview page in a real headless Chromium (Debian's), driven by Playwright,
against the app served over real HTTP."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from service.api.app import create_app
from service.core.vocabulary import GOALS

from .conftest import TODAY
from .ensure_browser import find

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server():
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    app.extensions["dosewise"].clock = lambda: TODAY
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    binary = find()
    if binary is None:
        pytest.fail("Chromium is missing: `make test` installs it (tests/ensure_browser.py)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        context = browser.new_context(
            user_agent="dosewise-test", viewport={"width": 1280, "height": 1600}
        )
        yield context.new_page()
        context.close()
        browser.close()


def test_preview_shows_a_safe_list_with_reasons_and_what_was_left_out(server, page, tmp_path):
    page.goto(f"{server}/preview")
    page.fill("input[name=age]", "67")
    page.select_option("select[name=sex]", "female")
    page.select_option("select[name=diet]", "vegan")
    page.select_option("select[name=locale]", "en")
    page.fill("input[name=current_d]", "25")
    page.check("input[name=medications][value=vitamin_k_antagonist]")
    page.click("#run")
    page.wait_for_selector("#items tbody tr")
    rows = page.locator("#items tbody tr")
    assert 1 <= rows.count() <= 5
    assert page.locator("#items .reason").count() >= rows.count()
    assert "anticoagulant" in page.locator("#notices").inner_text()
    excluded = page.locator("#excluded tbody tr[data-sku='XF-D3K2-TAB']").inner_text()
    assert "vitamin_k2_ug" in excluded and "vitamin_k_antagonist" in excluded
    assert "not suitable for a vegan diet" in excluded
    shown = [rows.nth(i).get_attribute("data-sku") for i in range(rows.count())]
    assert "XF-D3K2-TAB" not in shown
    screenshot = tmp_path / "preview.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_preview_shows_the_rule_files_lint_status(server, page):
    page.goto(f"{server}/preview")
    page.wait_for_function(
        "!document.getElementById('lint-summary').textContent.includes('checking')"
    )
    assert page.locator("#lint-summary").inner_text().startswith("0 error(s)")


def test_preview_shows_validation_errors_from_the_api(server, page):
    page.goto(f"{server}/preview")
    page.fill("input[name=basket]", "NOT-A-SKU")
    page.click("#run")
    page.wait_for_selector("#status.error")
    assert "basket.0.sku" in page.locator("#status").inner_text()


def test_preview_offers_every_goal_of_the_contract(server, page):
    """Regression: `sport` and `pregnancy` were missing."""
    page.goto(f"{server}/preview")
    offered = page.eval_on_selector_all("input[name=goals]", "inputs => inputs.map(i => i.value)")
    assert sorted(offered) == sorted(GOALS)
    page.check("input[name=goals][value=sport]")
    page.click("#run")
    page.wait_for_selector("#items tbody tr")


ADMIN_KEY = "preview-admin-key-0123456789"


@pytest.fixture(scope="module")
def keyed_server():
    app = create_app(
        {
            "TESTING": True,
            "RELOAD_INTERVAL": 0,
            "REDIS_URL": None,
            "API_KEYS": f'{{"{ADMIN_KEY}": ["admin"], "shop-key-0123456789": ["recommend"]}}',
        }
    )
    app.extensions["dosewise"].clock = lambda: TODAY
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


def test_preview_works_with_api_keys_and_keeps_the_key_for_the_tab(keyed_server, page):
    """Regression: with keys configured the page had no key field, showed "undefined
    error(s)" and threw a JavaScript error."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{keyed_server}/preview")
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.wait_for_selector("#lint-summary.error")
    assert "API key" in page.locator("#lint-summary").inner_text()
    assert "undefined" not in page.locator("#lint-summary").inner_text()

    page.fill("#api-key", "shop-key-0123456789")  # a key without the admin scope
    page.dispatch_event("#api-key", "change")
    page.wait_for_function("document.getElementById('lint-summary').textContent.includes('scope')")

    page.fill("#api-key", ADMIN_KEY)
    page.dispatch_event("#api-key", "change")
    page.wait_for_function(
        "document.getElementById('lint-summary').textContent.startsWith('0 error(s)')"
    )
    page.click("#run")
    page.wait_for_selector("#items tbody tr")
    page.reload()  # the key stays for this tab (sessionStorage), not in a cookie or on disk
    assert page.input_value("#api-key") == ADMIN_KEY
    page.wait_for_function(
        "document.getElementById('lint-summary').textContent.startsWith('0 error(s)')"
    )
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert errors == []
    page.evaluate("sessionStorage.clear()")


def test_preview_shows_a_placement_and_the_alternatives_of_a_product(server, page):
    """Issue 11: the placement selector (filled from GET /v1/placements) and the alternatives
    of a product for the profile on the page."""
    page.goto(f"{server}/preview")
    page.wait_for_selector("#placement option[value=cart]", state="attached")
    page.fill("input[name=age]", "60")
    page.select_option("select[name=sex]", "female")
    page.select_option("select[name=locale]", "en")
    page.check("input[name=goals][value=bones]")
    page.check("input[name=goals][value=muscles]")
    page.fill("input[name=basket]", "XF-D3-20-TAB")
    page.select_option("#placement", "cart")
    page.click("#run")
    page.wait_for_selector("#items tbody tr")
    assert "placement cart" in page.locator("#status").inner_text()
    assert "strategy: complements" in page.locator("#items").inner_text()
    assert "which your basket does not give yet" in page.locator("#items").inner_text()
    page.select_option("select[name=diet]", "vegan")
    page.fill("input[name=basket]", "")  # in the basket it counts: 20 + 20 µg is above the band
    page.fill("#alternatives-sku", "XF-D3-20-TAB")
    page.click("#alternatives-run")
    page.wait_for_selector("#alternatives tbody tr")
    assert "vegan (lichen)" in page.locator("#alternatives").inner_text()


def test_the_refill_calendar_draws_a_timeline_and_the_checked_reorder(server, page, tmp_path):
    """Issue 11 point 6: a stored customer's refills as a timeline; a product with vitamin K
    bought before a vitamin K antagonist is replaced, with why."""
    import json
    import urllib.request

    def send(method: str, path: str, body: dict) -> int:
        request = urllib.request.Request(
            server + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    profile = {"age": 60, "sex": "female", "medications": ["vitamin_k_antagonist"], "country": "NL"}
    assert send("PUT", "/v1/customers/cal-1", profile) == 200
    bought = (
        ("XF-D3K2-VEGAN-CAP", "2026-08-01"),
        ("XF-K2-MK7-100-CAP", "2026-08-03"),
        # not a vitamin D product: one still lasting would cover vitamin D, and the D3 + K2
        # would be left out with no replacement (review s4 R11), not replaced
        ("XF-MG-CIT-150-TAB", "2026-10-01"),
    )
    events = [
        {"customer_id": "cal-1", "sku": sku, "type": "purchase", "timestamp": f"{day}T09:00:00Z"}
        for sku, day in bought
    ]
    assert send("POST", "/v1/events", {"events": events}) == 202
    page.goto(f"{server}/preview")
    page.fill("input[name=refill_customer]", "cal-1")
    page.select_option("select[name=refill_locale]", "en")
    page.click("#refill-run")
    page.wait_for_selector("#refill-svg .refill-row")
    rows = page.locator("#refill-svg .refill-row")
    assert rows.count() == 3
    assert page.locator("#refill-svg line.today").count() == 1
    assert page.locator("#refill-svg rect.remind-window").count() == 1
    assert rows.nth(0).get_attribute("data-runs-out") == "2026-11-29"  # 1 Aug + 120 days
    replaced = page.locator("#reorder tbody tr").first
    assert "instead of XF-D3K2-VEGAN-CAP" in replaced.inner_text()
    assert "vitamin K2" in replaced.inner_text()
    assert "left out" in page.locator("#reorder tbody").inner_text()  # the K2 alone
    page.screenshot(path=str(tmp_path / "refills.png"), full_page=True)
