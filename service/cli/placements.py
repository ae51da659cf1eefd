"""`dosewise placements ...`: the lists of rules/placements.yaml from the command line (issue
11): list the placements, show one for a profile (with a basket or a product), the alternatives
of a product (with or without a profile), the cart for a basket, and rebuild the co-purchase
table. Answers are the HTTP bodies, as JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

import click
from marshmallow import ValidationError

from ..contract.placements import AlternativesQuerySchema, AlternativesRequestSchema
from ..contract.schemas import RecommendationRequestSchema, flatten_messages
from ..core.errors import DosewiseError
from ..core.profile import Line
from ..core.requests import RecommendationRequest
from . import base
from .base import _refused, did_you_mean, main, with_data

if TYPE_CHECKING:
    from ..core.snapshot import Snapshot


def _emit(answer: dict[str, Any]) -> None:
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


def _refuse(
    exc: DosewiseError, snapshot: Snapshot, skus: Iterable[str | None], placement: str | None
) -> NoReturn:
    """The error as one line (as `recommend` and `explain` say it), with a did-you-mean for
    an unknown SKU or placement."""
    hint = did_you_mean(skus, snapshot.catalog.index)
    if placement is not None:
        hint += did_you_mean([placement], snapshot.placements.names)
    _refused(exc, hint)


PROFILE = click.option(
    "--profile",
    "profile_path",
    help="JSON or YAML file with a profile, or a whole request body; '-' for stdin.",
)
BASKET = click.option(
    "--basket", "basket", multiple=True, help="A SKU in the basket (repeat for more)."
)
LIMIT = click.option("--limit", type=click.IntRange(1, 50), default=None)
LOCALE = click.option("--locale", type=click.Choice(["nl", "de", "en"]), default=None)
DATE = click.option(
    "--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Evaluate as on."
)


@main.group()
def placements() -> None:
    """The shop's placements (rules/placements.yaml): home, product_page, cart, checkout,
    account, email. Every item of every placement keeps every safety guarantee."""


@placements.command("list")
@with_data
def placements_list(catalog: str, rules: str) -> None:
    """Print each placement: strategy chain, length, diversity, rules, precomputed."""
    snapshot = base._recommender(catalog, rules).snapshot
    if not snapshot.placements.placements:
        click.echo(f"no placements: {snapshot.placements.file} does not exist")
        return
    for name in snapshot.placements.names:
        p = snapshot.placements.placements[name]
        rules_text = p.rules if isinstance(p.rules, str) else ", ".join(p.rules)
        click.echo(
            f"{name}: {' -> '.join(p.strategies)}; length {p.length}; "
            f"max per category {p.max_per_category or '-'}, per brand {p.max_per_brand or '-'}; "
            f"rules {rules_text}; basket overlap {p.basket_overlap}"
            + ("; precomputed" if p.precomputed else "")
        )


def _request(
    profile_path: str,
    basket: tuple[str, ...],
    limit: int | None,
    locale: str | None,
    placement: str,
    product_sku: str | None,
) -> RecommendationRequest:
    request = base._load_request(profile_path, RecommendationRequestSchema())
    extra = tuple(Line(sku=sku) for sku in basket)
    return replace(
        request,
        basket=request.basket + extra,
        limit=limit or request.limit,
        locale=locale or request.locale,
        placement=placement,
        product_sku=product_sku or request.product_sku,
    )


@placements.command("show")
@click.argument("placement")
@with_data
@PROFILE
@BASKET
@click.option("--product", "product_sku", default=None, help="The product on the page.")
@LIMIT
@LOCALE
@DATE
def placements_show(
    placement: str,
    catalog: str,
    rules: str,
    profile_path: str | None,
    basket: tuple[str, ...],
    product_sku: str | None,
    limit: int | None,
    locale: str | None,
    day: dt.datetime | None,
) -> None:
    """Print PLACEMENT's list for a profile (and basket, product) as JSON, as
    `POST /v1/recommendations` with `placement` answers it (without co-purchase signal)."""
    from ..core.placements.serve import recommend_placement

    if profile_path is None:
        base.fail("give --profile (a JSON or YAML profile; see docs/examples/profile.yaml)", 2)
        return
    request = _request(profile_path, basket, limit, locale, placement, product_sku)
    recommender = base._recommender(catalog, rules)
    today = day.date() if day else recommender.clock()
    try:
        _emit(recommend_placement(recommender.snapshot, request, today, None, None))
    except DosewiseError as exc:
        skus = [request.product_sku, *(line.sku for line in request.basket)]
        _refuse(exc, recommender.snapshot, skus, placement)


@placements.command("cart")
@with_data
@PROFILE
@BASKET
@LIMIT
@LOCALE
@DATE
@click.pass_context
def placements_cart(ctx: click.Context, **options: Any) -> None:
    """Complete my routine: the `cart` placement for a profile and a basket (--basket SKU)."""
    ctx.invoke(placements_show, placement="cart", product_sku=None, **options)


@placements.command("alternatives")
@click.argument("sku")
@with_data
@PROFILE
@BASKET
@LIMIT
@LOCALE
@click.option("--country", default="NL", show_default=True, help="Market (without --profile).")
@DATE
def placements_alternatives(
    sku: str,
    catalog: str,
    rules: str,
    profile_path: str | None,
    basket: tuple[str, ...],
    limit: int | None,
    locale: str | None,
    country: str,
    day: dt.datetime | None,
) -> None:
    """Print the alternatives of SKU as JSON: with --profile (and --basket) safe for that
    profile, as `POST /v1/products/{sku}/alternatives`; without, as the GET."""
    from ..core.placements.serve import alternatives_for_profile, alternatives_of

    recommender = base._recommender(catalog, rules)
    try:  # as the GET validates its query (the markets of the rules just read)
        country = AlternativesQuerySchema().load({"country": country})["country"]
    except ValidationError as exc:
        # the last says it all ("'' is not an ISO 3166-1 alpha-2 country code; markets ...");
        # the pattern's "String does not match expected pattern." before it only repeats it
        problems = flatten_messages(exc.messages).get("country") or ["not a country code"]
        base.fail(f"--country {country!r}: {problems[-1]}")
    body: dict[str, Any] = {}
    try:
        if not profile_path:
            _emit(alternatives_of(recommender.snapshot, sku, limit or 5, locale or "nl", country))
            return
        body = base._load_request(profile_path, AlternativesRequestSchema())
        if basket:
            body["basket"] = [*body.get("basket", []), *({"sku": s} for s in basket)]
        if limit:
            body["limit"] = limit
        if locale:
            body["locale"] = locale
        today = day.date() if day else recommender.clock()
        _emit(alternatives_for_profile(recommender.snapshot, sku, body, today))
    except DosewiseError as exc:
        skus = [sku, *(line.get("sku") for line in body.get("basket", []))]
        _refuse(exc, recommender.snapshot, skus, None)


@placements.command("copurchase")
@click.option(
    "--full",
    is_flag=True,
    help="Start the counts again from the events still in the stream (events the learning "
    "export took out, or the stream's length cap dropped, then no longer count).",
)
def placements_copurchase(full: bool) -> None:
    """Update the co-purchase table with the purchase events in Redis since its last update
    now (what the job beat runs hourly does: only new events, only the rows they change), and
    print its counts."""
    import redis

    from ..customers.copurchase import update

    components = base._customers()
    try:
        stats = update(components.store, components.recommender.snapshot.catalog.index, full=full)
    except (redis.RedisError, OSError) as exc:
        base._redis_lost(exc)
    if not stats.get("started"):
        base.fail("another build of the co-purchase table is running; try again in a minute")
    _emit(stats)
