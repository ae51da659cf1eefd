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
one). The replacement of each is judged on the day without that product only, with what is
named in place of the products before it added: so who follows one notice, some or all takes
a day no larger in any nutrient than one a replacement was judged on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from .profile import Line

if TYPE_CHECKING:
    from .ranking import Evaluation
    from .requests import RecommendationRequest

_TAKEN = "profile.current_supplements."


@dataclass(frozen=True)
class Instead:
    replaced: int  # catalog index of the product taken that does not fit
    indices: tuple[int, ...]  # catalog indices of the products that serve its needs instead
    fit: Evaluation  # the day without the product it replaces


def taken_instead(ev: Evaluation, request: RecommendationRequest) -> tuple[Instead, ...]:
    """For each product taken (in the profile's order) that does not fit the person (diet,
    allergy, age, life stage, an interaction: `refills.why.unfit_products`) and has a
    replacement, that replacement; none when what is taken is above an upper limit now, or for
    a category page (choices within one role)."""
    if ev.over_limit_now or request.category is not None:
        return ()
    # once per evaluation: the plain list and the placements of one refresh share it
    key = ("instead", tuple(request.exclude_skus), request.jurisdiction)
    if key not in ev.memo:
        ev.memo[key] = _taken_instead(ev, request)
    return cast(tuple[Instead, ...], ev.memo[key])


def _taken_instead(ev: Evaluation, request: RecommendationRequest) -> tuple[Instead, ...]:
    from .ranking import evaluate  # ranking renders with this module
    from .refills.replace import replacement
    from .refills.why import unfit_products

    catalog = ev.snapshot.catalog
    taken = [catalog.index[x.sku] for x in ev.resolved if x.sku and x.path.startswith(_TAKEN)]
    if not taken:
        return ()
    unfit = unfit_products(ev)
    replaced = [index for index in taken if unfit[index]]
    # every line the evaluation counts: with a stored customer's supplies still lasting (a
    # quick check of s27: a woman of 75 with a 75 µg D3 still lasting, not in her profile,
    # was told to take a 20 µg D3 in place of her fish-oil D3: 102 µg with food, limit 100)
    lines = [(x.path, x.line) for x in ev.resolved]
    avoid = {line.sku for _, line in lines if line.sku} | set(request.exclude_skus)
    found: list[Instead] = []
    named: list[tuple[str, Line]] = []
    for index in dict.fromkeys(replaced):
        # the day without this product only, all else taken counted (a quick check of s26: a
        # breastfeeding girl of 15 on a kids' chew and a 75 µg D3 was told to take a 20 µg D3
        # in the chew's place, 95 µg with the 75), and with what is named in place of the
        # products before it (review s26b B4: only the first had a replacement; each is safe
        # whether the customer follows one notice, some or all: see the module's docstring)
        gone = catalog.products[index].sku
        fit = evaluate(
            ev.snapshot,
            request.profile,
            [(path, line) for path, line in lines if line.sku != gone] + named,
            ev.today,
            request.jurisdiction,
        )
        if fit.over_limit_now:
            continue
        other = replacement(fit, index, avoid)
        if other is None or not fit.rule_required[other]:
            continue
        chosen = _beside_first(fit, request, index, other, named, avoid)
        found.append(Instead(index, chosen, fit))
        for sku in (catalog.products[i].sku for i in chosen):
            named.append((f"instead.{sku}", Line(sku=sku)))
            avoid.add(sku)
    return tuple(found)


def _beside_first(
    fit: Evaluation,
    request: RecommendationRequest,
    index: int,
    first: int,
    named: list[tuple[str, Line]],
    avoid: set[str],
) -> tuple[int, ...]:
    """`first` and, for a product of many roles (a multivitamin), one more product for each
    advice gap it served that those chosen leave open, each judged on the day with those before
    it taken, as `GET /refills` replaces it (review s27 F1: folic acid alone was named in place
    of a pregnant woman's women's multivitamin, and her iodine was lost). Ends: each one more
    gives a nutrient of the product none before it gives."""
    from .ranking import evaluate
    from .refills.replace import many_roles, next_replacement

    if not many_roles(fit, index):  # one role: one product serves its need
        return (first,)
    catalog = fit.snapshot.catalog
    gone = catalog.products[index].sku
    base = [(x.path, x.line) for x in fit.resolved if not x.path.startswith("instead.")]
    chosen = [first]
    while True:
        skus = [catalog.products[i].sku for i in chosen]
        day = evaluate(
            fit.snapshot,
            request.profile,
            [(p, line) for p, line in base if line.sku != gone]
            + named
            + [(f"instead.{sku}", Line(sku=sku)) for sku in skus],
            fit.today,
            request.jurisdiction,
        )
        if day.over_limit_now:
            break
        also = next_replacement(day, index, chosen, avoid | set(skus))
        if also is None or not day.rule_required[also]:
            break
        chosen.append(also)
    return tuple(chosen)


def beside(
    ev: Evaluation, instead: tuple[Instead, ...], ranked: list[int], raws: list[float]
) -> tuple[list[int], list[float]]:
    """The ranked items that may stand beside the replacements: none that gives a nutrient
    one of them gives (review s26b B1)."""
    keep = [k for k, i in enumerate(ranked) if not shares(ev, instead, i)]
    return [ranked[k] for k in keep], [raws[k] for k in keep]


def shares(ev: Evaluation, instead: tuple[Instead, ...], index: int) -> bool:
    """The product at `index` gives a nutrient one of the replacements gives."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    named = [i for one in instead for i in one.indices]
    return bool(np.any(per_day[index][(per_day[named] > 0).any(axis=0)] > 0))


def instead_notice(
    instead: tuple[Instead, ...], notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """`notices` with `instead:<SKU>` after each product's `product_not_suited:<SKU>`: it names
    the product, and says to stop the other first and never to take the two together."""
    for one in instead:
        fit = one.fit
        catalog, reference = fit.snapshot.catalog, fit.snapshot.reference
        old = catalog.products[one.replaced]
        names = [catalog.products[i].name[locale] for i in one.indices]
        # more than one in place of a multivitamin: "..., ... and ... suit your profile"
        key = "notice_instead_taken" if len(names) == 1 else "notice_instead_taken_many"
        product = reference.listed(names, locale)
        notice = {
            "code": f"instead:{old.sku}",
            "text": reference.text(key, locale, name=old.name[locale], product=product),
        }
        # after the notice that names it: why it does not suit, or for a dose a warning names
        # (75 µg D3 in pregnancy, "we suggest no more vitamin D") that warning, so the two read
        # together (a quick check of s26); else last
        after = next(
            (k + 1 for k, n in enumerate(notices) if n["code"] == f"product_not_suited:{old.sku}"),
            None,
        ) or next(
            (
                k + 1
                for k, n in enumerate(notices)
                if n["code"].startswith("intake_warning:") and old.name[locale] in n["text"]
            ),
            len(notices),
        )
        notices = [*notices[:after], notice, *notices[after:]]
    return notices


def with_no_items_instead(
    instead: tuple[Instead, ...], notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """`no_items` beside the notice says that nothing is suggested beside what is taken now,
    and to look above for what suits in its place, not "no product safely fits" (a quick
    check of s26: 192 of 939 such answers said that beside "... suits your profile")."""
    if not instead:
        return notices
    text = instead[0].fit.snapshot.reference.text("notice_no_items_instead", locale)
    return [{**n, "text": text} if n["code"] == "no_items" else n for n in notices]


def instead_reasons(
    ev: Evaluation, request: RecommendationRequest, index: int, left_out: bool = False
) -> list[dict]:
    """Why product `index` is not an item because of the replacement (explain and the
    preview; review s26b B5: they called the named product "meets no need"): it is the product
    named in place of one taken that does not suit; or, with `left_out` (nothing else keeps it
    out), it gives a nutrient that product gives."""
    catalog = ev.snapshot.catalog
    for one in taken_instead(ev, request):
        old = catalog.products[one.replaced].sku
        if index in one.indices:
            text = (
                f"named in the notice instead:{old} as what suits in place of {old}, which does "
                f"not suit this profile; judged on the day without {old}, so never an item "
                "beside it"
            )
            return [{"code": "instead", "replaces": old, "text": text}]
    for one in taken_instead(ev, request) if left_out else ():
        if shares(ev, (one,), index):
            old = catalog.products[one.replaced].sku
            new = ", ".join(catalog.products[i].sku for i in one.indices)
            text = (
                f"gives a nutrient that {new} gives, named in place of {old} (notice instead:{old})"
            )
            return [{"code": "beside_instead", "instead": new, "text": text}]
    return []
