"""What each part of the cached hit's Redis script (READ_AND_LOG) costs Redis: this checkout's
script against variants of it with one part left out or replaced, in alternated rounds
(session 12; bench/README.md).

The same stored customer and hit as `bench.hit_script` (database 12 of REDIS_URL, flushed),
every variant called `--calls` times per round as the fast path calls the script, variants
alternated round by round; Redis's time inside EVALSHA (`INFO commandstats`) and Redis's
process CPU per call (`INFO cpu`, its socket work included), medians (min-max), and per round
each variant over the script as it is. Variants (each must still log the hit):

- `no trim check`: without the ZCARD (and so without trimming the customer's index);
- `no parse`: neither the metadata line nor the header parsed (`cjson.decode`), the impression
  part's place given (found in Python beforehand): the floor of any cheaper parse;
- `string.match parse`, `find parse`: the metadata line and the header read without
  `cjson`, on the layout `CachedList` writes (session 12's candidates, not taken:
  bench/hit_parse_candidates.py);
- `no reply`: the stored list not returned to Python (the profile only);
- `no log`: the read and checks without XADD, ZADD and ZCARD;
- `read only`: the MGET and the reply; `empty`: a script returning three values;
- `MGET alone`: a plain MGET of the two keys, no script;
- `MGET, log batched`: a plain MGET per hit and the impressions logged `--batch` at a time by
  one script (the profile checked per entry): a sketch to size that design, not the service's.

"in commands" is Redis's time inside the commands the client sent (`INFO commandstats`:
EVALSHA, and MGET when sent as a command), the commands a script calls included.

    python -m bench.hit_parts [--rounds 7] [--calls 3000] [--placement home]
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable

import redis

from bench.hit_parse_candidates import FIND_PARSE, MATCH_PARSE
from bench.hit_script import KEYS, stored
from bench.server import db_url
from service.customers import scripts
from service.customers.entries import CachedList


def _replaced(text: str, old: str, new: str) -> str:
    if old not in text:
        raise SystemExit(f"READ_AND_LOG changed: {old[:40]!r} not found; update bench/hit_parts.py")
    return text.replace(old, new)


def variants(impression: tuple[int, int]) -> dict[str, str]:
    """The script and its variants; `impression`: the logged part's 1-based offset and size."""
    whole, log = scripts.READ_AND_LOG, scripts._LOG
    offset, size = impression
    unparsed = (
        "local both = redis.call('MGET', KEYS[1], KEYS[2])\n"
        "local profile, recs = both[1], both[2]\n"
        f"log(KEYS[3], KEYS[4], ARGV[1], {{'data', ARGV[2], 'imp', "
        f"string.sub(recs, {offset}, {offset + size - 1})}})\n"
        "return {profile, recs, 1}\n"
    )
    logged = "local id = log("
    return {
        "script": whole,
        "no trim check": _replaced(
            whole,
            f"if redis.call('ZCARD', index) % {scripts.TRIM_EVERY} == 0 then",
            "if false then",
        ),
        "no parse": log + unparsed,
        "string.match parse": log + MATCH_PARSE,
        "find parse": log + FIND_PARSE,
        "no reply": _replaced(whole, "return {profile, recs, 1}", "return {profile, '', 1}"),
        "no log": _replaced(whole, logged, "do return {profile, recs, 1} end " + logged),
        "read only": "local b = redis.call('MGET', KEYS[1], KEYS[2]) return {b[1], b[2], 1}",
        "empty": "return {'', '', 1}",
    }


# what a log of impressions in batches would cost (not how the service logs: a sketch to size
# that option): per entry the customer's profile must still exist (an erasure in between drops
# it), then the entry and its index as `_LOG` writes them
LOG_MANY = """
local logged = 0
for i = 2, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    log(KEYS[1], KEYS[i + 1], ARGV[1], {'data', ARGV[i], 'imp', ARGV[i + 1]})
    logged = logged + 1
  end
end
return logged
"""


def _script_call(client: redis.Redis, sha: str, hit: list) -> Callable[[], object]:
    return lambda: client.evalsha(sha, 4, *KEYS, *hit)


def _batched(client: redis.Redis, hit: list, part: bytes, size: int) -> Callable[[], object]:
    """A hit read by a plain MGET, its impression queued and logged `size` at a time."""
    sha = client.script_load(scripts._LOG + LOG_MANY)
    keys = [KEYS[2]] + [KEYS[0], KEYS[3]] * size
    values = [hit[0]] + [hit[1], part] * size
    queued = [0]

    def call() -> object:
        client.mget(KEYS[0], KEYS[1])
        queued[0] += 1
        if queued[0] == size:
            queued[0] = 0
            assert client.evalsha(sha, len(keys), *keys, *values) == size
        return None

    return call


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--placement", default="", help="a placement's hit (home), else plain")
    parser.add_argument("--batch", type=int, default=16, help="hits per batched log call")
    parser.add_argument("--only", default="", help="variants to run besides the script, by name")
    args = parser.parse_args()
    url = db_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), 12)
    hit = stored(url)
    client = redis.Redis.from_url(url)
    if args.placement:
        hit[6:8] = [f"{hit[6]}@{args.placement}", args.placement]
    raw = client.get(KEYS[1])
    layout = CachedList.decode(raw)._layout
    part = layout[1] if not args.placement else layout[2][hit[6]]
    start = raw.index(part, raw.index(b"\n", raw.index(b"\n") + 1)) + 1  # 1-based, Lua's
    chosen = {"script", *filter(None, args.only.split(","))} if args.only else None
    shas = {
        name: client.script_load(text)
        for name, text in variants((start, len(part))).items()
        if chosen is None or name in chosen
    }
    for name, sha in shas.items():  # every variant answers a logged hit, with the same entry
        client.delete(KEYS[2], KEYS[3])
        reply = client.evalsha(sha, 4, *KEYS, *hit)
        if name not in ("read only", "empty", "no log"):
            entry = client.xrange(KEYS[2])
            assert reply[2] == 1 and entry and entry[-1][1][b"imp"] == part, name
    calls = {name: _script_call(client, sha, hit) for name, sha in shas.items()}
    if chosen is None or "MGET alone" in chosen:
        calls["MGET alone"] = lambda: client.mget(KEYS[0], KEYS[1])
    if chosen is None or "MGET, log batched" in chosen:
        calls["MGET, log batched"] = _batched(client, hit, part, args.batch)
    inside: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}

    def redis_cpu() -> float:
        info = client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    for _ in range(args.rounds):
        for name, call in calls.items():
            client.delete(KEYS[2], KEYS[3])
            client.config_resetstat()
            before = redis_cpu()
            for _ in range(args.calls):
                call()
            cpu[name].append(1e6 * (redis_cpu() - before) / args.calls)
            stats = client.info("commandstats")  # the commands a script calls count twice
            top = ("cmdstat_evalsha",) if name in shas else ("cmdstat_evalsha", "cmdstat_mget")
            used = sum(stats[k]["usec"] for k in top if k in stats)
            inside[name].append(used / args.calls)
    client.delete(KEYS[2], KEYS[3])
    for name in calls:
        line = f"{name:>18}:"
        for label, values in (("in commands", inside), ("Redis CPU", cpu)):
            v = values[name]
            ratio = [b / a for a, b in zip(values["script"], v, strict=True)]
            line += f"  {label} {statistics.median(v):.1f} µs ({min(v):.1f}-{max(v):.1f})"
            line += f" x{statistics.median(ratio):.2f} ({min(ratio):.2f}-{max(ratio):.2f})"
        print(line, flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
