"""What serves the need of a product taken that does not suit the person, in its place
(review 23p #3).

A pregnant woman on a women's multivitamin with retinol was told "talk to your midwife or
doctor before you go on taking it", and her list was empty: the multivitamin still counted
for her vitamin D, folic acid and iodine, so nothing more of them was suggested beside it.
Only /refills named the pregnancy multivitamin that serves the same need. The plain list now
names it too, as the refill plan chooses it (`refills.replace.replacement`): the best product
that serves a need of the product taken (of its role; for a multivitamin, an advice gap of
any nutrient it gave) and that the list would offer on the day without that product, all else
taken still counted (`fit`), with a true reason there in every locale.

It is a notice, `instead:<SKU>` after the product's `product_not_suited:<SKU>` ("Instead of
..., ... suits your profile. Stop ... before you start it; do not take the two together"),
never an item: every guarantee of an item is of the day as it is, the unsuited product still
counted (its dose band, the dose-fit order, upper limits), and the replacement is judged on
the day without it (session 26: as an item, a vegetarian girl of 12 taking 37.5 µg of a
fish-oil vitamin D was offered a 20 µg D3, 57.5 µg beside it against her 50 µg band). No item
of the list gives a nutrient the replacement gives (review s26b B1: a pregnant woman told to
switch to the pregnancy multivitamin, 10 µg vitamin D, was offered 20 µg D3 + K2 drops, 30 µg
above the 25 µg of pregnancy): who follows the notice takes nothing beside it that the items
were not checked with, and who does not stays within what the items were checked for.

Each product taken that does not suit has its own notice (review s26b B4: only the first had
one), unless what is named for one before it serves its need. The need of each is judged on
the day without every product that does not suit (who follows every notice keeps each need:
review s27b A), its safety also on the day without that product only, with what is named in
place of the products before it added: so who follows one notice, some or all takes a day no
larger in any nutrient than one a replacement was checked on (for the notices followed, the
last one's day: it counts every product not stopped, and what is named before it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from .day_totals import basket_out_sentence
from .failing import doctor_dose_product
from .instead_beside import beside_named
from .instead_groups import (
    canonical,
    grouped,
    merged,
    none_of_role,
    orders,
    stopped_too,
    two_nutrients,
)
from .instead_short import score, with_short
from .line_notices import basket_over_stage
from .profile import Line

if TYPE_CHECKING:
    from .ranking import Evaluation
    from .requests import RecommendationRequest

_TAKEN = (
    "profile.current_supplements.",
    "supply.",
)  # a stored customer's lasting supply too (s35d F5)
# the notices that say what our products do about a doctor's dose of a nutrient
_DOCTOR = ("doctor_dose_short:", "doctor_dose_capped:", "doctor_dose_excluded:", "advice_unmet:")
_BASKET = "basket."


@dataclass(frozen=True)
class Instead:
    replaced: int  # catalog index of the product taken that does not fit
    indices: tuple[int, ...]  # catalog indices of the products that serve its needs instead
    fit: Evaluation  # the day without the product it replaces
    in_basket: bool = False  # the product replaced is in the basket too (its next pack)
    basket_only: bool = False  # the product replaced is in the basket only, not taken (s29)
    # (nutrient column, amount a day) of advice it served that what is named leaves short
    short: tuple[tuple[int, float], ...] = ()
    doctor_met: frozenset[int] = frozenset()  # doctor's doses the day of every notice meets
    # catalog indices of the other products of the same role replaced with it (session 29: a
    # vegan on two D3 tablets that are not vegan had nothing named in place of either)
    also: tuple[int, ...] = ()
    carted: tuple[int, ...] = ()  # those of them in the basket (taken: their next pack)

    @property
    def stopped(self) -> tuple[int, ...]:
        """Every product the notice says to stop: the one it is named for, and `also`."""
        return (self.replaced, *self.also)


def taken_instead(ev: Evaluation, request: RecommendationRequest) -> tuple[Instead, ...]:
    """For each product taken (in the profile's order) that does not fit the person (diet,
    allergy, age, life stage, an interaction: `refills.why.unfit_products`) and has a
    replacement, that replacement; none for a category page (choices within one role).

    Above an upper limit now only where the products replaced make the excess: each is judged
    on days without them that are within every limit (`_named_for`), and the limit's notice
    says so (review s36d F7: a vegan of 72 on a men's multivitamin and a 100 µg D3, neither
    vegan, 120 µg of vitamin D, was told of neither what suits in their place, while /refills
    named a vegan D3; who stopped both as told had no vitamin D)."""
    if request.category is not None:
        return ()
    # once per evaluation: the plain list and the placements of one refresh share it
    key = ("instead", tuple(request.exclude_skus), request.jurisdiction)
    if key not in ev.memo:
        ev.memo[key] = _taken_instead(ev, request)
    return cast(tuple[Instead, ...], ev.memo[key])


def _replaced(ev: Evaluation) -> tuple[list[int], list[int]]:
    """(catalog indices of the products taken, of those taken or in the basket that do not
    suit and are replaced), in the order of the lines (`_taken_instead` reorders them)."""
    from .refills.why import unfit_products

    catalog = ev.snapshot.catalog
    taken = [catalog.index[x.sku] for x in ev.resolved if x.sku and x.path.startswith(_TAKEN)]
    # a product in the basket only, not taken, is replaced too (session 29: a man with a
    # doctor's 50 µg vitamin D and a pregnancy multivitamin in his basket was told to stay
    # at 35 µg with its 10 µg counted, and nothing named what suits in its place)
    carted = [catalog.index[x.sku] for x in ev.resolved if x.sku and x.path.startswith(_BASKET)]
    if not taken and not carted:
        return taken, []
    unfit = unfit_products(ev).copy()
    # a basket line that alone takes the day above the life stage's maximum: what serves its
    # need in its place (review s34a F1: plain folic acid for a folic acid + D3 tablet beside
    # 25 µg of vitamin D in pregnancy)
    for sku in (ev.resolved[i].sku for i in basket_over_stage(ev)):
        if sku in catalog.index:
            unfit[catalog.index[sku]] = True
    # not a dose her doctor advised (review s44b F4: a pregnant woman's 50 µg D3 for a measured
    # deficiency): that is the doctor's to change, not ours
    replaced = [i for i in taken + carted if unfit[i] and not doctor_dose_product(ev, i)]
    return taken, list(dict.fromkeys(replaced))


def replaced_any(ev: Evaluation) -> bool:
    """Some product taken or in the basket does not suit (what `taken_instead` replaces;
    whatever the rules: they choose the replacement, never what is replaced)."""
    return bool(_replaced(ev)[1])


def _taken_instead(ev: Evaluation, request: RecommendationRequest) -> tuple[Instead, ...]:
    taken, replaced = _replaced(ev)
    if not replaced:
        return ()
    # the order of the lines decides nothing (review s38b: 50 of 2,400 profiles were named
    # other products, 13 a replacement in one order and none in the other): the products
    # replaced in an order of their own, and of the orders of their groups the first that
    # serves the person best (instead_short.score: advices short, nutrients lost, products
    # with nothing named, products named)
    replaced = canonical(ev, replaced)
    # every line the evaluation counts: with a stored customer's supplies still lasting (a
    # quick check of s27: a woman of 75 with a 75 µg D3 still lasting, not in her profile,
    # was told to take a 20 µg D3 in place of her fish-oil D3: 102 µg with food, limit 100)
    days = _Days(ev, request, [(x.path, x.line) for x in ev.resolved])
    groups = merged(days, grouped(ev, replaced), replaced)
    best: list[Instead] = []
    least: tuple[int, ...] | None = None
    for order in orders(groups):
        found, named = _found(days, order, replaced, set(taken))
        if not found:
            continue
        out = with_short(ev, named, stopped_too(ev, found, replaced, taken))
        this = score(ev, replaced, out, named)
        if least is None or this < least:
            best, least = out, this
        if least[:3] == (0, 0, 0):  # nothing short, lost or without a replacement
            break
    return tuple(best)


def _found(
    days: _Days, groups: list[tuple[int, ...]], replaced: list[int], taken: set[int]
) -> tuple[list[Instead], list[tuple[str, Line]]]:
    """What is named in place of each group, in the order of `groups`, each beside what
    those before it named; and the lines of all that is named (`taken`: the catalog indices
    of the products taken)."""
    ev, request = days.ev, days.request
    catalog = ev.snapshot.catalog
    avoid = {line.sku for _, line in days.lines if line.sku} | set(request.exclude_skus)
    unsuited = {catalog.products[index].sku for index in replaced}
    found: list[Instead] = []
    named: list[tuple[str, Line]] = []
    basket = {x.sku for x in request.basket}
    # first each in its own role, then a product of two nutrients none of its role replaces,
    # by one of another role for an advice gap of one of them, beside what the others named
    # (review s30a F3: kids' D3 drops in place of a fish-allergic child's omega-3 + D chew; a
    # calcium + D3 not meant for a child beside a 25 µg D3: the drops in the D3's place)
    for group, two_roles in [*((g, False) for g in groups), *((g, True) for g in groups)]:
        if two_roles and (  # of any product of the group, whatever the order (review s37d F1)
            any(one.replaced == group[0] for one in found)
            or not any(two_nutrients(ev, i) for i in group)
        ):
            continue
        chosen, fit = _named_for(days, group, unsuited, named, avoid, two_roles)
        if not chosen or fit is None:
            continue
        in_cart = tuple(i for i in group if catalog.products[i].sku in basket)
        only = not set(group) & taken
        one = Instead(group[0], chosen, fit, bool(in_cart), only, also=group[1:], carted=in_cart)
        found.append(one)
        for sku in (catalog.products[i].sku for i in chosen):
            named.append((f"instead.{sku}", Line(sku=sku)))
            avoid.add(sku)
    return found, named


@dataclass(frozen=True)
class _Days:
    """The days a replacement is judged on: the evaluation's lines less some SKUs, plus lines
    of what is named in their place."""

    ev: Evaluation
    request: RecommendationRequest
    lines: list[tuple[str, Line]]
    # (SKUs left out, paths added) -> that day: the orders tried share their days
    memo: dict[tuple[frozenset[str], tuple[str, ...]], Evaluation] = field(default_factory=dict)

    def without(self, skus: set[str], added: list[tuple[str, Line]]) -> Evaluation:
        from .ranking import evaluate  # ranking renders with this module

        key = (frozenset(skus), tuple(path for path, _ in added))
        if key not in self.memo:
            kept = [(path, line) for path, line in self.lines if line.sku not in skus]
            ev, request = self.ev, self.request
            self.memo[key] = evaluate(
                ev.snapshot, request.profile, kept + added, ev.today, request.jurisdiction
            )
        return self.memo[key]


def _named_for(
    days: _Days,
    group: tuple[int, ...],
    unsuited: set[str],
    named: list[tuple[str, Line]],
    avoid: set[str],
    two_roles: bool = False,
) -> tuple[tuple[int, ...], Evaluation | None]:
    """What is named in place of the products of `group` (`grouped`: one, or several of one
    role, judged together as one), for the first, `index` (one product; for a product of many
    roles, a multivitamin, one more for each advice gap it served that those chosen leave open,
    as `GET /refills` replaces it: review s27 F1, folic acid alone was named in place of a
    pregnant woman's women's multivitamin, and her iodine was lost), and the first day it was
    judged on.

    The need is judged on the day the notices ask for: without every product taken that does
    not suit, with what is named in place of those before it (review s27b A: a pregnant woman
    on two unsuited multivitamins, each replaced as if the other stayed, lost her iodine).
    Safety also on the day without this product only, all else taken still counted (a quick
    check of s26: a breastfeeding girl of 15 on a kids' chew and a 75 µg D3 was told to take
    a 20 µg D3 in the chew's place, 95 µg with the 75): who follows one notice, some or all
    takes a day no larger in any nutrient than one of those (see the module's docstring). A
    product the need day picks that is not safe there gives way to the choice of that day.
    `two_roles`: a product of two nutrients may be replaced by one of another role
    (refills.replace.replacement)."""
    from .refills.replace import fits, gap_replacement, many_roles, next_replacement, replacement

    catalog = days.ev.snapshot.catalog
    per_day = catalog.nutrients_per_day
    gone = {catalog.products[i].sku for i in group}
    others = unsuited - gone
    chosen: list[int] = []
    first: Evaluation | None = None
    # each product of the group in turn, for what those chosen before leave open (review s37c
    # F1, F2: of a group of many roles, only the first one's were searched, and a vegan's
    # calcium or B12 was lost depending on the order of the lines)
    for index in group:
        gave = per_day[index] > 0
        left = gave & ~(per_day[chosen] > 0).any(axis=0) if chosen else gave
        if not left.any():
            continue  # what it gave is named already (a second D3 of a vegan)
        if not chosen and not two_roles and none_of_role(days.ev, index, avoid):
            continue  # nothing of its role suits the person on any day: no day to judge
        # its own role first, unless what is chosen gives some of it: then what it leaves
        # open (a calcium + D3 beside a D3 named: calcium), as for a multivitamin
        own = not chosen or not many_roles(days.ev, index) and bool((left == gave).all())
        while True:
            added = named + [
                (f"instead.{sku}", Line(sku=sku))
                for sku in (catalog.products[i].sku for i in chosen)
            ]
            safe = days.without(gone, added)
            need = days.without(unsuited, added) if others else safe
            if safe.over_limit_now or need.over_limit_now:
                return tuple(chosen), first
            first = first or safe
            taken = avoid | {catalog.products[i].sku for i in chosen}
            pick = None
            for day in (need, safe) if others else (safe,):
                if own:
                    pick = replacement(day, index, taken, two_roles)
                elif many_roles(day, index):
                    pick = next_replacement(day, index, chosen, taken)
                else:
                    pick = gap_replacement(day, index, taken, left)
                if pick is not None and day.rule_required[pick] and fits(safe)[pick]:
                    break
                pick = None
            if pick is None:
                break
            chosen.append(pick)
            own = False
            if not many_roles(safe, index):  # one role: one product serves its need
                break
    return tuple(chosen), first


def beside_mask(ev: Evaluation, instead: tuple[Instead, ...]) -> np.ndarray:
    """Products that may stand beside the replacements (`beside`), before the ranking: a list
    that left those out only after it picked its two of a kind lost a need (review s35d F1: a
    German pregnant woman on kids' drops got no folic acid, both picks giving vitamin D)."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    named = [i for one in instead for i in one.indices]
    if not named:
        return np.ones(len(per_day), dtype=bool)
    return ~np.asarray((per_day[:, (per_day[named] > 0).any(axis=0)] > 0).any(axis=1))


def shares(ev: Evaluation, instead: tuple[Instead, ...], index: int) -> bool:
    """The product at `index` gives a nutrient one of the replacements gives."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    named = [i for one in instead for i in one.indices]
    return bool(np.any(per_day[index][(per_day[named] > 0).any(axis=0)] > 0))


def instead_notice(
    ev: Evaluation, instead: tuple[Instead, ...], notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """`notices` with `instead:<SKU>` after each product's `product_not_suited:<SKU>`: it names
    the product, and says to stop the other first and never to take the two together."""
    from .advice_texts import advice_phrase, warning_beside_instead
    from .instead_switch import switch_text

    if not instead:  # most answers: nothing to name, nothing to adapt
        return notices
    notices = beside_named(ev, instead, _without_stale_reach(instead, notices), locale)
    taken = {x.sku for x in ev.resolved if x.sku and x.path.startswith(_TAKEN)}
    in_basket = {x.sku for x in ev.resolved if x.sku and x.path.startswith(_BASKET)}
    for one in instead:
        fit = one.fit
        catalog, reference = fit.snapshot.catalog, fit.snapshot.reference
        old = catalog.products[one.replaced]
        stopped = [catalog.products[i] for i in one.stopped]
        name = reference.listed([p.name[locale] for p in stopped], locale)
        names = [catalog.products[i].name[locale] for i in one.indices]
        # more than one in place of a multivitamin: "..., ... and ... suit your profile"; one
        # in place of several of one role: "do not take them together" (session 29)
        key = "notice_instead_basket_only" if one.basket_only else "notice_instead_taken"
        key += "_many" if len(names) > 1 else "_group" if one.also else ""
        product = reference.listed(names, locale)
        # of what is taken, not of a basket's product never taken (review s30b F4)
        taking = tuple(i for i in one.stopped if catalog.products[i].sku in taken)
        text = reference.text(key, locale, name=name, product=product)
        text += switch_text(ev, taking, locale)
        for column, amount in one.short:  # advice still short with what is named (s27b M4)
            key = reference.nutrients.keys[column]
            if any(
                n["code"].endswith(f":{key}") and n["code"].startswith(_DOCTOR) for n in notices
            ):
                continue  # a doctor's dose whose own notice stands (review s28b F2)
            values = reference.nutrients.text_values(key, locale, amount=amount)
            giving = [  # what every notice names that gives it (review s28 F1)
                catalog.products[i].name[locale]
                for other in instead
                for i in other.indices
                if catalog.nutrients_per_day[i, column] > 0
            ]
            text += " " + reference.text(
                "notice_instead_short" if giving else "notice_instead_none",
                locale,
                product=reference.listed(giving, locale),
                advice=advice_phrase(ev, column, locale),
                **values,
            )
        if one.in_basket and not one.basket_only:  # judged on a day without its next pack too
            listed = reference.listed(
                [catalog.products[i].name[locale] for i in one.carted], locale
            )
            text += " " + reference.text("notice_instead_basket", locale, name=listed)
        notice = {"code": f"instead:{old.sku}", "text": text}
        # after the notice that names it: why it does not suit, or for a dose a warning names
        # (75 µg D3 in pregnancy, "we suggest no more vitamin D") that warning, so the two read
        # together (a quick check of s26); else last
        warned = [
            k
            for k, n in enumerate(notices)
            if n["code"].startswith("intake_warning:")
            and any(p.name[locale] in n["text"] for p in stopped)
        ]
        codes = {f"product_not_suited:{p.sku}" for p in stopped}  # after the last of them
        unsuited = [k + 1 for k, n in enumerate(notices) if n["code"] in codes]
        after = (unsuited[-1] if unsuited else None) or (warned[0] + 1 if warned else len(notices))
        notices = [*notices[:after], notice, *notices[after:]]
        for k in (k for k in warned if k < after):  # not "no more vitamin D" above one with it
            notices[k] = warning_beside_instead(ev, notices[k], one.stopped, one.indices, locale)
            # "take it out of your basket" is said here (review s34a F1)
            carted = {p.name[locale] for p in stopped if p.sku in in_basket}
            if carted:
                out = basket_out_sentence(reference, carted, locale)
                notices[k] = {**notices[k], "text": notices[k]["text"].replace(out, "")}
    return [_above_limit_beside(ev, instead, n, locale) for n in notices]


def _above_limit_beside(
    ev: Evaluation, instead: tuple[Instead, ...], notice: dict[str, str], locale: str
) -> dict[str, str]:
    """`above_upper_limit:<nutrient>` ("we suggest nothing that adds vitamin D until that is
    adjusted") and, where a notice names a product with that nutrient in place of one that
    gives it, that it is named below and keeps the day within the limit (review s29b F5: a
    vegan of 2 over the limit on a 50 µg fish-oil D3, with 10 µg vegan drops named in its
    place two notices below). True: what is named was judged on the day without what it
    replaces, all else counted, the upper limit with food included. The sentence is /refills'
    for its replacements too (refills.beside.above_limit_beside)."""
    from .refills.beside import above_limit_beside

    pairs = [(i, j) for one in instead for i in one.stopped for j in one.indices]
    return above_limit_beside(ev, notice, pairs, locale)


def _without_stale_reach(
    instead: tuple[Instead, ...], notices: list[dict[str, str]]
) -> list[dict[str, str]]:
    """`notices` without `doctor_dose_short:<nutrient>` of a nutrient a product named gives
    and that the day every notice asks for meets (review s28 F2): it said how far "what you
    take now" with "our products" reaches the doctor's dose, while the notice says to stop one
    of those and names what gives all of it in its place, and no item gives it beside that
    (`beside`). Where that day still falls short it stays: it says what room the upper limit
    leaves (review s28b F2: a doctor's 30 mg iron at 14, 14 mg named, 5 mg of room left)."""
    if not instead:
        return notices
    snapshot = instead[0].fit.snapshot
    per_day, keys = snapshot.catalog.nutrients_per_day, snapshot.reference.nutrients.keys
    named = [i for one in instead for i in one.indices]
    met = per_day[named].any(axis=0) & np.isin(np.arange(len(keys)), list(instead[0].doctor_met))
    given = {f"doctor_dose_short:{keys[c]}" for c in np.flatnonzero(met)}
    return [n for n in notices if n["code"] not in given]


def with_no_items_instead(
    instead: tuple[Instead, ...], notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """`no_items` beside the notice says that nothing is suggested beside what is taken now,
    and to look above for what suits in its place, not "no product safely fits" (a quick
    check of s26: 192 of 939 such answers said that beside "... suits your profile")."""
    if not instead:
        return notices
    # s27b M1; one notice in place of several products too (s37a F2: two multivitamins)
    many = len(instead) > 1 or bool(instead[0].also)
    key = "notice_no_items_instead" + ("_many" if many else "")
    if any(one.basket_only for one in instead):  # what is advised against is in the basket
        key = "notice_no_items_instead_basket"
    text = instead[0].fit.snapshot.reference.text(key, locale)
    return [{**n, "text": text} if n["code"] == "no_items" else n for n in notices]


def instead_reasons(
    ev: Evaluation, request: RecommendationRequest, index: int, left_out: bool = False
) -> list[dict]:
    """Why product `index` is not an item because of the replacement (explain and the
    preview; review s26b B5: they called the named product "meets no need"): it is the product
    named in place of one taken that does not suit; or, with `left_out` (nothing else keeps it
    out), it gives a nutrient that product gives."""
    catalog = ev.snapshot.catalog
    instead = taken_instead(ev, request)
    for one in instead:
        old = catalog.products[one.replaced].sku
        if index in one.indices:
            text = (
                f"named in the notice instead:{old} as what suits in place of {old}, which does "
                f"not suit this profile; judged on the day without {old} (and without the "
                "other products taken that do not suit, with what is named in their place), "
                "so never an item beside it"
            )
            return [{"code": "instead", "replaces": old, "text": text}]
    for one in instead if left_out else ():
        if shares(ev, (one,), index):
            old = catalog.products[one.replaced].sku
            new = ", ".join(catalog.products[i].sku for i in one.indices)
            text = (
                f"gives a nutrient that {new} gives, named in place of {old} (notice instead:{old})"
            )
            return [{"code": "beside_instead", "instead": new, "text": text}]
    return []
