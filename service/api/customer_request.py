"""One parser for the customer list request, shared by the fast path and the Flask view.

Both read the same WSGI strings: `PATH_INFO`, which the server has already percent-decoded
(gunicorn and werkzeug pass the raw bytes as latin-1), and the raw `QUERY_STRING`. Decoding
either a second time, or decoding them in two ways, lets two customer ids meet on one key (the
fast path once served `patient%2542` the list of `patientB`), so the rules live here only:

- the path must be valid UTF-8: bytes that are not (`%FE`, `%FF`) are refused with 400 rather
  than replaced, which would make every such id the same U+FFFD id;
- the customer id follows one rule for every endpoint (`check_customer_id`);
- the query gives `limit`, `locale`, `placement`, `basket` (comma-separated SKUs) and
  `product_sku` at most once each, not blank, validated by the contract's schema; any other
  parameter is refused (review s4 R12: a typo must not silently drop what the list counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, unquote_to_bytes

from marshmallow import ValidationError

from ..contract.base import MAX_CUSTOMER_ID, customer_id_problem
from ..contract.schemas import CustomerQuerySchema, flatten_messages
from ..core.errors import InvalidInput

QUERY = CustomerQuerySchema()
KNOWN = ("limit", "locale", "placement", "basket", "product_sku")


@dataclass(frozen=True)
class CustomerQuery:
    limit: int
    locale: str | None  # None: the shop language of the customer's country (refresh.locales_for)
    placement: str | None = None  # issue 11; None: the plain list
    basket: tuple[str, ...] = ()  # SKUs in the cart (review s4 R12), counted in the intake
    product_sku: str | None = None  # the product on the page (product_page)


def decoded_path(path_info: str) -> str | None:
    """The request path as the text the client meant, or None when its bytes are not UTF-8."""
    try:
        return path_info.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def slashed_customer_id(environ: dict) -> str | None:
    """The customer id of a `/v1/customers/<id>...` path whose id holds an encoded '/'
    (`a%2Fb`), else None: the route cannot match it once decoded, and its 404 said nothing of
    why (review s33b F5); check_customer_id gives the id's 422."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    prefix = "/v1/customers/"
    if not raw.startswith(prefix):
        return None
    segment = raw[len(prefix) :].split("?", 1)[0].split("/", 1)[0]
    if "%2f" not in segment.lower():
        return None
    return decoded_path(unquote_to_bytes(segment).decode("latin-1"))


SLASHED_ERASURE = (
    "an id with a '/' has no path /v1/customers/{id}: one taken in events before ids were "
    "checked is erased by removing its keys in Redis (README, The API)"
)


def check_customer_id(customer_id: str, *, erasing: bool = False, slashed: bool = False) -> None:
    """422 for a customer id the service does not store (review s5 S13: blanks at either end,
    control, format or bidi characters; contract.base.customer_id_problem, which events use
    too). An erasure takes any id of 1 to 128 characters: one stored before the rule existed
    must still be erasable; `slashed`: the erasure of an id with a '/', which no path reaches."""
    if slashed:
        raise InvalidInput(f"customer id: {SLASHED_ERASURE}", {"customer_id": [SLASHED_ERASURE]})
    problem = customer_id_problem(customer_id)
    if erasing and customer_id and len(customer_id) <= MAX_CUSTOMER_ID:
        problem = None
    if problem is not None:
        raise InvalidInput(f"customer id: {problem}", {"customer_id": [problem]})


@lru_cache(maxsize=4096)
def parse_query(query_string: str) -> CustomerQuery | dict[str, list[str]]:
    """`limit` and `locale` from a raw query string, or the contract's `fields` of what is
    wrong. A pure function of the string, so answers are kept (page views repeat a few)."""
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return {"_query": ["the query string is not valid UTF-8"]}
    given: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in KNOWN:
            problems[name] = [f"unknown query parameter; this GET takes {', '.join(KNOWN)}"]
        elif name in given:
            problems[name] = ["given more than once"]
        elif value == "":
            problems[name] = ["must not be blank"]
        given[name] = value
    if problems:
        return problems
    try:
        loaded = QUERY.load(given)
    except ValidationError as exc:
        return flatten_messages(exc.messages)
    return CustomerQuery(
        limit=loaded["limit"],
        locale=loaded.get("locale"),
        placement=loaded.get("placement"),
        basket=tuple(loaded["basket"]),
        product_sku=loaded.get("product_sku"),
    )
