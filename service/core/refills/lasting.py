"""The reorder beside supplies that still last (split from plan.py): the lasting replacements
shown beside it, and the lasting supplies to stop for a product of the reorder that is the
only source of a nutrient the person needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..advice import advice_of
from ..failing import doctor_dose_product, stage_totals
from ..instead_groups import joins
from ..profile import Line, Profile
from ..ranking import Evaluation
from ..snapshot import Snapshot
from .check import CheckCache, as_taken, cached_evaluate
from .supplies import basket_besides, list_lines, taken_lines
from .why import above_now, exclusions, held_why

if TYPE_CHECKING:
    from ..instead import Instead
    from .supplies import Supply

# why codes of a product left out only for what it adds to what else is taken: a second
# source of a nutrient, a day's total above the life stage's maximum or an upper limit, the day
# past the dose band; `only_source` says it is the only source of another nutrient
SUM_CODES = frozenset(
    {
        "already_covered",
        "only_source",
        "life_stage_maximum_total",
        "upper_limit",
        "upper_limit_taken_food",
        "dose_band",
    }
)


def stop_for_reorder(
    snapshot: Snapshot,
    supply: Supply,
    why: dict[str, list[str]],
    lasting: list[tuple[str, float]],
) -> set[str]:
    """The lasting supplies to stop when the reorder's `supply` starts, so that it can go on:
    it fails only for what it adds to what is taken besides (SUM_CODES), it is the only source
    of a nutrient (`only_source`: a pregnant woman's multivitamin, her only folic acid and
    iodine, beside a lasting 20 µg D3 above the 25 µg pregnancy maximum together; session 18
    review F1), and each of them gives one of the nutrients concerned and nothing the supply
    does not give (stopping it loses nothing). Empty where that is not so: the plan then
    decides as before (replacement, or left out)."""
    if "only_source" not in why or not set(why) <= SUM_CODES:
        return set()
    catalog, keys = snapshot.catalog, snapshot.reference.nutrients.keys
    gives = catalog.nutrients_per_day[supply.index] > 0
    concerned = [
        keys.index(n) for code, names in why.items() if code != "only_source" for n in names
    ]
    stop = set()
    for sku, _ in lasting:
        if sku not in catalog.index:  # a declared SKU the catalog no longer has
            continue
        other = catalog.nutrients_per_day[catalog.index[sku]] > 0
        if other[concerned].any() and not (other & ~gives).any():
            stop.add(sku)
    return stop


def stop_unsuited(
    ev: Evaluation, supply: Supply, why: dict[str, list[str]], lasting: list[tuple[str, float]]
) -> set[str]:
    """The lasting supplies (or current supplements named by SKU) to stop when the reorder's
    `supply` starts (`ev`: the day with it as its item, at the servings taken), where it fails
    only for a day above the life stage's maximum that products besides it unsuitable in the
    life stage as a whole make (`failing.stage_totals`, as the list says it): a pregnant
    woman's 25 µg D3 beside a women's multivitamin (10 µg) goes on, and its reorder says to
    stop the multivitamin as it starts (review s39d F1, re-review s40a F2). Empty where one
    of them is a basket line, or one that an interaction excludes (its notice says not to
    stop it on your own: the INR, re-review s40a F3)."""
    if set(why) != {"life_stage_maximum_total"}:
        return set()
    fails, theirs = stage_totals(ev, supply.index)
    if fails or not theirs:
        return set()
    catalog = ev.snapshot.catalog
    held = {sku for sku, _ in lasting}
    conflicts = [m for code, m in ev.safety.excluded.items() if code.startswith("interaction:")]
    stop: set[str] = set()
    for i in ev.offer.unsuitable_lines:
        line = ev.resolved[i]
        if not any(line.amounts[c] > 0 for c in theirs):
            continue
        if line.sku not in held or line.path.startswith("basket."):
            return set()
        if any(mask[catalog.index[line.sku]] for mask in conflicts):
            return set()
        stop.add(line.sku)
    return stop


def lost_with(snapshot: Snapshot, skus: set[str], index: int, indices: list[int]) -> bool:
    """One of the products at `indices` (of the reorder, left out or not yet decided) gives a
    nutrient one of `skus` (to stop for the product at `index`) gives and that one does not:
    stopping them, nothing would serve it (re-review s40a F4). What the product itself gives
    is served (s41a F1: an omega-3 with vitamin D left out kept a pregnant woman's women's
    multivitamin from stopping for her 25 µg D3, and her folic acid was named nowhere)."""
    per_day = snapshot.catalog.nutrients_per_day
    rows = [snapshot.catalog.index[sku] for sku in skus]
    gives = (per_day[rows].sum(axis=0) > 0) & ~(per_day[index] > 0)
    return bool(indices) and bool((per_day[indices][:, gives] > 0).any())


def declared(profile: Profile, counted: set[str]) -> list[tuple[str, float]]:
    """The current supplements the profile names by SKU that no supply counts already, as
    (SKU, servings a day; 0: the label's), stop candidates like the lasting supplies."""
    return [
        (line.sku, float(line.servings_per_day or 0))
        for line in profile.current_supplements
        if line.sku and line.sku not in counted
    ]


def keeps_enough(ev: Evaluation, index: int, stop: set[str]) -> bool:
    """With the lasting supplies in `stop` stopped (`ev`: the day without them, the reorder's
    product at `index` checked as its item), every nutrient they give that has an amount for
    the profile (an advice, a doctor's dose, a measured level's, a reference intake) is still
    taken enough of with the product: a doctor's 75 µg D3 is never stopped for a
    multivitamin's 20 µg, nor a pregnant woman's 25 µg at a measured 20 nmol/l for 10 µg
    (session 18 re-review F1, F2)."""
    catalog = ev.snapshot.catalog
    gives = np.zeros(catalog.nutrients_per_day.shape[1], dtype=bool)
    for sku in stop:
        gives |= catalog.nutrients_per_day[catalog.index[sku]] > 0
    # a doctor's dose, or a nutrient with a measured level, is no amount to lower here
    advice = advice_of(ev)
    keys = ev.snapshot.reference.nutrients.keys
    measured = ev.offer.config.serum_nutrient if advice.serum is not None else None
    held = [*advice.doctor, *advice.justified_by, *([keys.index(measured)] if measured else [])]
    if any(gives[c] for c in held):
        return False
    enough = ev.offer.enough
    columns = np.flatnonzero(gives & ~np.isnan(enough))
    totals = ev.safety.totals_with_item[index]
    reached = totals[columns] >= enough[columns] * (1 - ev.offer.enough_share[columns])
    return bool(reached.all())


class Named(NamedTuple):
    """What a supply still lasting that no longer fits names `instead`: the product, the
    evaluation it was chosen in, and for a multivitamin the products beside it (`also`)."""

    product: int
    ev: Evaluation
    also: tuple[tuple[int, Evaluation], ...] = ()

    @property
    def indices(self) -> list[int]:
        return [self.product, *(i for i, _ in self.also)]


def lasting_named(
    fit: Evaluation,
    base: Evaluation,
    index: int,
    avoid: set[str],
    lines: tuple[list[tuple[str, Line]], list[tuple[str, Line]]],
    evaluate: Callable[[list[tuple[str, Line]]], Evaluation],
) -> Named | None:
    """What serves the need of the lasting product at `index` in its place: the product for
    its need on the day without every product that no longer fits (`fit`), where its limits
    count all else taken (`base`, the day without this product only); else, for a multivitamin,
    as the list names them (instead._named_for): the products for its advice gaps on that day,
    one at a time, each beside those before it (`lines`: `base`'s and `fit`'s, `evaluate`d with
    them), searched on `fit`'s day where the first was, and fitting `base`'s. Review s29a F3: a
    pregnant woman's women's multivitamin beside a 50 µg D3 got nothing named in /refills,
    while her list named folic acid and iodine; session 41: beside a second multivitamin that
    does not suit her either, each named folic acid only, as the other's iodine counted."""
    from .replace import fits, many_roles, next_replacement, replacement

    other = replacement(fit, index, avoid)
    first = other is not None and bool(base.safety.allowed()[other])
    if not many_roles(base, index):
        return Named(other, fit) if first and other is not None else None
    skus = base.snapshot.catalog.products
    chosen: list[tuple[int, Evaluation]] = []
    # the first on the day without what no longer fits, where all else allows it; else on
    # the day with all else; then one at a time for the gaps it leaves, as the list names
    # them (review s30c F3: not only where the first choice failed: a breastfeeding girl's
    # iodine beside the B12 named for her women's multivitamin)
    day, pick = (fit, other) if first else (base, replacement(base, index, avoid))
    whole = base
    while pick is not None and fits(day)[pick] and day.rule_required[pick]:
        if day is not whole and not whole.safety.allowed()[pick]:
            break
        chosen.append((pick, day))
        taken = [i for i, _ in chosen]
        named = [(f"instead.{skus[i].sku}", Line(sku=skus[i].sku)) for i in taken]
        whole = evaluate(lines[0] + named)
        if whole.over_limit_now:
            return None  # what is named would cross a limit together
        day = evaluate(lines[1] + named) if first else whole
        # none that all else taken does not allow: the next gap then (s41c: a vitamin D not
        # allowed beside a lasting calcium + D3 + K2 ended the search, and her iodine was lost)
        held = {skus[i].sku for i in taken} | _blocked(whole) if first else set()
        pick = next_replacement(day, index, taken, avoid | {skus[i].sku for i in taken} | held)
    return Named(chosen[0][0], chosen[0][1], tuple(chosen[1:])) if chosen else None


def _above_now(ev: Evaluation, index: int) -> dict[str, list[str]]:
    """Why the supply at `index` still lasting does not fit while what is taken now is above
    an upper limit (`ev`): that, where it gives a nutrient above it, and what it fails of
    itself (diet, age, allergy, life stage, an interaction, the life stage's maximum), as a
    product held back says it (review s43b F3: a pregnant vegan's lanolin 20 µg D3 read only
    "above the safe upper limit for magnesium", which it does not give)."""
    row = ev.snapshot.catalog.nutrients_per_day[index]
    gives = any(row[c] > 0 for c in ev.over_limit_now)
    return held_why(ev, index, above_now(ev) if gives else {})


def _advised(ev: Evaluation, nutrients: list[str]) -> bool:
    """One of `nutrients` has an advice or target for the profile on `ev`."""
    keys = ev.snapshot.reference.nutrients.keys
    targets = advice_of(ev).targets
    return any(not np.isnan(targets[keys.index(n)]) for n in nutrients)


def _blocked(ev: Evaluation) -> set[str]:
    """SKUs of the products `ev`'s safety does not allow."""
    products = ev.snapshot.catalog.products
    return {products[i].sku for i in np.flatnonzero(~ev.safety.allowed()).tolist()}


def unfit_skus(ev: Evaluation, listed: list[Supply], profile: Profile) -> set[str]:
    """SKUs of the supplies listed and the current supplements that no longer fit the profile
    (why.unfit_products: diet, allergy, age, life stage, an interaction)."""
    from .why import no_longer_fits

    skus = {s.sku for s in listed} | {line.sku for line in profile.current_supplements if line.sku}
    return {sku for sku in skus if no_longer_fits(ev, sku)}


# why each supply still lasting no longer fits, and what is named in its place
Verdicts = tuple[dict[str, dict[str, list[str]]], dict[str, "Named"]]


def lasting_verdicts(
    snapshot: Snapshot,
    profile: Profile,
    listed: list[Supply],
    today: dt.date,
    basket: list[Line],
    jurisdiction: str | None,
    evaluations: CheckCache | None,
    reorder: tuple[set[str], list[tuple[str, float]]] = (set(), []),
) -> Verdicts:
    """Each supply still lasting checked against the profile and what else is taken (plan
    `check_lasting`): why it no longer fits, and what serves its need in its place, beside
    what fits and goes on: the supplies not in the `reorder` (its SKUs, and the products it
    proposes, SKU and servings a day), and its products (s41a F1: a pregnant woman's folic
    acid + D3 running out in 5 days and left out was her folic acid here, and nothing named
    folic acid in place of her women's multivitamin)."""
    group, proposed = reorder
    lasting = [s for s in listed if s.runs_out_on > today]
    counted = {s.sku for s in lasting}  # the other current supplements count as the profile says
    out: dict[str, dict[str, list[str]]] = {}
    instead: dict[str, Named] = {}

    def evaluate_lines(lines: list[tuple[str, Line]]) -> Evaluation:
        return cached_evaluate(snapshot, profile, lines, today, jurisdiction, evaluations)

    unfit: set[str] | None = None
    joined: dict[str, str] = {}  # a product replaced with a multivitamin -> its SKU
    for supply in lasting:
        others = [(s.sku, s.servings_per_day) for s in lasting if s.sku != supply.sku]
        lines = taken_lines(profile, counted, others, basket)
        ev = cached_evaluate(snapshot, profile, lines, today, jurisdiction, evaluations)
        base = ev
        if unfit is None:
            unfit = unfit_skus(ev, listed, profile)
        # review 9b F3: a source of "enough" still fits and outlasts it (of two that run out
        # the same day, the one later by SKU): not each of two called enough beside the other
        outlast = {
            s.sku
            for s in lasting
            if s.sku not in unfit and (s.runs_out_on, s.sku) > (supply.runs_out_on, supply.sku)
        }
        cover_lines = taken_lines(
            profile,
            counted | unfit,
            [(sku, n) for sku, n in others if sku in outlast],
            basket_besides(basket, unfit),
        )
        cover = None
        if len(cover_lines) < len(lines):
            cover = cached_evaluate(
                snapshot, profile, cover_lines, today, jurisdiction, evaluations
            )
        if not ev.over_limit_now:
            ev = as_taken(snapshot, profile, lines, supply, today, jurisdiction, evaluations, ev)
        why = (
            _above_now(ev, supply.index)
            if ev.over_limit_now
            else exclusions(ev, supply.index, base, cover, unsuited_stop=True)
        )
        alone = why.pop("only_source", None)  # it still lasts: nothing stops yet
        if alone and set(why) == {"already_covered"} and _advised(ev, alone):
            # the only source of an advised nutrient is no second source of another: a
            # pregnant woman's pregnancy multivitamin, her only folic acid, beside an iodine
            # tablet that outlasts it was "no longer fits: already enough iodine", and nothing
            # was named in its place (review s43b F2); when it is due, the reorder stops what
            # gives only the covered nutrient (stop_for_reorder)
            why = {}
        if why:
            out[supply.sku] = why
        # not a dose her doctor advised, as the list (review s44b F4): hers to keep
        if (
            supply.sku in unfit
            and not ev.over_limit_now
            and not doctor_dose_product(base, supply.index)
        ):
            # a multivitamin's, with the products of one role it gives all of that do not
            # fit either, judged as one: the list's (instead_groups.grouped; review s36a F1)
            unfit_now = [s for s in lasting if s.sku in unfit and s is not supply]
            multi = joins(base, supply.index, [s.index for s in unfit_now])
            if multi is not None:  # named with that multivitamin
                joined[supply.sku] = snapshot.catalog.products[multi].sku
                continue
            with_it = joined_skus(base, supply.index, [s.sku for s in unfit_now])
            if with_it:
                rest = [(sku, n) for sku, n in others if sku not in with_it]
                base = evaluate_lines(lines := taken_lines(profile, counted, rest, basket))
            # what serves its need instead, beside all else taken that fits (review 9b)
            fit_lines = taken_lines(
                profile,
                counted | unfit | group,
                [(sku, n) for sku, n in others if sku not in unfit | group] + proposed,
                basket_besides(basket, unfit),
            )
            fit = cached_evaluate(snapshot, profile, fit_lines, today, jurisdiction, evaluations)
            avoid = {s.sku for s in listed}  # its limits count all (base); a multi's as listed
            named = lasting_named(
                fit, base, supply.index, avoid, (lines, fit_lines), evaluate_lines
            )
            if named is not None:
                instead[supply.sku] = named
    return out, {**instead, **_with_multi(snapshot, joined, instead)}


def list_instead(
    listing: tuple[Snapshot, Profile, list[Supply], list[Line], dt.date, str | None],
    evaluations: CheckCache | None = None,
) -> tuple[Instead, ...]:
    """The customer's list's `instead:<SKU>` notices (instead.taken_instead) on the list's
    own lines: the current supplements, the supplies still lasting the profile does not
    list, the basket (placements.context.PlacementContext.lines)."""
    from ..instead import taken_instead
    from ..requests import RecommendationRequest

    snapshot, profile, lasting, basket, today, jurisdiction = listing
    lines = list_lines(profile, basket, lasting)
    ev = cached_evaluate(snapshot, profile, lines, today, jurisdiction, evaluations)
    request = RecommendationRequest(
        profile=profile, basket=tuple(basket), jurisdiction=jurisdiction
    )
    return taken_instead(ev, request)


def _with_multi(
    snapshot: Snapshot, joined: dict[str, str], instead: dict[str, Named]
) -> dict[str, Named]:
    """For each product replaced with a multivitamin (`joined`: its SKU -> the multivitamin's),
    the product of the multivitamin's replacements that gives its nutrients (review s36c F6:
    the D3's entry named nothing, as if it had no replacement)."""
    per_day, index = snapshot.catalog.nutrients_per_day, snapshot.catalog.index
    out = {}
    for sku, multi in joined.items():
        named = instead.get(multi)
        gives = per_day[index[sku]] > 0
        for product, ev in [(named.product, named.ev), *named.also] if named else []:
            if (per_day[product][gives] > 0).any():
                out[sku] = Named(product, ev)
                break
    return out


def joined_skus(ev: Evaluation, index: int, skus: list[str]) -> set[str]:
    """Of `skus` (products taken), those replaced together with the product at `index`: it is
    a multivitamin that no longer fits, and they are products of one role that no longer fit
    either and whose nutrients it all gives (instead_groups.joins, as the list groups them).
    Its replacement is judged on the day without them (review s36c F1: a breastfeeding vegan's
    women's multivitamin, due, was replaced by B12 and iodine beside the 25 µg D3 that did not
    suit either, and nothing gave her vitamin D once she stopped both)."""
    from .why import no_longer_fits

    catalog = ev.snapshot.catalog
    if not no_longer_fits(ev, catalog.products[index].sku):
        return set()
    return {
        sku
        for sku in skus
        if sku in catalog.index
        and catalog.index[sku] != index
        and no_longer_fits(ev, sku)
        and joins(ev, catalog.index[sku], [index]) is not None
    }
