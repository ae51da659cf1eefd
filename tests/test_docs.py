"""The docs stay true: every example body is accepted by the API, every setting is documented
for operators, and no link leaves the repository or points at a file that is not there."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from service.settings import REPO_ROOT, defaults

from .conftest import TODAY

EXAMPLES = REPO_ROOT / "docs" / "examples"
DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.fixture()
def api(app):
    app.extensions["dosewise"].clock = lambda: TODAY
    return app.test_client()


@pytest.mark.parametrize(
    "name, method, url",
    [
        ("recommendation.json", "POST", "/v1/recommendations"),
        ("intake-check.json", "POST", "/v1/intake/check"),
        ("regimen.json", "POST", "/v1/regimens"),
        ("preview.json", "POST", "/v1/preview"),
        ("customer.json", "PUT", "/v1/customers/docs-example"),
    ],
)
def test_every_example_body_is_accepted(api, name, method, url):
    body = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    response = api.open(url, method=method, json=body)
    assert response.status_code == 200, response.get_json()


def test_the_example_events_are_valid():
    from service.contract.schemas import EventsRequestSchema

    body = json.loads((EXAMPLES / "events.json").read_text(encoding="utf-8"))
    assert len(EventsRequestSchema().load(body)["events"]) == 4


def test_the_example_profile_file_works_with_the_cli():
    from click.testing import CliRunner

    from service.cli import main

    result = CliRunner().invoke(
        main, ["recommend", "--profile", str(EXAMPLES / "profile.yaml"), "--date", "2026-11-28"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"]


def test_the_example_rule_file_lints_clean(tmp_path):
    from service.core.lint import lint
    from service.core.snapshot import DataPaths

    from .conftest import CATALOG, RULES

    assert yaml.safe_load((EXAMPLES / "rule.yaml").read_text(encoding="utf-8"))["rules"]
    result = lint(DataPaths(CATALOG, RULES), EXAMPLES / "rule.yaml", TODAY)
    assert [str(f) for f in result.findings] == []


def test_every_setting_is_in_the_operator_guide():
    guide = (REPO_ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    missing = [k for k in defaults() if f"DOSEWISE_{k}" not in guide and k != "REDIS_URL"]
    assert missing == []
    for name in ("REDIS_URL", "HOST", "PORT", "WEB_CONCURRENCY", "CELERY_CONCURRENCY"):
        assert f"`{name}`" in guide


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_links_stay_inside_the_repository_and_exist(doc):
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s) links
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(REPO_ROOT), f"{doc.name}: {target} leaves the repository"
        assert resolved.exists(), f"{doc.name}: {target} does not exist"
