"""Refills of stored customers: purchases in, refills and buy again out, and the daily job that
writes the refills due for every customer to Redis and to a JSON-lines export for the shop's
email tool.

The daily job is a batch run like the refresh (service/customers/refresh.py), with its own lock
and progress (`store.for_job(JOB)`): one run at a time, chunks counted once even when a killed
worker's chunk is delivered again, a run whose workers died marked abandoned and run again.
Each chunk writes its part of the export to its own file (a chunk run twice writes the same
file again); when the last chunk is counted the parts are joined into
`refills-YYYY-MM-DD.jsonl`, atomically, without the customers erased meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import DataFileError, InvalidInput, NotFound, Unavailable
from ..core.profile import Line, Profile
from ..core.recommender import Recommender
from ..core.refills import (
    CheckCache,
    Purchase,
    RefillConfig,
    buy_again,
    decode_purchases,
    listed_and_due,
    own_servings,
    plan_refills,
    refill_config,
    render_plan,
    supplies_of,
)
from .entries import check_bought, check_profile, check_stored
from .refresh import Store, begin_run, end_fanout, finish_chunk, locales_for

JOB = "refilljob"
EXPORT_PREFIX = "refills-"
EXPORTS_KEPT = 7  # days of exports kept (no longer than the store remembers erasures)
log = logging.getLogger("dosewise.refills")


HISTORY_WITHOUT_SETTINGS = 200  # purchases kept while rules/refills.yaml was never loaded


def config_of(recommender: Recommender) -> RefillConfig:
    """The refill settings; 503 (never a crash) when rules/refills.yaml was refused and no
    good version was ever loaded (the findings are in the log)."""
    try:
        return refill_config(recommender.paths.rules, recommender.snapshot.reference)
    except DataFileError as exc:
        log.error("rules/refills.yaml refused: %s", exc)
        raise Unavailable(
            "the refill settings (rules/refills.yaml) are refused; see the log"
        ) from exc


def purchases_of(raws: list[bytes], config: RefillConfig, profile: dict) -> list[Purchase]:
    """A stored history, each purchase on its date in the customer's market (profile
    `country`; rules/refills.yaml `time_zones`)."""
    return decode_purchases(raws, config.zone(profile.get("country")))


def record_purchases(recommender: Recommender, store: Store, events: list[dict[str, Any]]) -> int:
    """Keep the purchase events (with their quantity, default 1) in each customer's history,
    each with its time: every event is a purchase, the same event sent again is one (it is
    read on its date in the customer's market, see `purchases_of`)."""
    purchases = []
    for event in events:
        if event["type"] != "purchase":
            continue
        moment = dt.datetime.fromisoformat(event["timestamp"])
        purchase = Purchase.from_event(event["sku"], moment, int(event.get("quantity") or 1))
        purchases.append((event["customer_id"], purchase.encode()))
    if purchases:
        try:
            keep = config_of(recommender).history_per_customer
        except Unavailable:
            keep = HISTORY_WITHOUT_SETTINGS  # the purchases are kept all the same
        store.add_purchases(purchases, keep)
    return len(purchases)


def _customer(
    store: Store, customer_id: str, config: RefillConfig, catalog: Any, today: dt.date
) -> tuple[dict, list[Purchase]]:
    entry, _ = store.read(customer_id)
    if entry is None:
        raise NotFound(f"no customer {customer_id!r}")
    check_profile(entry)  # CorruptEntry (503) unless a PUT would store it (review s31b H2)
    check_stored(catalog, customer_id, entry)  # 409: a product it takes was removed
    purchases = purchases_of(store.read_purchases(customer_id), config, entry["profile"])
    check_bought(catalog, customer_id, purchases, today)  # ... or one it bought
    return entry, purchases


def basket_lines(recommender: Recommender, skus: list[str]) -> list[Line]:
    """A basket given as SKUs (a query parameter); 422 naming each unknown one."""
    catalog = recommender.snapshot.catalog
    errors = {
        f"basket.{i}": [f"unknown SKU {s!r}"] for i, s in enumerate(skus) if s not in catalog.index
    }
    if errors:
        raise InvalidInput("the request names things the catalog does not know", errors)
    return [Line(sku=s) for s in skus]


def customer_refills(
    recommender: Recommender,
    store: Store,
    customer_id: str,
    locale: str | None,
    basket: list[Line] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The body of GET /v1/customers/{id}/refills, computed now from the stored profile
    (`locale` None: the shop language of the customer's country, as the e-mail export)."""
    config = config_of(recommender)
    entry, purchases = _customer(
        store, customer_id, config, recommender.snapshot.catalog, today or recommender.clock()
    )
    locale = locale or locales_for(entry["profile"])[0]
    snapshot = recommender.snapshot
    day = today or recommender.clock()
    plan = plan_refills(
        snapshot,
        config,
        Profile.from_dict(entry["profile"]),
        purchases,
        day,
        basket or [],
        recommender.jurisdiction,
        check_lasting=True,
    )
    body = render_plan(snapshot, config, plan, locale)
    # a product in the basket is being bought: no reorder of it, as buy-again and the refill
    # e-mail leave it out (review 21 L8: /refills proposed a second pack of it)
    in_basket = {line.sku for line in basket or () if line.sku}
    reorder = body["reorder"]
    if in_basket and reorder is not None:
        reorder["items"] = [i for i in reorder["items"] if i["sku"] not in in_basket]
        if not reorder["items"] and not reorder["left_out"]:
            body["reorder"] = None
    return {"customer_id": customer_id, **body}


def customer_buy_again(
    recommender: Recommender,
    store: Store,
    customer_id: str,
    locale: str | None,
    limit: int = 10,
    basket: list[Line] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    config = config_of(recommender)
    entry, purchases = _customer(
        store, customer_id, config, recommender.snapshot.catalog, today or recommender.clock()
    )
    locale = locale or locales_for(entry["profile"])[0]  # none asked: the shop's language
    snapshot = recommender.snapshot
    items = buy_again(
        snapshot,
        config,
        Profile.from_dict(entry["profile"]),
        purchases,
        today or recommender.clock(),
        locale=locale,
        limit=limit,
        basket=basket or [],
        jurisdiction=recommender.jurisdiction,
    )
    return {"customer_id": customer_id, "items": items, "versions": snapshot.versions}


# ---------------------------------------------------------------- the daily job
_BATCH: list[CheckCache] = []


def batch_cache() -> CheckCache:
    """This process's cache of the job's checks (core/refills/check.py): kept across the
    chunks a worker runs, since customers who share a profile are spread over every chunk;
    it starts again when the snapshot changes, and is bounded."""
    if not _BATCH:
        _BATCH.append(CheckCache())
    return _BATCH[0]


def refill_chunk(
    recommender: Recommender,
    store: Store,
    ids: list[str],
    today: dt.date,
    export_dir: Path | None = None,
    run_id: str = "",
    chunk: int = 0,
    evaluations: CheckCache | None = None,
) -> dict[str, int]:
    """The refills due of `ids`: written to Redis (removed where nothing is due) and, with
    `export_dir`, to this chunk's part of the run's export. Returns counts: done, due (customers
    with something due), missing (no profile), corrupt (a profile that does not decode)."""
    recommender.reload_if_changed()
    snapshot = recommender.snapshot
    config = config_of(recommender)
    profiles, corrupt, histories = store.read_profiles_and_purchases(ids)
    evaluations = batch_cache() if evaluations is None else evaluations
    profile_objects: dict[str, Profile] = {}
    entries: list[tuple[str, bytes | None]] = []
    lines: list[str] = []
    due = missing = 0
    for customer_id, entry, raws in zip(ids, profiles, histories, strict=True):
        if entry is None:
            missing += 0 if customer_id in corrupt else 1
            continue
        if not raws:
            entries.append((customer_id, None))
            continue
        stored = entry["profile"]
        # what runs out when, from the stored profile as it is: nothing due, nothing to check
        everything = supplies_of(
            snapshot,
            own_servings(stored.get("current_supplements")),
            purchases_of(raws, config, stored),
        )
        if not listed_and_due(config, everything, today)[1]:
            entries.append((customer_id, None))
            continue
        profile = profile_objects.get(entry["digest"])
        if profile is None:
            profile = profile_objects[entry["digest"]] = Profile.from_dict(stored)
        plan = plan_refills(
            snapshot,
            config,
            profile,
            [],
            today,
            (),
            recommender.jurisdiction,
            evaluations,
            profile_key=entry["digest"],
            everything=everything,
        )
        if not plan.due:
            entries.append((customer_id, None))
            continue
        due += 1
        locale = locales_for(stored)[0]
        record = {
            "customer_id": customer_id,
            "locale": locale,
            **render_plan(snapshot, config, plan, locale),
        }
        record["refills"] = [r for r in record["refills"] if r["due"] or r["in_reorder"]]
        data = _record_json(record)
        entries.append((customer_id, data))
        lines.append(data.decode())
    store.write_refills(entries)
    if export_dir is not None and run_id:
        _write_part(export_dir, run_id, chunk, lines)
    return {"done": len(ids), "due": due, "missing": missing, "corrupt": len(corrupt)}


def _record_json(record: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a refill record, as `json.dumps(separators=(",", ":"),
    ensure_ascii=False)` writes it (orjson: 3 % of a chunk's CPU was json), through json for
    a value orjson does not take."""
    try:
        return orjson.dumps(record)
    except TypeError:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()


def _parts_dir(export_dir: Path, run_id: str) -> Path:
    return export_dir / f".parts-{run_id}"


def _write_part(export_dir: Path, run_id: str, chunk: int, lines: list[str]) -> None:
    """This chunk's lines, replaced whole (a chunk delivered again writes the same file)."""
    parts = _parts_dir(export_dir, run_id)
    parts.mkdir(parents=True, exist_ok=True)
    target = parts / f"{chunk:06d}.jsonl"
    temporary = parts / f".{chunk:06d}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def export_path(export_dir: Path, day: dt.date) -> Path:
    return export_dir / f"{EXPORT_PREFIX}{day.isoformat()}.jsonl"


def join_export(store: Store, export_dir: Path, run_id: str, day: dt.date) -> Path:
    """Join the run's parts into the day's export (atomically, without customers erased
    meanwhile), drop the parts, and keep only the last EXPORTS_KEPT days of exports, each
    rewritten without the customers erased since it was written."""
    parts = _parts_dir(export_dir, run_id)
    target = export_path(export_dir, day)
    erased = store.recent_erasures()
    temporary = export_dir / f".{target.name}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as out:
        for part in sorted(parts.glob("*.jsonl")) if parts.exists() else []:
            with part.open(encoding="utf-8") as handle:
                if not erased:  # nobody erased lately (the common case): the part as it is
                    shutil.copyfileobj(handle, out)
                    continue
                for line in handle:
                    if json.loads(line).get("customer_id") not in erased:
                        out.write(line)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    for stale in [parts, *export_dir.glob(".parts-*")]:
        # this run's parts, and those an abandoned run left more than a day ago
        if stale.is_dir() and (stale == parts or time.time() - stale.stat().st_mtime > 86_400):
            for part in stale.iterdir():
                part.unlink(missing_ok=True)
            stale.rmdir()
    erase_from_exports(store, export_dir, keep=EXPORTS_KEPT)
    return target


def erase_from_exports(store: Store, export_dir: Path, keep: int = EXPORTS_KEPT) -> int:
    """Rewrite the kept exports without customers erased recently; remove older exports.
    Returns the records removed."""
    if not export_dir.exists():
        return 0
    files = sorted(export_dir.glob(f"{EXPORT_PREFIX}*.jsonl"))
    for old in files[:-keep] if keep else files:
        old.unlink(missing_ok=True)
    erased = store.recent_erasures()
    removed = 0
    for path in files[-keep:] if keep else []:
        if not erased:
            break
        kept, dropped = [], 0
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if json.loads(line).get("customer_id") in erased:
                    dropped += 1
                else:
                    kept.append(line)
        if dropped:
            temporary = path.with_name(f".{path.name}.erasing")
            temporary.write_text("".join(kept), encoding="utf-8")
            os.replace(temporary, path)
            removed += dropped
    return removed


def begin_refill_run(
    store: Store, recommender: Recommender, reason: str, lock_ttl: int, day: dt.date
) -> tuple[str, bool]:
    """Take the refill job's lock and record the run (see refresh.begin_run)."""
    run_id, started = begin_run(store.for_job(JOB), recommender, reason, lock_ttl)
    if started:
        store.for_job(JOB).update_run(run_id, {}, {"day": day.isoformat(), "due": 0})
    return run_id, started


def finish_refill_chunk(
    store: Store,
    run_id: str,
    chunk: int,
    counts: dict[str, int],
    lock_ttl: int,
    export_dir: Path,
) -> dict[str, str]:
    state = finish_chunk(store.for_job(JOB), run_id, chunk, counts, lock_ttl)
    return join_if_finished(store, run_id, state, export_dir)


def end_refill_fanout(
    store: Store, run_id: str, chunks_sent: int, export_dir: Path
) -> dict[str, str]:
    state = end_fanout(store.for_job(JOB), run_id, chunks_sent)
    return join_if_finished(store, run_id, state, export_dir)


def join_if_finished(
    store: Store, run_id: str, state: dict[str, str], export_dir: Path
) -> dict[str, str]:
    if state.get("status") == "finished" and "exported_to" not in state:
        day = dt.date.fromisoformat(state.get("day") or dt.date.today().isoformat())
        target = join_export(store, export_dir, run_id, day)
        state = store.for_job(JOB).update_run(
            run_id, {}, {"exported_to": str(target), "exported_at": time.time()}
        )
        log.info("refill run %s exported to %s", run_id, target)
    return state
