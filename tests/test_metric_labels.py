"""Client input never becomes a metric label (issue 15, point 9).

Regression: the HTTP method was a label as sent; 3,000 random methods made `/metrics` 107 times
larger (4.7 MB, 1.6 s a scrape), without a key.
"""

from __future__ import annotations

import random
import re
import string


def test_random_methods_and_paths_do_not_grow_the_metrics(client):
    client.get("/healthz")
    before = client.get("/metrics").get_data(as_text=True)
    rng = random.Random(15)
    for _ in range(300):
        method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 12)))
        path = "/" + "".join(rng.choices(string.ascii_lowercase, k=8))
        client.open(path, method=method)
        client.open("/healthz", method=method)
        client.open("/v1/recommendations", method=method)
    after = client.get("/metrics").get_data(as_text=True)
    methods = set(re.findall(r'method="([^"]*)"', after))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other"}
    assert "other" in methods
    endpoints = set(re.findall(r'endpoint="([^"]*)"', after))
    assert len(endpoints) < 40, endpoints
    assert len(after) < 2 * len(before) + 20_000, (len(before), len(after))
