"""`dosewise refills` and `dosewise buy-again`: a stored customer's refill calendar, reorder and
products to buy again, and the daily refill job (start it, follow it, see its state)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, NoReturn

import click

from .base import _customers, _redis_lost, _refused, fail, format_option, main

LOCALES = click.Choice(["nl", "de", "en"])


def _basket(app: Any, text: str) -> list:
    from ..core.errors import InvalidInput
    from ..customers.refills import basket_lines

    skus = [s.strip() for s in text.split(",") if s.strip()]
    if text.strip() and not skus:  # as the API's `basket=,,,` (review s35b F10)
        raise click.BadParameter(
            "must not be blank: give SKUs separated by commas", param_hint="--basket"
        )
    try:
        return basket_lines(app.extensions["dosewise"], skus)
    except InvalidInput as exc:
        raise click.BadParameter(json.dumps(exc.fields), param_hint="--basket") from exc


def _unreadable(exc: Exception) -> NoReturn:
    """One line for a stored profile no answer can use: the API's 503 (corrupt) or 409
    (stale) in words, never a traceback (review s31b H1)."""
    from ..core.errors import DosewiseError

    if isinstance(exc, DosewiseError):  # StaleProfile: what the catalog lacks, what to do
        _refused(exc)
    fail(
        "the stored profile of this customer cannot be read (it does not decode, or is not a "
        "profile PUT /v1/customers/{id} would take): store it again with that PUT"
    )


def calendar_text(body: dict) -> str:
    """The refill calendar as lines: when each product runs out, then the reorder."""
    lines = [f"refills of {body['customer_id']} on {body['today']}:"]
    if not body["refills"]:
        lines.append("  no purchases on record")
    for entry in body["refills"]:
        days = entry["days_left"]
        when = f"in {days} days" if days > 0 else ("today" if days == 0 else f"{-days} days ago")
        marks = [m for m in ("due",) if entry[m]]
        if entry["in_reorder"]:  # review s31b H9: items or left_out
            marks.append("reordered" if entry["reordered"] else "left out of the reorder")
        if entry.get("fits") is False:
            marks.append("no longer fits: " + " ".join(w["text"] for w in entry["why"]))
        lines.append(
            f"  {entry['runs_out_on']} ({when:>13})  {entry['sku']:<24} {entry['name']}"
            + (f"  [{'; '.join(marks)}]" if marks else "")
        )
    reorder = body["reorder"]
    if reorder:
        lines.append(f"reorder by {reorder['order_by']}:")
        for item in reorder["items"]:
            what = "reorder" if item["action"] == "reorder" else f"instead of {item['replaces']}"
            lines.append(f"  {item['sku']:<24} {item['name']} ({what})")
            for reason in item["reasons"]:
                lines.append(f"      reason: {reason['text']}")
            for why in item.get("why", []):
                lines.append(f"      why: {why['text']}")
            for warning in item["warnings"]:
                lines.append(f"      warning: {warning['text']}")
        for left in reorder["left_out"]:
            lines.append(f"  left out {left['sku']}: {left['advice']}")
            for why in left["why"]:
                lines.append(f"      why: {why['text']}")
    for notice in body["notices"]:
        lines.append(f"notice: {notice['text']}")
    return "\n".join(lines)


@main.command("refills")
@click.argument("customer_id", required=False)
@click.option(
    "--locale",
    type=LOCALES,
    default=None,
    help="Language of the texts (default: the customer's shop language, as the API).",
)
@click.option("--basket", default="", help="SKUs in the basket, comma-separated.")
@format_option
@click.option("--all", "run_all", is_flag=True, help="Start the daily refill job now.")
@click.option("--status", "show_status", is_flag=True, help="Show the latest refill job.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow --all.")
def refills(
    customer_id: str | None,
    locale: str | None,
    basket: str,
    fmt: str,
    run_all: bool,
    show_status: bool,
    wait: bool,
) -> None:
    """A stored customer's refills: when each product bought runs out, and the combined reorder
    checked against the profile as it is now (what no longer fits is replaced or left out,
    with why). With --all, start the daily refill job (Redis and the JSON-lines export for the
    email tool, docs/operators.md); --status shows its progress.

    Redis is REDIS_URL, or the one a running `make run` of this checkout started.
    """
    import redis

    from workers.celery_app import celery_init_app

    from ..core.errors import NotFound
    from ..customers.entries import CorruptEntry, StaleProfile
    from ..customers.refills import JOB, customer_refills
    from ..customers.refresh import abandon_if_dead, progress

    if not (customer_id or run_all or show_status):
        raise click.UsageError("say CUSTOMER_ID, --all or --status")
    app = _customers()
    store = app.store
    jobs = store.for_job(JOB)
    try:
        if show_status:
            state = jobs.run_state()
            if state is None:
                click.echo("no refill job has run yet")
                return
            click.echo(json.dumps({"due": 0, **(progress(state) or {})}, indent=2))
            return
        if customer_id:
            try:
                body = customer_refills(
                    app.recommender,
                    store,
                    customer_id,
                    locale,
                    _basket(app, basket),
                )
            except NotFound as exc:
                fail(str(exc))
            except (CorruptEntry, StaleProfile) as exc:
                _unreadable(exc)
            click.echo(
                json.dumps(body, indent=2, ensure_ascii=False)
                if fmt == "json"
                else calendar_text(body)
            )
            return
        from workers.refill_tasks import start_refills

        celery = celery_init_app(app)
        if not (celery.conf.task_always_eager or celery.control.ping(timeout=1.0)):
            fail(
                "no Celery worker answers on the broker: start `make run` (it runs one) or "
                "`celery -A workers.make_celery worker`, then repeat the command"
            )
        run = start_refills(app, "cli")
        click.echo(f"run {run['run_id']} ({'started' if run['started'] else 'already running'})")
        while wait:
            abandon_if_dead(jobs, jobs.run_state(run["run_id"]))
            state = jobs.run_state(run["run_id"]) or {}
            if state.get("status") == "abandoned":
                fail("no chunk finished within its lock's TTL: are the workers running?")
            if state.get("exported_to"):
                click.echo(
                    f"finished: {state.get('done')} customers, {state.get('due', 0)} with "
                    f"refills due, export {state['exported_to']}"
                )
                return
            time.sleep(0.5)
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)


@main.command("buy-again")
@click.argument("customer_id")
@click.option(
    "--locale",
    type=LOCALES,
    default=None,
    help="Language of the texts (default: the customer's shop language, as the API).",
)
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--basket", default="", help="SKUs in the basket, comma-separated.")
def buy_again_command(customer_id: str, locale: str | None, limit: int, basket: str) -> None:
    """Products a stored customer bought that still fit the profile as it is now, most
    bought first, with their run-out dates (JSON).

    Redis is REDIS_URL, or the one a running `make run` of this checkout started."""
    import redis

    from ..core.errors import NotFound
    from ..customers.entries import CorruptEntry, StaleProfile
    from ..customers.refills import customer_buy_again

    app = _customers()
    try:
        body = customer_buy_again(
            app.recommender, app.store, customer_id, locale, limit, _basket(app, basket)
        )
    except NotFound as exc:
        fail(str(exc))
    except (CorruptEntry, StaleProfile) as exc:
        _unreadable(exc)
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
    json.dump(body, sys.stdout, indent=2, ensure_ascii=False)
    click.echo()
