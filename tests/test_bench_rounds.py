"""`make bench-quick` compares ratios with the committed baseline (issue 16, point 5): a ratio
more than 15 % worse is flagged, whichever way is better for it; absolute figures are never
compared."""

from __future__ import annotations

import json

from bench.rounds import compare, save_baseline, spread


def _results(folder, get: float, p99: float, post: float, rate: float) -> None:
    folder.mkdir(exist_ok=True)
    precompute = {
        "cached_get": {
            "ratio_throughput": spread([get]),
            "ratio_p99": spread([p99]),
            "measured": {"requests_per_s": spread([rate])},
        },
        "refresh_ratio_to_naive": 7.0,
    }
    latest = {"http": [{"ratio_throughput": spread([post])}]}
    (folder / "precompute.json").write_text(json.dumps(precompute))
    (folder / "latest.json").write_text(json.dumps(latest))


def test_a_ratio_more_than_15_percent_worse_is_flagged(tmp_path):
    baseline = tmp_path / "baseline.json"
    then, now = tmp_path / "then", tmp_path / "now"
    _results(then, get=0.80, p99=0.80, post=0.20, rate=3000)
    save_baseline(["precompute", "latest"], baseline, then)
    saved = json.loads(baseline.read_text())
    assert "measured" not in saved["precompute"]["cached_get"], "ratios only"
    # throughput 10 % lower: within the noise allowed; p99 ratio 25 % higher: worse;
    # POST 25 % lower: worse; absolute req/s halved: not compared at all
    _results(now, get=0.72, p99=1.00, post=0.15, rate=1500)
    lines = compare(["precompute", "latest"], baseline, now)
    flagged = {line.split()[1].rstrip(":") for line in lines if line.startswith("WORSE")}
    assert flagged == {
        "precompute.cached_get.ratio_p99.median",
        "latest.http.0.ratio_throughput.median",
    }, lines
    assert any(line.startswith("ok    precompute.cached_get.ratio_throughput") for line in lines)
    # better is never flagged
    _results(now, get=1.2, p99=0.5, post=0.6, rate=100)
    assert not [
        line for line in compare(["precompute", "latest"], baseline, now) if "WORSE" in line
    ]


def test_without_a_baseline_it_says_so(tmp_path):
    lines = compare(["precompute"], tmp_path / "missing.json", tmp_path)
    assert lines and "nothing to compare" in lines[0]
