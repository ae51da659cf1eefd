"""What a stored customer value is: key names, the profile entry and the cached list.

Shared by the Redis store (store.py) and the in-process one (memory.py); see store.py for the
Redis key layout.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from marshmallow import ValidationError

from ..contract.schemas import ProfileSchema
from ..core.errors import DosewiseError

try:  # ISA-L's deflate: gzip members of the same content, about 2.8x faster (see _gzip)
    from isal.isal_zlib import compress as _isal_compress
except ImportError:  # pragma: no cover - a platform without its wheel: zlib
    _isal_compress = None  # type: ignore[assignment]

PREFIX = "dw:"
CUSTOMERS = f"{PREFIX}customers"
EVENTS_STREAM = f"{PREFIX}events"
IMPRESSIONS_STREAM = f"{PREFIX}impressions"
PENDING_TTL = 120
LIST_TTL = 14 * 86_400  # cached lists; a refresh writes them again long before
SHARED_TTL = 3600
EVENTS_MAXLEN = 1_000_000
EVENTS_PER_CUSTOMER = 1000  # MemoryStore only
ERASED = f"{PREFIX}erased"
ERASING = f"{PREFIX}erasing"
ERASURE_MEMORY = 7 * 86_400  # how long an erased id is kept for cleaning exported files


def profile_digest(profile: dict[str, Any]) -> str:
    text = json.dumps(profile, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def key(family: str, customer_id: str, tagged: bool = False) -> str:
    """A customer's key. `tagged` (Redis Cluster) puts the id in a hash tag, `dw:recs:{id}`,
    so that every key of one customer maps to one slot: the first `{` is always ours, and the
    first `}` after it falls at the same place of the id in every family."""
    return f"{PREFIX}{family}:{{{customer_id}}}" if tagged else f"{PREFIX}{family}:{customer_id}"


class CorruptEntry(ValueError):
    """A stored value that does not decode (a bad write, a disk or a hand gone wrong). Readers
    treat a corrupt list as a miss and a corrupt profile as unavailable; the next write of that
    key (a refresh, a PUT) replaces it."""

    def __init__(self, family: str) -> None:
        super().__init__(f"a stored {family} entry does not decode")
        self.family = family


def load_profile_entry(raw: bytes | None) -> dict | None:
    """A stored profile entry ({"profile", "digest", "updated_at"}), or CorruptEntry."""
    if raw is None:
        return None
    try:
        entry = orjson.loads(raw)  # about 3x json's speed: the refill job reads every profile
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and json takes (NaN, integers past 64 bits) reads as before
            entry = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise CorruptEntry("profile") from exc
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("profile"), dict)
        or not isinstance(entry.get("digest"), str)
    ):
        raise CorruptEntry("profile")
    return entry


# the schema a PUT validates its body with (api/customers.py): one rule for what is stored
_PROFILE = ProfileSchema()


def check_profile(entry: dict, checked: dict[str, bool] | None = None) -> dict:
    """`entry` when its profile is one a PUT would store, else CorruptEntry("profile").

    Review s31b H1/H2: an entry that decodes but is no valid profile (NaN, `"age": "x"`, no
    age) failed every GET with a 500 and a refresh its whole chunk, and one a PUT would refuse
    (an unknown medication, `allergy` for `allergies`, country XX, age 500) was served with
    that safety filter silently dropped. Called where a profile is read to be used (a list
    computed, refills, the batch jobs), not on a cached list's hit, which needs its digest
    only. `checked` keeps the verdict per profile text (a batch checks each distinct profile
    once). An unknown SKU stays the 409 of `check_stored`."""
    try:
        key = None
        if checked is not None:
            key = json.dumps(entry["profile"], sort_keys=True, separators=(",", ":"))
            good = checked.get(key)
        if key is None or good is None:
            good = _good(entry["profile"])
            if key is not None and checked is not None:
                checked[key] = good
    except (TypeError, ValueError, RecursionError):  # json.dumps: nested past its depth
        good = False
    if not good:
        raise CorruptEntry("profile")
    return entry


def _good(profile: dict) -> bool:
    try:
        _PROFILE.load(profile)
    except (ValidationError, TypeError, ValueError, RecursionError):
        return False
    return True


def load_entries(
    ids: list[str], raws: list[bytes | None], checked: bool = True
) -> tuple[list[dict | None], list[str]]:
    """The stored profile entries of `ids` (None where missing or corrupt) and the ids whose
    entry is corrupt: it does not decode, or (`checked`) its profile is not one a PUT would
    store (`check_profile`, each distinct profile once). Unchecked: the caller checks the
    profiles it uses (the refresh: not those whose list is fresh)."""
    profiles: list[dict | None] = []
    corrupt = []
    verdicts: dict[str, bool] | None = {} if checked else None
    for customer_id, raw in zip(ids, raws, strict=True):
        try:
            entry = load_profile_entry(raw)
            if entry is not None and verdicts is not None:
                check_profile(entry, verdicts)
            profiles.append(entry)
        except CorruptEntry:
            profiles.append(None)
            corrupt.append(customer_id)
    return profiles, corrupt


# gzip members (a deflate stream with a gzip header): a client that accepts gzip gets a part
# as it is stored, with `Content-Encoding: gzip`; entries written before were zlib streams
# (both decode with wbits 47, which detects the header)
GZIP_MAGIC = b"\x1f\x8b"
_ANY_HEADER = 47


def _gzip(data: bytes) -> bytes:
    """Level 1, a gzip header without name and mtime 0, a 16 KB window. With ISA-L (`isal`,
    a dependency) one call: about 10 µs for a 2.6 KB part instead of zlib's 28 µs, parts a
    little smaller (bench/README.md, session 27); the compressed bytes differ from zlib's, what
    they decompress to does not. Without it, zlib with memLevel 6 (not 8): setting up the
    compressor was most of zlib's cost for parts of 1-7 KB. Any gzip reader decodes either."""
    if _isal_compress is not None:
        return _isal_compress(data, 1, _GZIP_WBITS)
    packer = zlib.compressobj(1, zlib.DEFLATED, _GZIP_WBITS, 6)
    return packer.compress(data) + packer.flush()


_GZIP_WBITS = 16 + 14  # gzip container (16+), 2**14 bytes of window


@dataclass(frozen=True)
class CachedList:
    """A customer's precomputed answer: a metadata line, then a payload shared by every
    customer with the same profile: a header line and, per locale, the ready-made response
    (`source: "cache"`, `limit` items), gzip-compressed (level 1: ~1.4 KB instead of ~6 KB),
    then what training needs to log an impression of the list (`impression`, see below).
    A GET with that limit sends the bytes as they are; a smaller limit parses and slices.

    The impression part is the impression record of learning.logs.impression_record without
    its per-request fields (request id, customer id, time): model and features versions and,
    per item shown, SKU, position and features, computed with the list. A cache hit logs it
    with those three fields put in front, without parsing it.

    A precomputed placement's list (a part named `locale@placement`, issue 11) has an
    impression part of its own after it (header `placements`: [part, size] in order): the same
    record with the placement's items and `placement` named, the record a computed placement
    logs. Its items' features are the plain list's, computed with the same evaluation of the
    same profile; a placement showing an item the plain list does not has no part (its hits log
    nothing rather than something made up)."""

    fingerprint: str
    profile_digest: str
    computed_at: float
    limit: int
    payload: bytes

    @staticmethod
    def encode_payload(bodies: dict[str, dict], impression: dict | None = None) -> bytes:
        parts, sizes = [], {}
        for locale, body in bodies.items():
            part = _gzip(_dumps({**body, "source": "cache"}))
            sizes[locale] = len(part)
            parts.append(part)
        header: dict[str, Any] = {"locales": sizes}
        if impression is not None:
            part = _gzip(_dumps(impression))
            header["impression"] = len(part)
            parts.append(part)
            placed = []
            for name, body in bodies.items():
                record = _placement_impression(impression, body) if "@" in name else None
                if record is not None:
                    part = _gzip(_dumps(record))
                    placed.append([name, len(part)])
                    parts.append(part)
            if placed:
                header["placements"] = placed
        return _dumps(header) + b"\n" + b"".join(parts)

    @staticmethod
    def encode(meta: dict[str, Any], payload: bytes) -> bytes:
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + payload

    @classmethod
    def decode(cls, raw: bytes) -> CachedList:
        """The entry, with its metadata and the layout of its payload checked (CorruptEntry
        when either is wrong); the compressed parts are checked when they are read.

        The metadata line and the payload's header are read with orjson (9.2 -> 1.0 µs for the
        two on a cache hit, bench/README.md session 11); an entry orjson does not take, or
        whose values it reads otherwise than `json` (an integer beyond 64 bits becomes a
        float), or that fails a check, is decoded again by `json` exactly as before, so what
        is accepted and what is refused does not change."""
        try:
            head, _, payload = raw.partition(b"\n")
            cached = cls._checked(orjson.loads(head), payload, orjson.loads)
        except (ValueError, TypeError, KeyError, AttributeError):
            cached = None
        return cached if cached is not None else cls._decode_json(raw)

    @classmethod
    def _checked(
        cls, meta: Any, payload: bytes, loads: Callable[[bytes], Any]
    ) -> CachedList | None:
        """The entry from its parsed metadata, or None when a check fails (may raise)."""
        cached = cls(
            meta["fingerprint"],
            meta["profile_digest"],
            float(meta["computed_at"]),
            meta["limit"],
            payload,
        )
        if not (
            isinstance(cached.fingerprint, str)
            and isinstance(cached.profile_digest, str)
            and isinstance(cached.limit, int)
        ):
            return None
        layout = _layout_of(payload, loads)
        if not layout[0]:
            return None
        cached.__dict__["_layout"] = layout  # the cached_property, computed (frozen: no setattr)
        return cached

    @classmethod
    def _decode_json(cls, raw: bytes) -> CachedList:
        """`decode` with `json` (before session 11, the only reader)."""
        try:
            head, _, payload = raw.partition(b"\n")
            cached = cls._checked(json.loads(head), payload, json.loads)
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            raise CorruptEntry("recs") from exc
        if cached is None:
            raise CorruptEntry("recs")
        return cached

    @cached_property
    def _layout(self) -> tuple[dict[str, bytes], bytes | None, dict[str, bytes]]:
        return _layout_of(self.payload, json.loads)

    @property
    def _parts(self) -> dict[str, bytes]:
        return self._layout[0]

    def response(self, locale: str) -> bytes | None:
        """The ready-made response in `locale` (with `limit` items), without parsing JSON."""
        part = self._parts.get(locale)
        return None if part is None else _inflate(part)

    def response_gzip(self, locale: str) -> bytes | None:
        """The same response as a gzip member, as stored (None for an entry of the older
        zlib layout, or another locale): the bytes for `Content-Encoding: gzip`."""
        part = self._parts.get(locale)
        if part is None or not part.startswith(GZIP_MAGIC):
            return None
        return part

    def impression(
        self,
        request_id: str,
        customer_id: str,
        timestamp: str,
        limit: int | None = None,
        part: str | None = None,
    ) -> bytes | None:
        """The impression record (JSON) of this list served now, or None for an entry written
        without one. `limit` below the cached limit keeps the first `limit` items. `part`: a
        placement's list (`locale@placement`), whose record names the placement."""
        stored = self.stored_impression(part)
        if stored is None:
            return None
        fragment = _inflate(stored)
        front = _dumps(
            {"request_id": request_id, "customer_id": customer_id, "timestamp": timestamp}
        )
        if limit is not None and limit < self.limit:
            try:
                template = json.loads(fragment)
                template["items"] = template["items"][:limit]
            except (ValueError, TypeError, KeyError) as exc:
                raise CorruptEntry("recs") from exc
            fragment = _dumps(template)
        if not fragment.startswith(b"{") or fragment == b"{}":
            raise CorruptEntry("recs")
        return front[:-1] + b"," + fragment[1:]

    def stored_impression(self, part: str | None = None) -> bytes | None:
        """The stored impression part (gzip JSON) of the list `part` (a placement's when it is
        `locale@placement`, else the plain list's): what READ_AND_LOG logs beside a hit's
        request fields; None without one."""
        layout = self._layout
        return layout[2].get(part) if part is not None and "@" in part else layout[1]

    @cached_property
    def bodies(self) -> dict[str, dict]:
        try:
            return {locale: json.loads(_inflate(part)) for locale, part in self._parts.items()}
        except ValueError as exc:
            raise CorruptEntry("recs") from exc


def _layout_of(
    payload: bytes, loads: Callable[[bytes], Any]
) -> tuple[dict[str, bytes], bytes | None, dict[str, bytes]]:
    """The payload's parts by locale, its impression part and its placements' parts, from the
    header line read with `loads` (ValueError, TypeError, KeyError or AttributeError when the
    layout is wrong)."""
    head, _, rest = payload.partition(b"\n")
    header = loads(head)
    parts, offset = {}, 0
    for locale, size in header["locales"].items():
        if not isinstance(locale, str) or not isinstance(size, int) or size <= 0:
            raise ValueError("bad payload layout")
        parts[locale] = rest[offset : offset + size]
        offset += size
    impression = None
    size = header.get("impression")
    if size is not None:
        if not isinstance(size, int) or size <= 0:
            raise ValueError("bad payload layout")
        impression = rest[offset : offset + size]
        offset += size
    placed = {}
    for name, size in header.get("placements", ()) if impression is not None else ():
        if not isinstance(name, str) or not isinstance(size, int) or size <= 0:
            raise ValueError("bad payload layout")
        placed[name] = rest[offset : offset + size]
        offset += size
    if offset != len(rest):
        raise ValueError("payload length does not match its layout")
    return parts, impression, placed


def _placement_impression(plain: dict, body: dict) -> dict | None:
    """A placement list's impression record from the plain list's (see CachedList), or None
    when the placement shows an item the plain list does not (no features for it here)."""
    features = {item["sku"]: item["features"] for item in plain.get("items", ())}
    skus = [item["sku"] for item in body.get("items", ())]
    if not skus or any(sku not in features for sku in skus):
        return None
    items = [
        {"sku": sku, "position": position, "features": features[sku]}
        for position, sku in enumerate(skus, start=1)
    ]
    return {**plain, "items": items, "placement": body.get("placement")}


def _inflate(part: bytes) -> bytes:
    try:
        return zlib.decompress(part, _ANY_HEADER)
    except zlib.error as exc:
        raise CorruptEntry("recs") from exc


def shared_key(digest: str) -> str:
    return f"{PREFIX}shared:{digest}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _stream_ms(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(text.split("-", 1)[0])


def _dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, the bytes `json.dumps(separators=(",", ":"), ensure_ascii=False)`
    gives (orjson, about 12x faster on a list's body: bench/README.md), except that a float
    below 1e-4 is written 0.00001 rather than 1e-05 (the same number). A value orjson does not
    take (a dict with non-string keys) goes through json."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def stream_record(fields: dict[bytes, bytes]) -> dict[str, Any]:
    """The record of a stream entry: `data` (JSON), plus, for an impression logged by a cache
    hit, `imp`: the list's stored impression part (gzip JSON: versions and items), merged in
    after the request's fields."""
    record = json.loads(fields[b"data"])
    part = fields.get(b"imp")
    if part is not None:
        record.update(json.loads(_inflate(part)))
    return record


class StaleProfile(DosewiseError):
    """A stored profile that names a product the catalog no longer has (HTTP 409): what it
    gives cannot be counted, so no list is computed for it until the profile is stored again
    (review 21 M1: every GET of such a customer was a 422 on a field it never sent, and the
    refresh failed its whole chunk of 1,000 customers)."""

    status = 409
    code = "stored_profile_stale"


def unknown_products(catalog: Any, profile: dict) -> list[str]:
    """The SKUs of the stored profile's current supplements that `catalog` lacks."""
    lines = profile.get("current_supplements")
    if not isinstance(lines, list):  # (no profile a PUT stores: check_profile refuses it)
        return []
    return [
        sku
        for line in lines
        if isinstance(line, dict)
        and isinstance(sku := line.get("sku"), str)
        and sku not in catalog.index
    ]


def check_stored(catalog: Any, customer_id: str, entry: dict) -> dict:
    """`entry`, or StaleProfile naming what the catalog lacks and what to do."""
    unknown = unknown_products(catalog, entry["profile"])
    if unknown:
        names = ", ".join(repr(s) for s in unknown)
        raise StaleProfile(
            f"the stored profile of customer {customer_id!r} names {names} among its current "
            "supplements, which the catalog no longer has: what it gives cannot be counted. "
            f"Store the profile again (PUT /v1/customers/{{customer_id}}) without it, or as a "
            "label line with its nutrients",
            {"profile.current_supplements": [f"unknown SKU {s!r}" for s in unknown]},
        )
    return entry


# how long a purchase of a product the catalog no longer has may still be taken: a year, more
# than any pack of ours lasts at its label (review 21 re-review: after a restart its supply was
# dropped silently, and a woman with 75 µg tablets left was offered 20 µg products)
UNKNOWN_SUPPLY_DAYS = 365


def unknown_bought(catalog: Any, purchases: list[Any], today: Any) -> list[str]:
    """SKUs the catalog lacks among `purchases` (core.refills.Purchase) of the last
    UNKNOWN_SUPPLY_DAYS: what they give may still be taken and cannot be counted."""
    since = today.toordinal() - UNKNOWN_SUPPLY_DAYS
    found = {p.sku for p in purchases if p.sku not in catalog.index and p.day.toordinal() > since}
    return sorted(found)


def check_bought(catalog: Any, customer_id: str, purchases: list[Any], today: Any) -> None:
    """StaleProfile where the customer bought, within a year, a product the catalog lacks."""
    unknown = unknown_bought(catalog, purchases, today)
    if unknown:
        names = ", ".join(repr(s) for s in unknown)
        raise StaleProfile(
            f"customer {customer_id!r} bought {names} within the last {UNKNOWN_SUPPLY_DAYS} "
            "days, which the catalog no longer has: what it gives may still be taken and "
            "cannot be counted, so no list is computed. Keep the product in the catalog with "
            "`in_stock: false` (never offered, still counted)",
            {"purchases": [f"unknown SKU {s!r}" for s in unknown]},
        )
