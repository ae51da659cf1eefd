"""The cached lists' gzip parts (service/customers/entries.py): ISA-L's deflate when `isal` is
installed (a dependency, so always here), zlib where it is not; either is a gzip member that
any reader decodes to the same bytes, and a stored list reads the same whichever wrote it."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from service.customers import entries
from service.customers.entries import GZIP_MAGIC, CachedList

BODIES = [
    b"",
    b"{}",
    json.dumps({"items": [{"sku": f"SKU-{i}", "reason": "é µg " * i} for i in range(40)]}).encode(),
    bytes(range(256)) * 300,  # beyond the 16 KB window
]


def test_isal_is_what_compresses_here():
    assert entries._isal_compress is not None


@pytest.mark.parametrize("isal", [True, False])
def test_parts_are_gzip_members_of_the_same_bytes(monkeypatch, isal):
    if not isal:
        monkeypatch.setattr(entries, "_isal_compress", None)
    for data in BODIES:
        part = entries._gzip(data)
        assert part.startswith(GZIP_MAGIC)
        assert gzip.decompress(part) == data
        assert zlib.decompress(part, 47) == data


def test_a_payload_reads_the_same_whichever_compressor_wrote_it(monkeypatch):
    bodies = {"en": {"items": [{"sku": "A", "features": [1, 0.5]}], "notices": []}}
    impression = {"model_version": "m", "items": [{"sku": "A", "position": 1, "features": [1]}]}
    fast = CachedList.encode_payload(bodies, impression)
    monkeypatch.setattr(entries, "_isal_compress", None)
    slow = CachedList.encode_payload(bodies, impression)
    meta = {"fingerprint": "f", "profile_digest": "d", "computed_at": 1.0, "limit": 5}
    read = [CachedList.decode(CachedList.encode(meta, p)) for p in (fast, slow)]
    assert read[0].response("en") == read[1].response("en")
    assert read[0].impression("r", "c", "t") == read[1].impression("r", "c", "t")
    assert gzip.decompress(read[0].response_gzip("en")) == read[1].response("en")
