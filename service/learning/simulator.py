"""Synthetic customers, their visits and their clicks: an event log to train and test on.

What each customer is shown is decided by the real pipeline: `evaluate()` on the customer's
profile at the visit's date (so campaigns and seasonal rules apply), the same candidate mask as
serving (`list_candidates`: safety, rule excludes and requires, the advice's offer) and the
transparent ranking with category diversity
and pins (`ranking._rank`), `list_size` items per list. Every list is logged with
`logs.impression_record` exactly as serving logs it.

How customers react is decided by hidden preferences the ranking does not know (`Preferences`,
whose defaults are these: the shipped shop; `SHOPS["second"]` is a second shop whose customers
want other things, kept to check that nothing is tuned to the first). The utility u of a shown
product for a customer is the sum of:

- what the transparent score sees: 0.6 x gap_fill + 0.8 x goal_match;
- a little for everyone: 0.5 x category appeal (`CATEGORY_APPEAL`: vitamin D, magnesium and
  omega-3 sell, vitamin A or iodine hardly) + 0.3 for the `bestseller` tag;
- older customers (60+) buy D3+K2 combinations: vitamin_d_k2 +3.0, calcium_d3 +1.5, vitamin_k2
  +1.0, and avoid gummies and chewables (-1.5); under 40 the combinations put people off
  (vitamin_d_k2 -1.5, calcium_d3 -1.0); women 50+ calcium_d3 +1.25;
- vegans respond to lichen D3 (+3.75) and algae omega-3 (+2.5); vegetarians to lichen D3
  (+1.25);
- price sensitivity varies: minus sensitivity x price per month / 10 EUR, sensitivity = a mean
  by age (children's parents 1.0, 12-17 1.5, 18-29 2.0, 30-49 1.0, 50-64 0, 65+ -0.5: older
  customers take a higher price for quality) times a personal log-normal factor (sd 0.35);
- form: children (under 12) gummies, chewables, drops and sprays +2.5, tablets, capsules and
  softgels -2.5; 18-29 gummies +1.5; 65+ drops and liquids +0.75, capsules and softgels -1.0;
  DE capsules +1.0 and tablets -0.5; NL tablets +0.5 and capsules -0.75;
- iron: women 18-49 +1.5, men -1.5; the sport goal: magnesium +2.0; the heart goal: omega-3
  +1.0;
- personal taste per category, normal with sd 0.25 (not observable: noise no model can learn).

Behaviour per shown item, with p its position (1 = first) and c the customer's conversion
propensity (normal, sd 0.5):

- seen (a `view` event) with probability 0.9 x p^-0.5 (position bias);
- clicked when seen with sigmoid(u - 3.5);
- added to the cart when clicked with sigmoid(u - 4.0 + c);
- bought when in the cart with sigmoid(0.5 u - 1.5 + c).

On lists as served (`list_size` 20 is the limit; the offer leaves about 6 items a list) that
gives about half of shown items seen, 9% clicked and 2.3% bought (a quarter of the clicks).
Events follow the impression by seconds (view), up to a minute (click), up to ten minutes
(cart) and up to two days (purchase).

Customers: ages from 1 to 90 (8% children, whose parents shop for them), 55% women, 10% vegan,
15% vegetarian, 65% NL, some pregnant, allergic, on medication, with a condition, or taking a
vitamin D supplement from elsewhere (the safety masks are exercised); each visits 1 + Poisson(g)
times over `days`, g drawn from a gamma distribution (mean 2.25).

The hidden preferences of the two simulated shops are in shop_preferences.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.core.profile import Line, Profile, labelled_lines
from service.core.ranking import _rank, evaluate, list_candidates
from service.core.snapshot import Snapshot
from service.core.vocabulary import ALLERGENS, CONDITIONS, GOALS, MEDICATIONS

from .features import FEATURE_NAMES, product_features
from .logs import SIMULATED, event_record, impression_record, write_jsonl
from .shop_preferences import CHILD_FORMS, PILL_FORMS, Preferences

DEFAULT_START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
EVENT_KINDS = ("view", "click", "add_to_cart", "purchase")


@dataclass(frozen=True)
class SimulationLog:
    impressions_path: Path
    events_path: Path
    customers: int
    impressions: int
    events: dict[str, int]


@dataclass(frozen=True)
class _Customer:
    id: str
    profile: Profile
    visits: int


@dataclass
class _Shown:
    """Every shown item of the simulation, as parallel lists (made arrays for behaviour)."""

    customer: list[int]
    product: list[np.ndarray]
    position: list[np.ndarray]
    gap_fill: list[np.ndarray]
    goal_match: list[np.ndarray]
    time: list[float]


def simulate(
    snapshot: Snapshot,
    out_dir: Path,
    *,
    customers: int = 2000,
    days: int = 60,
    seed: int = 0,
    start: dt.datetime = DEFAULT_START,
    list_size: int = 20,
    replicate: int = 1,
    preferences: Preferences | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationLog:
    """Write `impressions.jsonl` and `events.jsonl` into `out_dir` and describe what was written.

    `replicate` > 1 makes every synthetic customer stand for that many customers with the same
    profile and visit days but their own hidden tastes and their own clicks (big logs fast: the
    pipeline runs once per visit, not once per clone). `progress(done, total)` is called as
    visits are simulated (for a progress bar).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    people = [_draw_customer(rng, i) for i in range(customers)]
    clones = len(people) * replicate
    shown = _Shown([], [], [], [], [], [])
    impressions_path = out_dir / "impressions.jsonl"
    records = _sessions(
        snapshot, people, days, start, list_size, replicate, seed, rng, shown, progress
    )
    count = write_jsonl(impressions_path, records)
    prefs = preferences or Preferences()
    profiles = [p.profile for p in people for _ in range(replicate)]
    events = _behaviour(shown, _hidden_traits(snapshot, profiles, rng, prefs), rng, prefs)
    ids = [f"{p.id}-{j}" if replicate > 1 else p.id for p in people for j in range(replicate)]
    skus = [p.sku for p in snapshot.catalog.products]
    events_path = out_dir / "events.jsonl"
    write_jsonl(
        events_path,
        (
            event_record(ids[c], skus[s], EVENT_KINDS[k], _moment(t))
            for c, s, k, t in zip(*events, strict=True)
        ),
    )
    kinds = np.bincount(events[2], minlength=len(EVENT_KINDS))
    return SimulationLog(
        impressions_path,
        events_path,
        clones,
        count,
        {kind: int(n) for kind, n in zip(EVENT_KINDS, kinds, strict=True)},
    )


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(round(seconds, 3), dt.UTC)


def _sessions(
    snapshot: Snapshot,
    people: list[_Customer],
    days: int,
    start: dt.datetime,
    list_size: int,
    replicate: int,
    seed: int,
    rng: np.random.Generator,
    shown: _Shown,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[dict]:
    """Run the pipeline for every visit, in time order; yield impression records."""
    catalog = snapshot.catalog
    skus = [p.sku for p in catalog.products]
    visits = [
        (float(t), i)
        for i, person in enumerate(people)
        for t in rng.uniform(0, days * 86_400.0, person.visits)
    ]
    visits.sort()
    begin = start.timestamp()
    for number, (offset, i) in enumerate(visits):
        if progress is not None and number % 250 == 0:
            progress(number, len(visits))
        person = people[i]
        moment = begin + offset
        ev = evaluate(
            snapshot, person.profile, labelled_lines(person.profile), _moment(moment).date()
        )
        candidates = list_candidates(ev)
        if ev.over_limit_now or not candidates.any():
            continue
        ranked, _ = _rank(ev, candidates, list_size)
        features = product_features(ev)
        products = np.array(ranked, dtype=np.int64)
        for j in range(replicate):
            clone = i * replicate + j
            at = moment + j * 600.0  # clones come ten minutes apart
            shown.customer.append(clone)
            shown.product.append(products)
            shown.position.append(np.arange(1, len(ranked) + 1))
            shown.gap_fill.append(features[ranked, FEATURE_NAMES.index("gap_fill")])
            shown.goal_match.append(features[ranked, FEATURE_NAMES.index("goal_match")])
            shown.time.append(at)
            customer_id = f"{person.id}-{j}" if replicate > 1 else person.id
            yield impression_record(
                f"sim{seed}-{number}-{j}",
                customer_id,
                _moment(at),
                features,
                ranked,
                skus,
                snapshot.model_version,
                source=SIMULATED,
            )
    if progress is not None:
        progress(len(visits), len(visits))


def _draw_customer(rng: np.random.Generator, number: int) -> _Customer:
    group = rng.choice(6, p=[0.08, 0.04, 0.18, 0.30, 0.22, 0.18])
    low, high = ((1, 11), (12, 17), (18, 29), (30, 49), (50, 64), (65, 90))[group]
    age = int(rng.integers(low, high + 1))
    sex = str(rng.choice(["female", "male", "unspecified"], p=[0.55, 0.40, 0.05]))
    diet = str(rng.choice(["omnivore", "vegetarian", "vegan"], p=[0.75, 0.15, 0.10]))
    life_stage = "none"
    if sex == "female" and 20 <= age <= 42 and rng.random() < 0.12:
        life_stage = "pregnant" if rng.random() < 0.67 else "breastfeeding"
    goals = _goals(rng, age, life_stage)
    profile = Profile(
        age=age,
        sex=sex,
        life_stage=life_stage,
        diet=diet,
        allergies=(str(rng.choice(ALLERGENS)),) if rng.random() < 0.08 else (),
        medications=(str(rng.choice(MEDICATIONS)),) if rng.random() < 0.06 else (),
        conditions=(str(rng.choice(CONDITIONS)),) if rng.random() < 0.04 else (),
        sun_exposure=str(rng.choice(["low", "moderate", "high"], p=[0.3, 0.5, 0.2])),
        country="NL" if rng.random() < 0.65 else "DE",
        goals=goals,
        current_supplements=_current_supplements(rng),
    )
    visits = 1 + int(rng.poisson(rng.gamma(1.5, 1.5)))
    return _Customer(f"sim-{number:07d}", profile, visits)


def _goals(rng: np.random.Generator, age: int, life_stage: str) -> tuple[str, ...]:
    weights = np.ones(len(GOALS))
    weights[GOALS.index("pregnancy")] = 0.0
    if age >= 50:
        weights[GOALS.index("bones")] += 2.0
        weights[GOALS.index("heart")] += 1.5
    if 16 <= age < 50:
        weights[GOALS.index("sport")] += 1.5
        weights[GOALS.index("energy")] += 1.0
    chosen = set(rng.choice(GOALS, size=int(rng.integers(0, 3)), p=weights / weights.sum()))
    if life_stage == "pregnant":
        chosen.add("pregnancy")
    return tuple(sorted(str(g) for g in chosen))


def _current_supplements(rng: np.random.Generator) -> tuple[Line, ...]:
    if rng.random() >= 0.2:
        return ()
    # a plain supplement from elsewhere, not a catalog product
    amount = float(rng.choice([10.0, 20.0, 25.0]))
    return (Line(label="own vitamin D", nutrients={"vitamin_d_ug": amount}),)


@dataclass(frozen=True)
class _Traits:
    conversion: np.ndarray  # per customer
    utility: np.ndarray  # (customers, products): the part that does not depend on the request


def _hidden_traits(
    snapshot: Snapshot,
    profiles: list[Profile],
    rng: np.random.Generator,
    prefs: Preferences,
) -> _Traits:
    """The per-customer hidden preferences, as utility per customer x SKU."""
    catalog = snapshot.catalog
    n = len(profiles)
    names = catalog.category_names
    category = catalog.category_code
    form = np.array([p.form for p in catalog.products])
    sources = [set(p.vitamin_sources.values()) for p in catalog.products]
    lichen = np.array(["lichen" in s for s in sources], dtype=float)
    algae = np.array(["algae" in s for s in sources], dtype=float)
    bestseller = np.array(["bestseller" in p.tags for p in catalog.products], dtype=float)
    age = np.array([p.age for p in profiles])
    sensitivity = np.array(
        [next(mean for top, mean in prefs.price_sensitivity_by_age if a <= top) for a in age]
    ) * rng.lognormal(0.0, prefs.price_sensitivity_sd, n)
    conversion = rng.normal(0.0, prefs.conversion_sd, n)
    taste = rng.normal(0.0, prefs.taste_sd, (n, len(names)))

    def is_category(name: str) -> np.ndarray:
        return (category == names.index(name)).astype(float) if name in names else 0.0 * lichen

    def has_form(*forms: str) -> np.ndarray:
        return np.isin(form, forms).astype(float)

    appeal_by_name = dict(prefs.category_appeal)
    appeal = np.array([appeal_by_name.get(name, 0.0) for name in names])[category]
    female = np.array([p.sex == "female" for p in profiles])
    goals = [set(p.goals) for p in profiles]
    terms = [
        (np.ones(n), prefs.appeal * appeal + prefs.bestseller * bestseller),
        (
            age >= 60,
            prefs.older_d3_k2 * is_category("vitamin_d_k2")
            + prefs.older_calcium_d3 * is_category("calcium_d3")
            + prefs.older_k2 * is_category("vitamin_k2")
            + prefs.older_chewable * has_form("gummy", "chewable"),
        ),
        (
            age < 40,
            prefs.under_40_d3_k2 * is_category("vitamin_d_k2")
            + prefs.under_40_calcium_d3 * is_category("calcium_d3"),
        ),
        (female & (age >= 50), prefs.women_50_calcium_d3 * is_category("calcium_d3")),
        (female & (age >= 18) & (age < 50), prefs.women_18_49_iron * is_category("iron")),
        (np.array([p.sex == "male" for p in profiles]), prefs.men_iron * is_category("iron")),
        ((age >= 18) & (age < 30), prefs.young_gummy * has_form("gummy")),
        (
            np.array([p.diet == "vegan" for p in profiles]),
            prefs.vegan_lichen * lichen + prefs.vegan_algae * algae,
        ),
        (np.array([p.diet == "vegetarian" for p in profiles]), prefs.vegetarian_lichen * lichen),
        (age < 12, prefs.child_forms * (has_form(*CHILD_FORMS) - has_form(*PILL_FORMS))),
        (
            age >= 65,
            prefs.senior_liquid * has_form("drops", "liquid")
            + prefs.senior_big_pill * has_form("capsule", "softgel"),
        ),
        (
            np.array([p.country == "DE" for p in profiles]),
            prefs.german_capsule * has_form("capsule") + prefs.german_tablet * has_form("tablet"),
        ),
        (
            np.array([p.country == "NL" for p in profiles]),
            prefs.dutch_tablet * has_form("tablet") + prefs.dutch_capsule * has_form("capsule"),
        ),
        (
            np.array(["sport" in g for g in goals]),
            prefs.sport_magnesium * is_category("magnesium"),
        ),
        (np.array(["heart" in g for g in goals]), prefs.heart_omega3 * is_category("omega3")),
    ]
    utility = taste[:, category] - sensitivity[:, None] * (catalog.price_per_month / 10.0)
    for who, effect in terms:
        utility += np.asarray(who, dtype=float)[:, None] * effect[None, :]
    return _Traits(conversion, utility)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _behaviour(
    shown: _Shown, traits: _Traits, rng: np.random.Generator, prefs: Preferences
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Events for every shown item at once: (customer, product, kind, time) arrays, by time."""
    sizes = np.array([len(p) for p in shown.product])
    if sizes.sum() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    customer = np.repeat(np.array(shown.customer), sizes)
    product = np.concatenate(shown.product)
    position = np.concatenate(shown.position)
    time = np.repeat(np.array(shown.time), sizes)
    utility = (
        traits.utility[customer, product]
        + prefs.gap_fill * np.concatenate(shown.gap_fill)
        + prefs.goal_match * np.concatenate(shown.goal_match)
    )
    conversion = traits.conversion[customer]
    size = len(product)
    seen = rng.random(size) < prefs.seen_top * position.astype(float) ** -prefs.seen_decay
    clicked = seen & (rng.random(size) < _sigmoid(utility + prefs.click_offset))
    carted = clicked & (rng.random(size) < _sigmoid(utility + prefs.cart_offset + conversion))
    bought = carted & (rng.random(size) < _sigmoid(0.5 * utility + prefs.buy_offset + conversion))
    seen_at = time + 2.0 + 1.5 * position + rng.uniform(0, 3, size)
    clicked_at = seen_at + rng.uniform(2, 60, size)
    carted_at = clicked_at + rng.uniform(30, 600, size)
    bought_at = carted_at + rng.uniform(60, 2 * 86_400, size)
    parts = [
        (mask, kind, at)
        for kind, (mask, at) in enumerate(
            ((seen, seen_at), (clicked, clicked_at), (carted, carted_at), (bought, bought_at))
        )
    ]
    customers = np.concatenate([customer[m] for m, _, _ in parts])
    products = np.concatenate([product[m] for m, _, _ in parts])
    kinds = np.concatenate([np.full(int(m.sum()), k) for m, k, _ in parts])
    times = np.concatenate([at[m] for m, _, at in parts])
    order = np.argsort(times, kind="stable")
    return customers[order], products[order], kinds[order], times[order]
