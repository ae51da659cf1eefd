"""`dosewise refresh`: precomputed lists in Redis through the Celery workers."""

from __future__ import annotations

import json
import math
import sys
import time

import click

from .base import (
    _customers,
    _redis_lost,
    fail,
    main,
)


def _seconds(value: float) -> float:
    if math.isnan(value):
        raise click.BadParameter("nan is no number of seconds")
    return value


@main.command()
@click.option("--all", "all_customers", is_flag=True, help="Refresh every stored customer.")
@click.option("--customer", "customer_id", default=None, help="Refresh one customer now.")
@click.option(
    "--force",
    is_flag=True,
    help="Recompute lists that are still fresh too, every profile computed again (not taken "
    "from the results other customers' refreshes shared today).",
)
@click.option("--status", "show_status", is_flag=True, help="Show the latest run and exit.")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Follow the run with a progress bar until it finishes.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, max=1e9),  # review s33b F7: nan and 1e400 (inf) passed
    callback=lambda ctx, param, value: _seconds(value),
    default=0,
    help="Stop waiting after this many seconds (exit 1); 0: wait while the run progresses.",
)
def refresh(
    all_customers: bool,
    customer_id: str | None,
    force: bool,
    show_status: bool,
    wait: bool,
    timeout: float,
) -> None:
    """Refresh precomputed recommendations in Redis through the Celery workers.

    Redis is REDIS_URL, or the one a running `make run` of this checkout started. With --all
    the run takes a lock: a second run while one is going shows the running one instead of
    doubling the work. Progress (done, rate, ETA) is also at GET /v1/admin/refresh. A run that
    finishes no chunk within DOSEWISE_REFRESH_LOCK_TTL seconds (its workers are gone) is
    abandoned: the wait ends with exit 1 and says so, and beat (or the next --all) resumes it.
    """
    import redis
    from tqdm import tqdm

    from workers.celery_app import celery_init_app
    from workers.tasks import start_refresh

    from ..customers.refresh import progress

    # one of the three, each as given (review s32b F7: `--all --customer X` refreshed X alone,
    # `--customer ''` was told to say --customer)
    chosen = [o for o, on in [("--all", all_customers), ("--customer", customer_id is not None),
              ("--status", show_status)] if on]  # fmt: skip
    if len(chosen) != 1:
        said = f" (not {' and '.join(chosen)} together)" if chosen else ""
        raise click.UsageError(f"say one of --all, --customer ID or --status{said}")
    if customer_id is not None and not customer_id.strip():
        raise click.UsageError("--customer needs a customer id")
    components = _customers()
    store = components.store
    celery = celery_init_app(components)
    try:
        if show_status:
            state = store.run_state()
            if state is None:
                click.echo("no refresh has run yet")
                return
            click.echo(json.dumps(progress(state), indent=2))
            return
        if customer_id:
            task = celery.tasks["workers.tasks.refresh_customer"]
            counts = task(customer_id)  # here, with these components
            click.echo(json.dumps(counts))
            if counts.get("missing"):  # as `refills` and `buy-again` (review 21 L2)
                fail(f"no customer {customer_id!r}")
            return
        latest = store.run_state() or {}
        # a run already going is followed (the wait below sees when its workers are gone);
        # a new run without a worker would only wait
        following = latest.get("status") == "running"
        if not (following or celery.conf.task_always_eager or celery.control.ping(timeout=1.0)):
            fail(
                "no Celery worker answers on the broker: start `make run` (it runs one) or "
                "`celery -A workers.make_celery worker`, then repeat the command"
            )
        run = start_refresh(components, "cli", force)
        click.echo(f"run {run['run_id']} ({'started' if run['started'] else 'already running'})")
        if not wait:
            return
        from ..customers.refresh import abandon_if_dead

        state = progress(store.run_state(run["run_id"])) or {}
        deadline = time.monotonic() + timeout if timeout > 0 else None
        with tqdm(total=state.get("total", 0), unit="customer", dynamic_ncols=True) as bar:
            while True:
                raw = store.run_state(run["run_id"])
                abandon_if_dead(store, raw)
                state = progress(store.run_state(run["run_id"])) or {}
                bar.total = state.get("total", bar.total)
                bar.update(state.get("done", 0) - bar.n)
                bar.set_postfix(computed=state.get("computed", 0), skipped=state.get("skipped", 0))
                if state.get("status") == "finished":
                    break
                if state.get("status") == "abandoned" or (
                    deadline is not None and time.monotonic() > deadline
                ):
                    bar.close()
                    why = (
                        "no chunk finished within its lock's TTL: are the workers running?"
                        if state.get("status") == "abandoned"
                        else f"not finished after {timeout:g} s; it goes on without this command"
                    )
                    click.echo(
                        f"run {run['run_id']}: {why} {state.get('done', 0)} of "
                        f"{state.get('total', 0)} done. Lists already written stay; beat resumes "
                        "an abandoned run, or run `dosewise refresh --all` again.",
                        err=True,
                    )
                    sys.exit(1)
                time.sleep(0.5)
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
    click.echo(
        f"finished: {state.get('done')} customers, {state.get('computed')} distinct "
        f"profiles computed, {state.get('rate_per_s')} customers/s"
    )
