"""What the cached hit's Redis script (READ_AND_LOG) costs Redis, against another revision's
script, in alternated rounds (session 10; bench/README.md, "Where the time goes").

Stores one customer and refreshes its list in process (database 12 of REDIS_URL, flushed), then
calls each script in a loop as the fast path does (the same keys and arguments, a hit that logs
its impression), round by round alternating: Redis's time inside EVALSHA (`INFO commandstats`)
and Redis's process CPU per call (`INFO cpu`, which includes its socket work for the call). The
stream and the customer's index are emptied before each run. Prints medians (min-max) and the
per-round ratio to the first revision.

    python -m bench.hit_script [--rev main] [--rounds 9] [--calls 1500] [--placement home]

`--placement home` measures a placement's hit (`?placement=home`: its part and its own
impression part) instead of the plain list's. `bench.hit_parts` splits this checkout's script
into its parts the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
import types

import redis

from bench.server import db_url
from service.settings import REPO_ROOT

KEYS = ["dw:profile:hit-1", "dw:recs:hit-1", "dw:impressions", "dw:impressions:hit-1"]


def scripts_of(rev: str | None) -> types.ModuleType:
    """service/customers/scripts.py of `rev` (None: this checkout's)."""
    if rev is None:
        from service.customers import scripts

        return scripts
    text = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{rev}:service/customers/scripts.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"scripts_{rev}")
    exec(compile(text, f"{rev}:scripts.py", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def stored(url: str) -> list:
    """The arguments of a hit on a freshly stored and refreshed customer."""
    from service.api.app import create_app
    from service.customers.redis_client import cache_policy, get_store
    from service.customers.refresh import refresh_chunk

    app = create_app({"REDIS_URL": url, "RELOAD_INTERVAL": 0, "ACCESS_LOG": False})
    store = get_store(app)
    store.client.flushdb()
    store.put_profile("hit-1", {"age": 66, "goals": ["bones"], "country": "NL"})
    refresh_chunk(app.extensions["dosewise"], store, ["hit-1"], cache_policy(app))
    meta = json.loads(store.client.get("dw:recs:hit-1").partition(b"\n")[0])
    head = json.dumps({"request_id": "r", "customer_id": "hit-1", "timestamp": "t"}).encode()
    return [1_000_000, head, meta["fingerprint"], repr(time.time()), "86400", 5, "nl", ""]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rev", default="main", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--placement", default="", help="a placement's hit (home), else plain")
    args = parser.parse_args()
    url = db_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), 12)
    hit = stored(url)
    if args.placement:  # the part `locale@placement` and the placement (ARGV 7 and 8)
        hit[6:8] = [f"{hit[6]}@{args.placement}", args.placement]
    client = redis.Redis.from_url(url)
    shas = {
        args.rev: client.script_load(scripts_of(args.rev).READ_AND_LOG),
        "this checkout": client.script_load(scripts_of(None).READ_AND_LOG),
    }
    inside: dict[str, list[float]] = {name: [] for name in shas}
    cpu: dict[str, list[float]] = {name: [] for name in shas}

    def redis_cpu() -> float:
        info = client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    for _ in range(args.rounds):
        for name, sha in shas.items():
            client.delete("dw:impressions", "dw:impressions:hit-1")
            client.config_resetstat()
            before = redis_cpu()
            for _ in range(args.calls):
                reply = client.evalsha(sha, 4, *KEYS, *hit)
                assert reply[2] == 1, "not a logged hit"
            cpu[name].append(1e6 * (redis_cpu() - before) / args.calls)
            stats = client.info("commandstats")["cmdstat_evalsha"]
            inside[name].append(stats["usec"] / args.calls)
    client.delete("dw:impressions", "dw:impressions:hit-1")
    first = args.rev
    for name in shas:
        for label, values in (("inside EVALSHA", inside), ("Redis CPU per call", cpu)):
            v = values[name]
            line = f"{name}: {label} {statistics.median(v):.1f} µs ({min(v):.1f}-{max(v):.1f})"
            if name != first:
                ratio = [b / a for a, b in zip(values[first], v, strict=True)]
                line += f", per round / {first} {statistics.median(ratio):.3f} "
                line += f"({min(ratio):.3f}-{max(ratio):.3f})"
            print(line, flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
