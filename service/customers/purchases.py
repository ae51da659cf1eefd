"""Purchase histories and the refills due, in Redis (a mixin of RedisStore) and in process
memory (a mixin of MemoryStore): the storage side of service/customers/refills.py.

Redis keys (erased with the customer by `delete()`):
  dw:purchases:{id}    the purchase history for refills: a list of `sku|YYYY-MM-DD|quantity`,
                       newest last, at most rules/refills.yaml `history_per_customer`
  dw:refills:{id}      the refills due that the daily refill job found (JSON; REFILLS_TTL)
The daily job's lock and progress are `dw:refilljob:*` (`store.for_job("refilljob")`).
"""

from __future__ import annotations

from typing import Any

from .entries import load_entries

REFILLS_TTL = 3 * 86_400  # the daily refill job writes them again every day

# Write a customer's refills only while the customer is stored (a DELETE meanwhile wins).
WRITE_IF_STORED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1
"""


# The same for a whole chunk in one call: KEYS are (profile, refills) pairs, ARGV[1] the TTL and
# ARGV[1 + n] the refills of the n-th pair.
WRITE_MANY_IF_STORED = """
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('DEL', KEYS[i + 1])
  else
    redis.call('SET', KEYS[i + 1], ARGV[1 + (i + 1) / 2], 'EX', ARGV[1])
  end
end
return 1
"""


# The purchase histories of a chunk in one script call, each one string (its purchases joined
# by a newline, which no stored purchase holds): one reply to parse per customer, not one per
# purchase.
READ_HISTORIES = """
local out = {}
for i = 1, #KEYS do
  out[i] = table.concat(redis.call('LRANGE', KEYS[i], 0, -1), '\\n')
end
return out
"""


class RedisPurchases:
    """Mixed into RedisStore (it has `client`, `cluster` and `_key`)."""

    client: Any
    cluster: bool

    def _key(self, family: str, customer_id: str) -> str:
        raise NotImplementedError

    def add_purchases(self, purchases: list[tuple[str, str]], keep: int) -> None:
        """Append (customer id, encoded purchase) to each customer's history, keeping the
        newest `keep` (one pipelined round trip)."""
        if not purchases:
            return
        pipe = self.client.pipeline(transaction=False)
        for customer_id, encoded in purchases:
            pipe.rpush(self._key("purchases", customer_id), encoded)
        for customer_id in dict.fromkeys(c for c, _ in purchases):
            pipe.ltrim(self._key("purchases", customer_id), -keep, -1)
        pipe.execute()

    def read_purchases(self, customer_id: str) -> list[bytes]:
        return list(self.client.lrange(self._key("purchases", customer_id), 0, -1))

    def read_purchases_many(self, ids: list[str]) -> list[list[bytes]]:
        return self._profiles_and_histories(ids)[1]

    def read_profiles_and_purchases(
        self, ids: list[str]
    ) -> tuple[list[dict | None], list[str], list[list[bytes]]]:
        """Profiles (None where missing or corrupt), the ids whose profile is corrupt (does
        not decode, or is not one a PUT would store: entries.load_entries), and purchase
        histories of many customers, in one pipelined round trip."""
        raws, histories = self._profiles_and_histories(ids)
        profiles, corrupt = load_entries(ids, raws)
        return profiles, corrupt, histories

    def _profiles_and_histories(
        self, ids: list[str]
    ) -> tuple[list[bytes | None], list[list[bytes]]]:
        """The stored profile values (undecoded) and purchase histories of many customers."""
        if not ids:
            return [], []
        pipe = self.client.pipeline(transaction=False)
        if self.cluster:  # one slot per customer: a GET each
            for customer_id in ids:
                pipe.get(self._key("profile", customer_id))
        else:  # one MGET for the chunk's profiles, one script call for their histories
            pipe.mget([self._key("profile", customer_id) for customer_id in ids])
            script = self.client.register_script(READ_HISTORIES)
            script(keys=[self._key("purchases", c) for c in ids], client=pipe)
        if self.cluster:
            for customer_id in ids:
                pipe.lrange(self._key("purchases", customer_id), 0, -1)
        values = pipe.execute()
        if self.cluster:
            raws, histories = values[: len(ids)], values[len(ids) :]
        else:
            raws = values[0]
            histories = [joined.split(b"\n") if joined else [] for joined in values[1]]
        return list(raws), [list(found) for found in histories]

    def write_refills(self, entries: list[tuple[str, bytes | None]]) -> None:
        """Write (or, for None, remove) the refills due of many customers, in one round trip.
        Only for customers still stored (atomic in Redis): an erased customer gets nothing
        written back."""
        if not entries:
            return
        if not self.cluster:  # one DEL and one script call for the chunk
            gone = [self._key("refills", c) for c, value in entries if value is None]
            kept = [(c, value) for c, value in entries if value is not None]
            pipe = self.client.pipeline(transaction=False)
            if gone:
                pipe.delete(*gone)
            if kept:
                keys = [
                    k for c, _ in kept for k in (self._key("profile", c), self._key("refills", c))
                ]
                script = self.client.register_script(WRITE_MANY_IF_STORED)
                script(keys=keys, args=[REFILLS_TTL, *(v for _, v in kept)], client=pipe)
            pipe.execute()
            return
        # a cluster: one slot per customer, the script sent with each (one slot per call)
        for customer_id, value in entries:
            target = self._key("refills", customer_id)
            if value is None:
                pipe.delete(target)
                continue
            keys = [self._key("profile", customer_id), target]
            pipe.execute_command("EVAL", WRITE_IF_STORED, 2, *keys, value, REFILLS_TTL)
        pipe.execute()

    def read_refills(self, customer_id: str) -> bytes | None:
        return self.client.get(self._key("refills", customer_id))


class MemoryPurchases:
    """Mixed into MemoryStore (it has `_profiles` and `_guard`); its `delete` drops both."""

    _profiles: Any
    _guard: Any
    _purchases: dict[str, list[bytes]]
    _refills: dict[str, bytes]

    def add_purchases(self, purchases: list[tuple[str, str]], keep: int) -> None:
        with self._guard:
            for customer_id, encoded in purchases:
                bucket = self._purchases.setdefault(customer_id, [])
                bucket.append(encoded.encode())
                del bucket[:-keep]

    def read_purchases(self, customer_id: str) -> list[bytes]:
        return list(self._purchases.get(customer_id, ()))

    def read_purchases_many(self, ids: list[str]) -> list[list[bytes]]:
        return [self.read_purchases(i) for i in ids]

    def read_profiles_and_purchases(
        self, ids: list[str]
    ) -> tuple[list[dict | None], list[str], list[list[bytes]]]:
        return [self._profiles.get(i) for i in ids], [], self.read_purchases_many(ids)

    def write_refills(self, entries: list[tuple[str, bytes | None]]) -> None:
        with self._guard:
            for customer_id, value in entries:
                if value is None or customer_id not in self._profiles:
                    self._refills.pop(customer_id, None)
                else:
                    self._refills[customer_id] = value

    def read_refills(self, customer_id: str) -> bytes | None:
        return self._refills.get(customer_id)

    def forget_purchases(self, customer_id: str) -> bool:
        """Erase the customer's purchases and refills; whether there were any."""
        purchases = self._purchases.pop(customer_id, None) is not None
        return self._refills.pop(customer_id, None) is not None or purchases
