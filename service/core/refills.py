"""Refills and buy again: when each product a customer bought runs out, which reorder is still
safe for the profile as it is now, and the products bought before that still fit.

Settings and every text are data (rules/refills.yaml). The checks are the recommender's own:
an evaluation of the profile with what it takes (ranking.evaluate), its safety masks (every
guarantee of the contract), the merchandising excludes and the dose band (guarantee 10). A
product that no longer fits is replaced by a safe product of the same role (the same need), or
left out with why.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from marshmallow import RAISE, Schema, fields, validate

from .amounts import rounded
from .errors import DataFileError, Finding
from .profile import Line, Profile
from .ranking import Evaluation, evaluate, item_warnings, profile_notices
from .reference import Reference, _display
from .snapshot import Snapshot
from .validation import schema_findings
from .vocabulary import LOCALES
from .yamlfile import load_yaml

CONFIG_FILE = "refills.yaml"
LAST_DAY = dt.date.max.toordinal()
EVALUATIONS_KEPT = 50_000  # products x evaluations a batch cache holds (about 60 MB)

# text key -> the placeholders the code fills in
TEXTS: dict[str, tuple[str, ...]] = {
    "reason_runs_out": ("name", "date"),
    "reason_ran_out": ("name", "date"),
    "reason_replaces": ("name",),
    "reason_bought_before": ("date",),
    "notice_not_reordered": ("name",),
    "why_covered": (),
    "why_upper_limit": ("nutrients",),
    "why_interaction": ("nutrients",),
    "why_diet": (),
    "why_allergy": (),
    "why_age": (),
    "why_life_stage": (),
    "why_life_stage_maximum": (),
    "why_market_maximum": (),
    "why_product_maximum": (),
    "why_not_sellable": (),
    "why_out_of_stock": (),
    "why_dose_band": ("nutrients",),
    "why_rule": (),
    "why_above_upper_limit_now": (),
}


# ---------------------------------------------------------------- settings
class _Localized(fields.Dict):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(validate=validate.OneOf(LOCALES)),
            values=fields.String(validate=validate.Length(min=1)),
            **kwargs,
        )


class _ConfigSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.Length(min=1))
    remind_days_before = fields.Integer(required=True, validate=validate.Range(0, 365))
    combine_within_days = fields.Integer(required=True, validate=validate.Range(0, 365))
    forget_after_days = fields.Integer(required=True, validate=validate.Range(0, 3650))
    history_per_customer = fields.Integer(required=True, validate=validate.Range(1, 10_000))
    buy_again_days = fields.Integer(required=True, validate=validate.Range(1, 3650))
    date_format = _Localized(required=True)
    texts = fields.Dict(keys=fields.String(), values=_Localized(), required=True)


@dataclass(frozen=True)
class RefillConfig:
    source: str
    remind_days_before: int
    combine_within_days: int
    forget_after_days: int
    history_per_customer: int
    buy_again_days: int
    date_format: dict[str, str]
    texts: dict[str, dict[str, str]]
    version: str = ""

    def text(self, key: str, locale: str, **values: Any) -> str:
        return self.texts[key][locale].format(**values)

    def date(self, day: dt.date, locale: str) -> str:
        return self.date_format[locale].format(
            day=f"{day.day:02d}", month=f"{day.month:02d}", year=day.year
        )


def load_refill_config(path: Path, reference: Reference) -> RefillConfig:
    """Load and check rules/refills.yaml: schema, every text in every locale with exactly its
    placeholders, and no text that makes a disease claim (DataFileError with every finding)."""
    display = _display(path)
    document = load_yaml(path, display)
    data, findings = schema_findings(_ConfigSchema(), document, display)
    if findings:
        raise DataFileError(findings)

    def line(key: str) -> int:
        texts = document.get("texts")
        return texts.line_of(key) if hasattr(texts, "line_of") else 1

    for key, placeholders in TEXTS.items():
        localized = data["texts"].get(key)
        if localized is None:
            findings.append(Finding(display, 1, f"texts.{key}: missing", code="missing_text"))
            continue
        for locale in LOCALES:
            text = localized.get(locale)
            if text is None:
                findings.append(
                    Finding(display, line(key), f"texts.{key}: no {locale} text", code="locale")
                )
                continue
            try:
                text.format(**{p: "x" for p in placeholders})
            except (KeyError, IndexError, ValueError) as exc:
                findings.append(
                    Finding(
                        display,
                        line(key),
                        f"texts.{key}.{locale}: placeholder {exc} is not one of "
                        f"{', '.join(placeholders) or '(none)'}",
                        code="placeholder",
                    )
                )
            if reference.forbidden_match(text, locale) is not None:
                findings.append(
                    Finding(
                        display,
                        line(key),
                        f"texts.{key}.{locale}: makes a disease claim",
                        code="forbidden_claim",
                    )
                )
    for key in data["texts"]:
        if key not in TEXTS:
            findings.append(
                Finding(display, line(key), f"texts.{key}: unknown text", code="unknown")
            )
    for locale in LOCALES:
        if locale not in data["date_format"]:
            findings.append(Finding(display, 1, f"date_format: no {locale} format", code="locale"))
    if findings:
        raise DataFileError(findings)
    version = str(path.stat().st_mtime_ns)
    return RefillConfig(**data, version=version)


_CONFIGS: dict[tuple[str, int, int, int], RefillConfig] = {}
_LAST_GOOD: dict[str, RefillConfig] = {}
_CONFIGS_LOCK = threading.Lock()
log = logging.getLogger("dosewise.refills")


def refill_config(rules_dir: Path, reference: Reference) -> RefillConfig:
    """The settings in `rules_dir`, loaded again when the file changes (hot reload). A file
    that fails its checks (or is gone) is refused with its findings in the log, and the last
    good one keeps serving; DataFileError only when none was ever loaded."""
    path = rules_dir / CONFIG_FILE
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, id(reference))
        config = _CONFIGS.get(key)
        if config is None:
            config = load_refill_config(path, reference)
            with _CONFIGS_LOCK:
                if len(_CONFIGS) > 16:
                    _CONFIGS.clear()
                _CONFIGS[key] = config
                _LAST_GOOD[str(path)] = config
        return config
    except (DataFileError, OSError) as exc:
        last = _LAST_GOOD.get(str(path))
        if last is None:
            if isinstance(exc, DataFileError):
                raise
            raise DataFileError(
                [Finding(_display(path), 1, f"cannot read: {exc}", code="missing_file")]
            ) from exc
        log.error("%s refused, the last good settings serve: %s", path, exc)
        return last


# ---------------------------------------------------------------- purchases and supplies
class Purchase(NamedTuple):
    """One purchase: the day, the product and the packs (ordered by day)."""

    day: dt.date
    sku: str
    quantity: int = 1

    def encode(self) -> str:
        """The stored form: `sku|YYYY-MM-DD|quantity`."""
        return f"{self.sku}|{self.day.isoformat()}|{self.quantity}"

    @classmethod
    def decode(cls, raw: bytes | str) -> Purchase | None:
        """A stored purchase, or None when it does not decode (skipped, never an error)."""
        try:
            text = raw.decode() if isinstance(raw, bytes) else raw
            sku, day, quantity = text.split("|")
            return cls(dt.date.fromisoformat(day), sku, max(int(quantity), 1))
        except (ValueError, TypeError):
            return None


@dataclass(frozen=True)
class Supply:
    """One product a customer bought: how much, and when it runs out."""

    sku: str
    index: int  # in the catalog
    first_purchase: dt.date
    last_purchase: dt.date
    packs: int
    purchases: int
    servings_per_day: float
    runs_out_on: dt.date


def run_out_date(purchases: list[Purchase], pack_size: int, servings_per_day: float) -> dt.date:
    """The day the supply of one product runs out. A pack of 120 servings at one a day bought
    on 1 March lasts 120 days: it runs out on 29 June. A purchase made while the previous
    supply lasts starts when that runs out; one made after starts on its own day."""
    if not purchases:
        raise ValueError("no purchases")
    end = 0  # as a day number (date.toordinal); the last day a date can name caps it
    for purchase in sorted(purchases):
        start = max(end, purchase.day.toordinal())
        end = start + math.floor(purchase.quantity * pack_size / servings_per_day + 1e-9)
    return dt.date.fromordinal(min(end, LAST_DAY))


def supplies(snapshot: Snapshot, profile: Profile, purchases: list[Purchase]) -> list[Supply]:
    """Per product bought (and still in the catalog) its supply, soonest run-out first. The
    servings a day are the customer's own where the profile's current supplements name the
    product, else the label's. Exact duplicates (same product, day and quantity: an event sent
    twice) count once."""
    catalog = snapshot.catalog
    own = {
        line.sku: float(line.servings_per_day)
        for line in profile.current_supplements
        if line.sku and line.servings_per_day
    }
    by_sku: dict[str, set[Purchase]] = {}
    for purchase in purchases:
        if purchase.sku in catalog.index:
            by_sku.setdefault(purchase.sku, set()).add(purchase)
    out = []
    for sku, bought in by_sku.items():
        index = catalog.index[sku]
        product = catalog.products[index]
        per_day = own.get(sku) or float(product.servings_per_day)
        ordered = sorted(bought)
        out.append(
            Supply(
                sku,
                index,
                ordered[0].day,
                ordered[-1].day,
                sum(p.quantity for p in ordered),
                len(ordered),
                per_day,
                run_out_date(ordered, product.pack_size, per_day),
            )
        )
    return sorted(out, key=lambda s: (s.runs_out_on, s.sku))


# ---------------------------------------------------------------- checks
@dataclass
class Decision:
    """What a reorder does with one product that runs out."""

    supply: Supply
    action: str  # "reorder", "replace" or "stop"
    index: int | None  # the product proposed (the same one, its replacement, or None)
    why: list[str]  # codes of the checks the product bought fails now
    ev: Evaluation  # the evaluation it was checked in (for texts and warnings)
    nutrients: dict[str, list[str]] = field(default_factory=dict)  # why code -> nutrient keys


def exclusions(ev: Evaluation, index: int) -> dict[str, list[str]]:
    """Why a product does not fit this evaluation: code -> the nutrients concerned (empty
    where none are). The safety masks of every guarantee, merchandising excludes, the dose
    band; `already_taken` is no reason here (a refill continues what is taken)."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    keys = reference.nutrients.keys
    row = catalog.nutrients_per_day[index]
    out: dict[str, list[str]] = {}
    for code, mask in ev.safety.excluded.items():
        if code == "already_taken" or not mask[index]:
            continue
        if code == "upper_limit":
            columns = np.flatnonzero(ev.safety.over_limit[index]).tolist()
            out["upper_limit"] = [keys[c] for c in columns]
        elif code.startswith("interaction:"):
            interaction = next(i for i in ev.safety.triggered if f"interaction:{i.id}" == code)
            nutrients = [n for n, t in interaction.exclude.items() if row[keys.index(n)] > t]
            out.setdefault("interaction", []).extend(
                n for n in nutrients if n not in out.get("interaction", [])
            )
        else:
            out[code] = []
    if ev.rule_excluded[index]:
        out["rule"] = []
    above = np.flatnonzero(ev.offer.above_band[index]).tolist()
    if above:
        out["dose_band"] = [keys[c] for c in above]
    return out


def fits(ev: Evaluation) -> np.ndarray:
    """Products that fit the evaluation (the mask behind `exclusions`)."""
    return ev.safety.allowed() & ~ev.rule_excluded & ev.offer.within_band


def replacement(
    ev: Evaluation, index: int, avoid: set[str] | frozenset[str] = frozenset()
) -> int | None:
    """The best product of the same role (the same need: vitamin D for vitamin D) that fits,
    by the recommender's score, then the closest price a month; None when there is none.
    Products in `avoid` (the rest of the reorder) are not chosen."""
    table = ev.offer.role_table
    catalog = ev.snapshot.catalog
    candidates = fits(ev) & (table.category_role == table.category_role[index])
    candidates[index] = False
    if avoid:
        candidates &= ~catalog.sku_mask(set(avoid))
    choices = np.flatnonzero(candidates).tolist()
    if not choices:
        return None
    price = catalog.price_per_month[index]
    need = ev.offer.need
    return min(
        choices,
        key=lambda i: (
            not need[i],
            -float(ev.raw[i]),
            abs(float(catalog.price_per_month[i] - price)),
            catalog.products[i].sku,
        ),
    )


def _lines(
    profile: Profile, leave_out: set[str], extra: list[tuple[str, float]], basket: list[Line]
) -> list[tuple[str, Line]]:
    lines = [
        (f"profile.current_supplements.{i}", line)
        for i, line in enumerate(profile.current_supplements)
        if not (line.sku and line.sku in leave_out)
    ]
    lines += [(f"supply.{sku}", Line(sku=sku, servings_per_day=spd)) for sku, spd in extra]
    lines += [(f"basket.{i}", line) for i, line in enumerate(basket)]
    return lines


@dataclass
class RefillPlan:
    today: dt.date
    listed: list[Supply]  # what runs out when (forgotten supplies left out)
    due: list[Supply]
    decisions: list[Decision]  # the reorder: one per product in it, soonest first
    base: Evaluation | None  # the profile with what it takes besides the reorder
    above_limit_now: bool = False
    # supplies still lasting, not in the reorder, that no longer fit: sku -> why (check_lasting)
    lasting_why: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    checked_all: bool = False  # every listed supply was checked (check_lasting)

    @property
    def order_by(self) -> dt.date | None:
        return min((d.supply.runs_out_on for d in self.decisions), default=None)


def plan_refills(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
    evaluations: dict | None = None,
    check_lasting: bool = False,
    profile_key: str | None = None,
) -> RefillPlan:
    """What runs out when, and the reorder: every product due (running out within
    `remind_days_before`, or run out since at most `forget_after_days`) plus those running
    out within `combine_within_days` of the first due one. Each is checked in run-out order
    against the profile as it is now, what it takes (current supplements, supplies still
    lasting), the basket and the reorder's products before it; one that fails is replaced by
    a safe product of the same role, or left out. `evaluations` caches evaluations by their
    lines across customers with the same profile (`profile_key`: the stored profile's digest;
    the batch job). `check_lasting` also checks
    each supply that still lasts against the profile and the other supplies (what the customer
    takes now that no longer fits is worth saying before it runs out)."""
    everything = supplies(snapshot, profile, purchases)
    forget = today - dt.timedelta(days=config.forget_after_days)
    listed = [s for s in everything if s.runs_out_on >= forget]
    remind = today + dt.timedelta(days=config.remind_days_before)
    due = [s for s in listed if s.runs_out_on <= remind]
    lasting_why = (
        _check_lasting(
            snapshot, profile, everything, listed, today, list(basket), jurisdiction, evaluations
        )
        if check_lasting
        else {}
    )
    if not due:
        return RefillPlan(
            today, listed, due, [], None, lasting_why=lasting_why, checked_all=check_lasting
        )
    until = due[0].runs_out_on + dt.timedelta(days=config.combine_within_days)
    group = [s for s in listed if s.runs_out_on <= max(until, remind)]
    in_group = {s.sku for s in group}
    # supplies still lasting that are not reordered are taken meanwhile: they count
    lasting = [
        (s.sku, s.servings_per_day)
        for s in listed
        if s.sku not in in_group and s.runs_out_on > today
    ]
    bought = {s.sku for s in everything}
    basket = list(basket)
    accepted: list[tuple[str, float]] = []
    base = None
    decided: dict[str, Decision] = {}
    failed: list[tuple[Supply, dict[str, list[str]]]] = []
    # first what still fits as bought, soonest first, each with those before it
    for supply in group:
        lines = _lines(profile, bought, lasting + accepted, basket)
        ev = _evaluate(snapshot, profile, lines, today, jurisdiction, evaluations, profile_key)
        if base is None:
            base = ev
        if ev.over_limit_now:
            decided[supply.sku] = Decision(supply, "stop", None, ["above_upper_limit_now"], ev)
            continue
        own = _as_taken(
            snapshot, profile, lines, supply, today, jurisdiction, evaluations, ev, profile_key
        )
        why = exclusions(own, supply.index)
        if why:
            failed.append((supply, why))
            continue
        decided[supply.sku] = Decision(supply, "reorder", supply.index, [], own)
        accepted.append((supply.sku, supply.servings_per_day))
    # then what no longer fits: its need met by the reorder already, a replacement, or neither
    for supply, why in failed:
        lines = _lines(profile, bought, lasting + accepted, basket)
        ev = _evaluate(snapshot, profile, lines, today, jurisdiction, evaluations, profile_key)
        if ev.over_limit_now:
            decided[supply.sku] = Decision(supply, "stop", None, ["above_upper_limit_now"], ev)
            continue
        if _covered_by(ev, supply.index, accepted):
            why = {"covered": [], **why}
            decided[supply.sku] = Decision(supply, "stop", None, list(why), ev, why)
            continue
        other = replacement(ev, supply.index, in_group | {sku for sku, _ in accepted})
        if other is None:
            decided[supply.sku] = Decision(supply, "stop", None, list(why), ev, why)
            continue
        decided[supply.sku] = Decision(supply, "replace", other, list(why), ev, why)
        product = snapshot.catalog.products[other]
        accepted.append((product.sku, float(product.servings_per_day)))
    decisions = [decided[s.sku] for s in group]
    return RefillPlan(
        today,
        listed,
        due,
        decisions,
        base,
        above_limit_now=bool(base is not None and base.over_limit_now),
        lasting_why={k: v for k, v in lasting_why.items() if k not in in_group},
        checked_all=check_lasting,
    )


def _as_taken(
    snapshot: Snapshot,
    profile: Profile,
    lines: list[tuple[str, Line]],
    supply: Supply,
    today: dt.date,
    jurisdiction: str | None,
    evaluations: dict | None,
    ev: Evaluation,
    profile_key: str | None = None,
) -> Evaluation:
    """The evaluation that checks a product at the servings the customer takes: the label's
    daily dose is the item, and servings above the label's are counted as already taken (two
    tablets a day of a one-a-day product double its dose)."""
    label = snapshot.catalog.products[supply.index].servings_per_day
    if supply.servings_per_day <= label + 1e-9:
        return ev
    extra = (
        f"supply.{supply.sku}.extra",
        Line(sku=supply.sku, servings_per_day=supply.servings_per_day - label),
    )
    return _evaluate(
        snapshot, profile, [*lines, extra], today, jurisdiction, evaluations, profile_key
    )


def _covered_by(ev: Evaluation, index: int, accepted: list[tuple[str, float]]) -> list[str]:
    """SKUs already in the reorder that serve the same role as the product at `index`."""
    table = ev.offer.role_table
    catalog = ev.snapshot.catalog
    role = table.category_role[index]
    return [sku for sku, _ in accepted if table.category_role[catalog.index[sku]] == role]


def _check_lasting(
    snapshot: Snapshot,
    profile: Profile,
    everything: list[Supply],
    listed: list[Supply],
    today: dt.date,
    basket: list[Line],
    jurisdiction: str | None,
    evaluations: dict | None,
) -> dict[str, dict[str, list[str]]]:
    bought = {s.sku for s in everything}
    lasting = [s for s in listed if s.runs_out_on > today]
    out = {}
    for supply in lasting:
        others = [(s.sku, s.servings_per_day) for s in lasting if s.sku != supply.sku]
        lines = _lines(profile, bought, others, basket)
        ev = _evaluate(snapshot, profile, lines, today, jurisdiction, evaluations)
        if not ev.over_limit_now:
            ev = _as_taken(snapshot, profile, lines, supply, today, jurisdiction, evaluations, ev)
        why = {"above_upper_limit_now": []} if ev.over_limit_now else exclusions(ev, supply.index)
        if why:
            out[supply.sku] = why
    return out


def _evaluate(
    snapshot: Snapshot,
    profile: Profile,
    lines: list[tuple[str, Line]],
    today: dt.date,
    jurisdiction: str | None,
    cache: dict | None,
    profile_key: str | None = None,
) -> Evaluation:
    if cache is None:
        return evaluate(snapshot, profile, lines, today, jurisdiction)
    key = (
        profile_key or repr(profile),
        tuple(
            (line.sku, line.servings_per_day, line.label, tuple(sorted(line.nutrients.items())))
            for _, line in lines
        ),
        today,
        jurisdiction,
        snapshot.fingerprint,
    )
    ev = cache.get(key)
    if ev is None:
        if len(cache) >= max(8, EVALUATIONS_KEPT // max(len(snapshot.catalog), 1)):
            cache.clear()  # bounded by memory: an evaluation holds arrays over the catalog
        ev = cache[key] = evaluate(snapshot, profile, lines, today, jurisdiction)
    return ev


# ---------------------------------------------------------------- rendering
def _nutrient_names(reference: Reference, keys: list[str], locale: str) -> str:
    return ", ".join(reference.nutrients.name(k, locale) for k in keys)


def why_texts(
    config: RefillConfig, reference: Reference, why: dict[str, list[str]], locale: str
) -> list[dict[str, str]]:
    out = []
    for code, nutrients in why.items():
        key = f"why_{code}"
        if key not in config.texts:
            key = "why_rule"  # a check without its own text yet: the neutral one
        text = config.text(key, locale, nutrients=_nutrient_names(reference, nutrients, locale))
        out.append({"code": code, "text": text})
    return out


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def supply_view(snapshot: Snapshot, supply: Supply, today: dt.date, locale: str) -> dict:
    product = snapshot.catalog.products[supply.index]
    return {
        "sku": supply.sku,
        "name": product.name[locale],
        "pack_size": product.pack_size,
        "servings_per_day": _number(supply.servings_per_day),
        "packs": supply.packs,
        "purchases": supply.purchases,
        "first_purchase": supply.first_purchase.isoformat(),
        "last_purchase": supply.last_purchase.isoformat(),
        "runs_out_on": supply.runs_out_on.isoformat(),
        "days_left": (supply.runs_out_on - today).days,
    }


def _product_item(ev: Evaluation, index: int, locale: str) -> dict[str, Any]:
    product = ev.snapshot.catalog.products[index]
    return {
        "sku": product.sku,
        "name": product.name[locale],
        "servings_per_day": product.servings_per_day,
        "nutrients_per_day": {k: rounded(v) for k, v in product.nutrients_per_day.items()},
        "category": product.category,
        "form": product.form,
        "price": product.price,
        "currency": product.currency,
        "price_per_month": product.price_per_month,
        "pack_size": product.pack_size,
    }


def _runs_out_reason(config: RefillConfig, name: str, day: dt.date, today: dt.date, locale: str):
    key = "reason_runs_out" if day > today else "reason_ran_out"
    return {
        "code": "runs_out",
        "text": config.text(key, locale, name=name, date=config.date(day, locale)),
    }


def render_plan(
    snapshot: Snapshot, config: RefillConfig, plan: RefillPlan, locale: str
) -> dict[str, Any]:
    """The body of GET /v1/customers/{id}/refills (without `customer_id`)."""
    reference, catalog = snapshot.reference, snapshot.catalog
    in_reorder = {d.supply.sku for d in plan.decisions}
    due = {s.sku for s in plan.due}
    unfit = {
        d.supply.sku: d.nutrients or {code: [] for code in d.why}
        for d in plan.decisions
        if d.action != "reorder"
    }
    unfit.update(plan.lasting_why)
    refills = []
    for s in plan.listed:
        entry = {
            **supply_view(snapshot, s, plan.today, locale),
            "due": s.sku in due,
            "in_reorder": s.sku in in_reorder,
        }
        if s.sku in unfit:
            entry["fits"] = False
            entry["why"] = why_texts(config, reference, unfit[s.sku], locale)
        elif s.sku in in_reorder or plan.checked_all:
            entry["fits"] = True
        refills.append(entry)
    items, left_out = [], []
    for decision in plan.decisions:
        supply, ev = decision.supply, decision.ev
        name = catalog.products[supply.index].name[locale]
        if decision.action == "stop" or decision.index is None:
            nutrients = decision.nutrients or {code: [] for code in decision.why}
            why = why_texts(config, reference, nutrients, locale)
            left_out.append(
                {
                    "sku": supply.sku,
                    "name": name,
                    "runs_out_on": supply.runs_out_on.isoformat(),
                    "why": why,
                    "advice": config.text("notice_not_reordered", locale, name=name),
                }
            )
            continue
        item = _product_item(ev, decision.index, locale)
        if decision.action == "reorder":  # at the servings the customer takes
            item["servings_per_day"] = _number(supply.servings_per_day)
            label = catalog.products[supply.index].servings_per_day
            item["nutrients_per_day"] = {
                k: rounded(v * supply.servings_per_day / label)
                for k, v in catalog.products[supply.index].nutrients_per_day.items()
            }
        reasons = [_runs_out_reason(config, name, supply.runs_out_on, plan.today, locale)]
        if decision.action == "replace":
            reasons.append(
                {"code": "replaces", "text": config.text("reason_replaces", locale, name=name)}
            )
            item["replaces"] = supply.sku
            item["why"] = why_texts(config, reference, decision.nutrients, locale)
        item.update(
            {
                "action": decision.action,
                "for_sku": supply.sku,
                "runs_out_on": supply.runs_out_on.isoformat(),
                "reasons": reasons,
                "warnings": item_warnings(ev, decision.index, locale),
            }
        )
        items.append(item)
    notices = profile_notices(plan.base, locale) if plan.base is not None else []
    reorder = None
    if items or left_out:
        reorder = {
            "order_by": plan.order_by.isoformat() if plan.order_by else None,
            "combine_within_days": config.combine_within_days,
            "items": items,
            "left_out": left_out,
        }
    return {
        "today": plan.today.isoformat(),
        "remind_days_before": config.remind_days_before,
        "refills": refills,
        "reorder": reorder,
        "notices": notices,
        "versions": snapshot.versions,
    }


# ---------------------------------------------------------------- buy again
@dataclass(frozen=True)
class BuyAgain:
    """One product to buy again: its supply and the evaluation it was checked in."""

    supply: Supply
    ev: Evaluation

    @property
    def index(self) -> int:
        return self.supply.index


def buy_again_ranked(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    *,
    limit: int = 10,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
) -> list[BuyAgain]:
    """Products the customer bought (in the last `buy_again_days`) that still fit the profile
    as it is now, most bought first (packs, then the latest purchase).

    Each is checked like an item of a list (`fits`: every safety guarantee, merchandising
    excludes, the dose band) against the current supplements, the basket and the other
    supplies that still last (not against itself); one that does not fit any more is left
    out (the refills propose its replacement). Nothing when what is taken already crosses
    an upper limit, as for every list."""
    since = today - dt.timedelta(days=config.buy_again_days)
    bought = supplies(snapshot, profile, [p for p in purchases if p.day >= since])
    if not bought:
        return []
    every_sku = {s.sku for s in supplies(snapshot, profile, purchases)}
    lasting = {s.sku: s.servings_per_day for s in bought if s.runs_out_on > today}
    ranked = sorted(bought, key=lambda s: (-s.packs, -s.last_purchase.toordinal(), s.sku))
    chosen: list[BuyAgain] = []
    evaluations: dict[frozenset[str], Evaluation] = {}
    for supply in ranked:
        others = frozenset(sku for sku in lasting if sku != supply.sku)
        ev = evaluations.get(others)
        if ev is None:
            extra = [(sku, lasting[sku]) for sku in sorted(others)]
            lines = _lines(profile, every_sku, extra, list(basket))
            ev = evaluations[others] = evaluate(snapshot, profile, lines, today, jurisdiction)
        if ev.over_limit_now:
            return []
        if fits(ev)[supply.index]:
            chosen.append(BuyAgain(supply, ev))
            if len(chosen) >= limit:
                break
    return chosen


def buy_again_reasons(
    config: RefillConfig, snapshot: Snapshot, supply: Supply, today: dt.date, locale: str
) -> list[dict[str, str]]:
    """Why an item is offered again: bought before (when), and when it runs out."""
    name = snapshot.catalog.products[supply.index].name[locale]
    reasons = [
        {
            "code": "bought_before",
            "text": config.text(
                "reason_bought_before", locale, date=config.date(supply.last_purchase, locale)
            ),
        }
    ]
    if supply.runs_out_on >= today - dt.timedelta(days=config.forget_after_days):
        reasons.append(_runs_out_reason(config, name, supply.runs_out_on, today, locale))
    return reasons


def buy_again(
    snapshot: Snapshot,
    config: RefillConfig,
    profile: Profile,
    purchases: list[Purchase],
    today: dt.date,
    *,
    locale: str = "nl",
    limit: int = 10,
    basket: list[Line] | tuple[Line, ...] = (),
    jurisdiction: str | None = None,
) -> list[dict[str, Any]]:
    """`buy_again_ranked` as items: the contract's item fields plus `last_purchase`,
    `packs_bought` and `runs_out_on`, with reasons and warnings in `locale`."""
    items = []
    for chosen in buy_again_ranked(
        snapshot,
        config,
        profile,
        purchases,
        today,
        limit=limit,
        basket=basket,
        jurisdiction=jurisdiction,
    ):
        supply = chosen.supply
        item = _product_item(chosen.ev, supply.index, locale)
        item.update(
            {
                "last_purchase": supply.last_purchase.isoformat(),
                "packs_bought": supply.packs,
                "runs_out_on": supply.runs_out_on.isoformat(),
                "reasons": buy_again_reasons(config, snapshot, supply, today, locale),
                "warnings": item_warnings(chosen.ev, supply.index, locale),
            }
        )
        items.append(item)
    return items
