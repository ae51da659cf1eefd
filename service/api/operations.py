"""Health, readiness, metrics and the admin reload."""

from __future__ import annotations

import os

import redis
from flask import current_app, jsonify, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST

from ..contract.base import RunQuerySchema, StrictQuerySchema
from ..contract.schemas import (
    RefreshRequestSchema,
    RefreshStateSchema,
    ReloadRefusedSchema,
    ReloadResponseSchema,
)
from ..core.errors import NotFound, Unavailable
from ..customers.redis_client import get_store, redis_status
from ..customers.refresh import progress
from .metrics import render

blp = Blueprint("operations", __name__, description="Probes, metrics and administration.")


@blp.record_once
def _report_data_state(state) -> None:
    """/metrics reports the data this process serves as it is at the scrape."""
    recommender = state.app.extensions["dosewise"]
    state.app.extensions["dosewise_metrics"].watch_data(
        lambda: (recommender.status.ok, recommender.snapshot.versions)
    )


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadinessSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(required=True)
    versions = fields.Dict()
    reload = fields.Dict()


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
def healthz():
    """The process is alive."""
    return jsonify({"status": "ok"})


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema)
def readyz():
    """Ready = catalog, rules and model in service and Redis reachable where one is configured
    (`?redis=optional`: reported, but not required). Each check's `ok` is the real state: false
    when the files on disk were refused (the last good set keeps serving, so the service stays
    ready) or when a promoted model artefact was refused (`error` says why)."""
    recommender = current_app.extensions["dosewise"]
    snapshot = recommender.snapshot
    refused = [f.file for f in recommender.status.findings]
    catalog_path = str(recommender.paths.catalog)
    catalog_refused = [f for f in refused if _same_file(f, catalog_path)]
    rules_refused = [f for f in refused if not _same_file(f, catalog_path)]
    models = recommender.models
    checks = {
        "catalog": {
            "ok": len(snapshot.catalog) > 0 and not catalog_refused,
            "loaded": len(snapshot.catalog) > 0,
            "products": len(snapshot.catalog),
            "version": snapshot.catalog.version,
        },
        "rules": {
            "ok": not rules_refused,
            "loaded": True,
            "rules": len(snapshot.rules.rules),
            "version": snapshot.rules_version,
            "last_reload_ok": recommender.status.ok,
            "refused_files": sorted(set(rules_refused)),
        },
        "model": {
            "ok": models.error is None,
            "loaded": True,  # without a model the transparent score ranks (cold start)
            "version": snapshot.model_version,
            "ranking": "model" if models.ready else "transparent score",
            "error": models.error,
        },
        "redis": redis_status(current_app),
    }
    experiments = current_app.extensions.get("dosewise_experiments")
    if experiments is not None:  # a refused experiments file: the last good one serves
        experiments.refresh(snapshot.rules.rules)  # an edit shows here, not only on a request
        checks["experiments"] = {  # (review s35b F4); and exposures not written (F2)
            "ok": experiments.error is None and experiments.exposure_error is None,
            "loaded": True,
            "error": experiments.error,
            "exposures_error": experiments.exposure_error,
        }
    # ?redis=optional: Redis is reported but does not decide (load balancers keep a pod that
    # can still compute answers while Redis is down)
    optional = {"redis"} if request.args.get("redis") == "optional" else set()
    ready = all(
        check.get("loaded", check.get("ok", False))
        for name, check in checks.items()
        if name not in optional
    )
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": checks,
        "versions": snapshot.versions,
        "reload": recommender.status.to_dict(),
    }
    return jsonify(body), (200 if ready else 503)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


@blp.route("/metrics", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
)
def metrics():
    """Prometheus text format."""
    recommender = current_app.extensions["dosewise"]
    m = current_app.extensions["dosewise_metrics"]
    m.cache_hits.set(recommender.cache.hits)
    m.cache_misses.set(recommender.cache.misses)
    _refresh_metrics(m)
    return render(m), 200, {"Content-Type": CONTENT_TYPE_LATEST}


@blp.route("/v1/admin/reload", methods=["POST"])
@blp.response(200, ReloadResponseSchema)
@blp.alt_response(422, schema=ReloadRefusedSchema)
def reload():
    """Reload catalog and rule files now. A broken set is refused (422, the contract's error
    object plus every finding with its file and line); the last good one keeps serving."""
    recommender = current_app.extensions["dosewise"]
    given = request.get_json(silent=True) if request.get_data(cache=True) else None
    if given is not None and given != {}:  # the body is optional and has no fields (R12)
        fields = {"_body": ["the reload takes no fields; send no body or {}"]}
        if isinstance(given, dict):
            fields = {name: ["unknown field"] for name in given}
        body = {
            # not "refused", which says the data files were (review s39b F5: a monitor
            # reading `status` took a wrong request body for broken rule files)
            "status": "invalid_request",
            "checks": {},
            "versions": recommender.snapshot.versions,
            "error": {
                "code": "validation_failed",
                "message": "the request fails validation; see fields",
                "fields": fields,
            },
        }
        return jsonify(body), 422
    status = recommender.reload()
    m = current_app.extensions["dosewise_metrics"]
    m.reloads.labels("ok" if status.ok else "refused").inc()
    body = {
        "status": "reloaded" if status.ok else "refused",
        "checks": {},
        "versions": recommender.snapshot.versions,
        "reload": status.to_dict(),
    }
    # the experiments file too, now (review s36b F6: a refused one answered 200 "reloaded")
    experiments = current_app.extensions.get("dosewise_experiments")
    refused = None
    if experiments is not None:
        experiments.refresh(recommender.snapshot.rules.rules, force=True)
        refused = experiments.error
        body["checks"] = {"experiments": {"ok": refused is None, "error": refused}}
    if status.ok and refused is None:
        return jsonify(body), 200
    fields = {f"{f.file}:{f.line}:{f.column}": [f"{f.code}: {f.message}"] for f in status.findings}
    message = "the data files were refused; the last good set keeps serving"
    if status.ok:  # the catalog and rules serve; the experiments file's last good version too
        body["status"] = "refused"
        fields = {"experiments": [str(refused)]}
        message = "the experiments file was refused (its last good version keeps serving); "
        message += "the catalog and rules were reloaded"
    body["error"] = {"code": "data_file_invalid", "message": message, "fields": fields}
    return jsonify(body), 422


@blp.route("/v1/admin/refresh", methods=["POST"])
@blp.arguments(StrictQuerySchema(), location="query", unknown=RAISE)  # review s39b F6
@blp.arguments(RefreshRequestSchema())
@blp.response(202, RefreshStateSchema)
def start_refresh(_query: dict, body: dict):
    """Start a batch refresh of every stored customer's list (one at a time: a second call
    while one runs answers with the running one)."""
    from workers.tasks import start_refresh as start

    try:
        state = start(current_app._get_current_object(), "admin", body["force"])
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the customer store is unavailable") from exc
    return jsonify(state), 202


@blp.route("/v1/admin/refresh", methods=["GET"])
@blp.arguments(RunQuerySchema(), location="query", unknown=RAISE)  # review s39b F6
@blp.response(200, RefreshStateSchema)
def refresh_state(query: dict):
    """Progress of the latest batch refresh (or ?run_id=...): done, total, rate, ETA."""
    try:
        state = get_store(current_app).run_state(query.get("run_id"))
    except (redis.RedisError, OSError) as exc:
        raise Unavailable("the customer store is unavailable") from exc
    if state is None:
        raise NotFound("no refresh has run yet")
    return jsonify(progress(state))


def _refresh_metrics(m) -> None:
    """Refresh progress and lag, and the Celery queue, read from Redis at scrape time."""
    import time

    try:
        state = get_store(current_app).run_state()
        if state:
            m.refresh_done.set(float(state.get("done", 0)))
            m.refresh_total.set(float(state.get("total", 0)))
            m.refresh_age.set(time.time() - float(state.get("started_at", time.time())))
            m.refresh_running.set(1 if state.get("status") == "running" else 0)
        broker = current_app.extensions["celery"].conf.broker_url or ""
        if broker.startswith("redis"):
            client = redis.Redis.from_url(broker, socket_timeout=0.3, socket_connect_timeout=0.3)
            m.queue_length.set(client.llen("celery"))
            client.close()
    except (redis.RedisError, OSError, ValueError):
        pass  # metrics never fail because Redis does
