"""`dosewise recommend`, `explain` and `check-intake`: the answers of the API for a profile file."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import click

from ..contract.places import checked_in_request
from ..contract.schemas import IntakeCheckRequestSchema, RecommendationRequestSchema
from ..core.errors import DosewiseError
from ..core.placements.serve import check_placement, recommend_placement
from ..core.vocabulary import LOCALES
from .base import (
    _load_request,
    _recommender,
    _refused,
    date_option,
    did_you_mean,
    format_option,
    main,
    profile_option,
    with_data,
)


@main.command()
@with_data
@profile_option("JSON or YAML file with a profile or a whole request body; '-' for stdin.")
@click.option("--sku", required=True, help="The product to explain.")
@click.option(
    "--locale",
    type=click.Choice(list(LOCALES)),
    default=None,
    help="Language of names and texts (default: the file's `locale`, else nl, as the API).",
)
@date_option("Explain as on this day (campaign windows, season; default: today).")
@format_option
def explain(
    catalog: str,
    rules: str,
    profile_path: str,
    sku: str,
    locale: str | None,
    day: dt.datetime | None,
    fmt: str,
) -> None:
    """Why SKU is or is not recommended for a profile: each safety exclusion with its numbers
    (e.g. "vitamin_d_ug: 25 taken or in the basket + 75 from this product + 7 from food =
    107 µg a day, above the upper limit of 100 µg"), each rule with its effect, the
    score (where a model serves: its blend, and the rule strength a boost counts with)."""
    from ..core.explain import explain_product

    request = _load_request(profile_path, RecommendationRequestSchema())
    if locale:
        request = replace(request, locale=locale)
    snapshot = _recommender(catalog, rules).snapshot
    try:
        answer = explain_product(
            snapshot,
            request,
            sku,
            day.date() if day else dt.date.today(),
        )
    except DosewiseError as exc:
        _refused(exc, did_you_mean([sku], snapshot.catalog.index))
    if fmt == "json":
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    click.echo(f"{answer['sku']} ({answer['name']}): {answer['verdict']}")
    for exclusion in answer["safety_exclusions"]:
        click.echo(f"  safety  {exclusion['code']}: {exclusion['text']}")
    for rule in answer["rules"]:
        click.echo(
            f"  rule    {rule['rule']} ({rule['action']} {rule['effect']}): "
            f"{rule['status']}  [{rule['file']}:{rule['line']}]"
        )
    score = answer["score"]
    parts = ", ".join(f"{k} {v:+.3f}" for k, v in score["contributions"].items())
    rules = f"rules {sum(score['rule_weights'].values()):+.3f}"
    blend = (score.get("learned") or {}).get("blend")
    if blend is None:
        click.echo(f"  score   raw {score['raw_score']:+.3f} = {parts}, {rules}")
        return
    # a model serves: the raw score is its blend, not the sum of the transparent parts (review
    # s36b F5: "raw +0.390 = ..." of parts that came to 1.625); a boost counts by rule strength
    click.echo(
        f"  score   raw {score['raw_score']:+.3f} = model {blend['model_part']:+.3f} + "
        f"transparent {blend['transparent_part']:+.3f} + rules {blend['rule_weight']:+.3f} "
        f"(rule strength {blend['rule_strength']:g}: a boost counts x{blend['rule_strength']:g})"
    )
    click.echo(f"          transparent score: {parts}, rule weights {rules[6:]}")


@main.command()
@with_data
@profile_option("JSON or YAML file with a profile, or a whole request body; '-' for stdin.")
@click.option("--limit", type=click.IntRange(1, 50), default=None)
@click.option("--locale", type=click.Choice(list(LOCALES)), default=None)
@click.option("--explain/--no-explain", default=False, help="Show features behind each score.")
@date_option("Evaluate as on this date (campaign windows, season).")
def recommend(
    catalog: str,
    rules: str,
    profile_path: str,
    limit: int | None,
    locale: str | None,
    explain: bool,
    day: dt.datetime | None,
) -> None:
    """Print the recommendations for a profile as JSON (same body as the HTTP API).

    A body with a `placement` (and `product_sku` for a product page) gets that placement's
    list, as the API answers it, without the shop's co-purchases (they live in Redis): a
    complements chain goes on with its other strategies."""
    request = _load_request(profile_path, RecommendationRequestSchema())
    request = replace(
        request,
        limit=limit or request.limit,
        locale=locale or request.locale,
        explain=explain or request.explain,
    )
    recommender = _recommender(catalog, rules)
    try:
        if request.placement is None:
            answer = recommender.recommend(request, day.date() if day else None)
        else:  # review 21 M3: the placement and the page product were silently dropped
            snapshot = recommender.snapshot
            check_placement(snapshot, request.placement, request.product_sku)
            today = day.date() if day else recommender.clock()
            answer = recommend_placement(snapshot, request, today, None, recommender.jurisdiction)
    except DosewiseError as exc:
        _refused(exc)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@main.command("check-intake")
@with_data
@profile_option("JSON or YAML file with a profile or an intake-check body; '-' for stdin.")
def check_intake(catalog: str, rules: str, profile_path: str) -> None:
    """Print totals against upper limits, violations and warnings as JSON."""
    body = _load_request(profile_path, IntakeCheckRequestSchema())
    recommender = _recommender(catalog, rules)
    try:
        answer = checked_in_request(recommender.check_intake, body)
    except DosewiseError as exc:
        _refused(exc)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
