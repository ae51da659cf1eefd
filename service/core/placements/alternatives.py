"""Alternatives of a product: the same need served another way (issue 11 point 2).

A product Q is an alternative of the product P on the page when
- it serves the same need: same category (the catalog's categories are the nutrient roles:
  vitamin D, D3 + K2, calcium + D3, ...) and every nutrient P gives, Q gives too;
- its dose is comparable: for every nutrient of P, Q's daily amount is within the window of
  that nutrient (placements.yaml `alternatives.nutrient_dose_ratios`, else `max_dose_ratio`) of
  P's, either way (B12 has a wider window: absorption saturates, so 100 and 500 µg labels give
  comparable absorbed amounts);
- it is never less suitable than P: no allergen P does not have, vegan if P is vegan,
  vegetarian if P is; without a profile (the GET) also no higher minimum age, no lower maximum
  age, suitable in pregnancy and breastfeeding wherever P is (so a page for a vegan product
  never offers a fish-oil one). With a profile the person's own age and life stage decide,
  through the plain list's safety masks (review s6: kids' drops for a woman of 58 had no
  alternative, because every adult product has a higher minimum age than the kids' 0);
- it differs in something a shopper can choose by, and says so: diet, source, form, price,
  dose, allergens or brand, each a fact from the catalog in the request's locale. "Cheaper"
  compares the exact cost of a month (Product.cost_per_month) at each product's own label
  dose, rounded to the cent only for display; a different dose says so in its own reason.
With a profile, the candidates are further the plain list's safe ones (context.base) within
the profile's dose band (guarantee 10), and an alternative that gives a nutrient the product
does not says so first ("also gives 14 mg of iron a day, which the product on this page does
not"). Without a profile (the GET) such an alternative is not offered at all: nothing could
check the added nutrient against the person (iron for a man, vitamin K with an anticoagulant).
An answer without alternatives says there is no comparable product (`no_alternatives_text`),
never the plain list's "nothing safely fits": the person's own list may well have items.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..advice_texts import takes_something
from ..amounts import rounded
from ..catalog import Catalog, Product
from ..numbers import format_number
from ..reference import Reference
from ..regimen_texts import TextWriter
from ..unsuited import product_reasons
from .config import PlacementConfig

if TYPE_CHECKING:
    from .config import Placement
    from .context import PlacementContext

EPSILON = 1e-9


def alternative_mask(
    catalog: Catalog,
    index: int,
    config: PlacementConfig,
    only_its_nutrients: bool = False,
    roles: np.ndarray | None = None,
    for_profile: bool = False,
) -> np.ndarray:
    """Products that serve the same need at a comparable dose and are no less suitable.
    `only_its_nutrients` (without a profile, F8): nor give a nutrient the product does not
    (a men's multivitamin's alternative adding 14 mg iron, a calcium + D3's adding vitamin K:
    with no profile nothing could check the added nutrient). `roles` (per product its need,
    the category's role; with a profile for which the product on the page is unsuited, review
    s5 S3): the products of the same role at any dose: the profile's dose band decides, not
    the dose (or the K2) that makes the product unsuited ("the same D3 at 20 µg", "D3 without
    K2 with your anticoagulant"). `for_profile`: age and life stage are the person's (the
    caller's safety masks), not the page product's."""
    product = catalog.products[index]
    row = catalog.nutrients_per_day[index]
    if roles is not None:
        mask = roles == roles[index]
    else:
        mask = catalog.category_code == catalog.category_code[index]
    if only_its_nutrients:
        mask &= ~(catalog.nutrients_per_day[:, row <= 0] > 0).any(axis=1)
    keys = catalog.nutrient_keys
    for column in np.flatnonzero(row > 0).tolist() if roles is None else []:
        amounts = catalog.nutrients_per_day[:, column]
        mask &= _in_dose_window(config, keys[column], row[column], amounts)
    # never less suitable than the product on the page
    mask &= (catalog.allergen_bits & ~catalog.allergen_bits[index]) == 0
    if product.vegan:
        mask &= catalog.vegan
    if product.vegetarian:
        mask &= catalog.vegetarian | catalog.vegan
    if not for_profile:
        mask &= _as_suitable_for_anyone(catalog, index)
    mask[index] = False
    return np.asarray(mask)


def _as_suitable_for_anyone(catalog: Catalog, index: int) -> np.ndarray:
    """Without a person: suitable for every age and life stage the product is."""
    product = catalog.products[index]
    mask = catalog.min_age <= catalog.min_age[index]
    mask &= catalog.max_age >= catalog.max_age[index]
    if product.pregnancy_suitable:
        mask &= catalog.pregnancy_suitable
    if product.breastfeeding_suitable:
        mask &= catalog.breastfeeding_suitable
    return np.asarray(mask)


def dose_distance(catalog: Catalog, index: int, other: int) -> float:
    """How far the other's doses are from the product's (0: the same), log scale."""
    row = catalog.nutrients_per_day[index]
    columns = np.flatnonzero(row > 0)
    if columns.size == 0:
        return 0.0
    ratios = catalog.nutrients_per_day[other, columns] / row[columns]
    return float(np.abs(np.log(np.maximum(ratios, EPSILON))).max())


def alternative_reasons(
    catalog: Catalog,
    reference: Reference,
    config: PlacementConfig,
    index: int,
    other: int,
    locale: str,
) -> list[dict[str, str]]:
    """Why `other` is an alternative of `index`: every difference a shopper can choose by,
    each a fact of the catalog ("vegan (lichen)", "drops instead of tablets", "EUR 0.40 a
    month cheaper at the label dose"). Empty: not an alternative (nothing to choose it for)."""
    p, q = catalog.products[index], catalog.products[other]
    out: list[dict[str, str]] = []

    def add(code: str, key: str, **values: Any) -> None:
        out.append({"code": f"alternative:{code}", "text": config.text(key, locale, **values)})

    keys = reference.nutrients.keys
    mine_row, their_row = catalog.nutrients_per_day[index], catalog.nutrients_per_day[other]
    # first what it adds: a nutrient the product on the page does not give (F8)
    for column in np.flatnonzero((their_row > 0) & (mine_row <= 0)).tolist():
        key = keys[column]
        add(
            f"adds:{key}",
            "alternative_adds",
            amount=rounded(their_row[column]),
            unit=reference.nutrients.units[key],
            nutrient=reference.product_nutrient(q.vitamin_sources, key, locale),
        )
    main = _main_source(p, q)
    if q.vegan and not p.vegan:
        source = _source_name(config, q.vitamin_sources.get(main or ""), locale)
        if source:
            add("vegan", "alternative_vegan", source=source)
        else:
            add("vegan", "alternative_vegan_plain")
    elif q.vegetarian and not p.vegetarian and not p.vegan:
        add("vegetarian", "alternative_vegetarian")
    for vitamin in sorted(set(p.vitamin_sources) & set(q.vitamin_sources)):
        mine, theirs = p.vitamin_sources[vitamin], q.vitamin_sources[vitamin]
        if mine == theirs:
            continue
        source, other_source = (
            _source_name(config, theirs, locale),
            _source_name(config, mine, locale),
        )
        if source and other_source and not (q.vegan and not p.vegan and vitamin == main):
            nutrient, named, other_named = vitamin.replace("_", " "), None, None
            shared = _nutrient_key(reference, vitamin)
            if shared is not None:
                nutrient = reference.nutrients.name(shared, locale)
                named = reference.authorised_forms.name(q.vitamin_sources, shared, locale)
                other_named = reference.authorised_forms.name(p.vitamin_sources, shared, locale)
            if named or other_named:  # review s29a F7: L-methylfolate is no "folic acid from"
                add(f"source:{vitamin}", "alternative_source_named", nutrient=named or source,
                    other=other_named or other_source)  # fmt: skip
                continue
            add(f"source:{vitamin}", "alternative_source", nutrient=nutrient, source=source,
                other=other_source)  # fmt: skip
    if q.form != p.form:
        add(
            "form",
            "alternative_form",
            form=config.text(f"form_{q.form}", locale),
            other=config.text(f"form_{p.form}", locale),
        )
    # exact monthly costs at each product's label dose, rounded only for display (F6)
    # ... at a comparable dose only (review s32a F8: 10 µg "EUR 3.82 a month cheaper" than 100)
    cheaper = p.cost_per_month - q.cost_per_month
    if cheaper >= config.min_price_difference - EPSILON and _comparable(
        config, keys, mine_row, their_row
    ):
        add("cheaper", "alternative_cheaper", amount=_money(cheaper, locale))
    for column in np.flatnonzero(catalog.nutrients_per_day[index] > 0).tolist():
        mine, theirs = (
            catalog.nutrients_per_day[index, column],
            catalog.nutrients_per_day[other, column],
        )
        if abs(mine - theirs) > EPSILON * max(mine, 1.0):
            key = keys[column]
            if theirs <= EPSILON:  # review s6 T11: not "0 µg of vitamin K2 instead of 200 µg"
                name = reference.product_nutrient(p.vitamin_sources, key, locale)
                add(f"dose:{key}", "alternative_without_nutrient", nutrient=name)
                continue
            add(
                f"dose:{key}",
                "alternative_dose",
                amount=rounded(theirs),
                unit=reference.nutrients.units[key],
                nutrient=reference.product_nutrient(q.vitamin_sources, key, locale),
                other=rounded(mine),
            )
    dropped = sorted(set(p.allergens) - set(q.allergens))
    if dropped:
        names = ", ".join(reference.text(f"allergen_{a}", locale) for a in dropped)
        add("without_allergens", "alternative_without_allergens", allergens=names)
    if q.brand != p.brand:
        add("brand", "alternative_brand", brand=q.brand)
    return out


def _main_source(p: Product, q: Product) -> str | None:
    """The vitamin whose source makes the diet difference (the first one P and Q share)."""
    shared = [v for v in q.vitamin_sources if v in p.vitamin_sources]
    return shared[0] if shared else next(iter(q.vitamin_sources), None)


def _source_name(config: PlacementConfig, source: str | None, locale: str) -> str | None:
    if not source or not config.has_text(f"source_{source}"):
        return None
    return config.text(f"source_{source}", locale)


def _nutrient_key(reference: Reference, vitamin: str) -> str | None:
    """The nutrient key `vitamin_d` (a catalog source key) stands for (`vitamin_d_ug`)."""
    for key in reference.nutrients.keys:
        if key.rsplit("_", 1)[0] == vitamin:
            return key
    return None


def _money(amount: float, locale: str) -> str:
    return format_number(amount, locale, decimals=2)


def no_alternatives_notice(
    config: PlacementConfig, locale: str, profile: bool, unsuited: bool = False
) -> dict[str, str]:
    """`no_items` of an answer made of alternatives only: no comparable product (that suits
    everyone the product suits, without a profile; that suits the person, with one; for a page
    product that does not suit the person: no other product for the same need that does),
    never the plain list's "nothing safely fits" (review s6)."""
    key = "notice_no_alternatives"
    if profile:
        key += "_not_suited" if unsuited else "_profile"
    return {"code": "no_items", "text": config.text(key, locale)}


def alternatives_empty_notice(ctx: PlacementContext, locale: str) -> dict[str, str]:
    """`no_items` of the alternatives POST: no comparable product (`no_alternatives_notice`),
    or, where alternatives that suit were all left out because the basket or what is taken
    already gives enough of their nutrients (or is warned about: the notices above say so),
    beside what the basket gives nothing else; with the product on the page in the basket,
    to take it out to compare (review 16 F11: 'no other product ... suits your profile' at 72
    with XF-D3-20-TAB in the basket, whose alternatives without it are five)."""
    config = ctx.snapshot.placements
    if not ctx.alternatives_beside_intake:
        return no_alternatives_notice(config, locale, True, ctx.page_product_unsuited)
    in_basket = ctx.product_sku in {line.sku for line in ctx.request.basket}
    key = "notice_no_alternatives_basket" if in_basket else "notice_no_items_basket"
    key += "" if takes_something(ctx.ev) else "_only"  # not "what you already take" (s29)
    return {"code": "no_items", "text": config.text(key, locale)}


def page_product_notice(ctx: PlacementContext, placement: Placement, locale: str) -> dict[str, str]:
    """`page_product_not_suited`, saying why the product on the page does not suit the person
    (review s8 Q7: "zinc: 10 mg a day, plus up to 16 mg from ordinary food, is above the upper
    limit of 25 mg for total intake", not a bare "does not suit your profile"); the bare text
    only where no reason can be put in words (a shop rule without `why` or `taken` words;
    review s29a F9: a rule's words are said too, unsuited.rule_reasons). What follows the reasons
    is what the placement's chain does: nothing to go with it (complements), only alternatives,
    or neither (home, account: the person's own list; session 12, it said "we show only
    alternatives" above the home list)."""
    if "complements" in placement.strategies:
        suffix = ""
    elif "alternatives" in placement.strategies:
        suffix = "_alternatives"
    else:
        suffix = "_list"
    key = f"notice_page_product_not_suited{suffix}"
    index = ctx.product_index
    reasons = (
        []
        if index is None
        else product_reasons(ctx.ev, index, TextWriter(ctx.snapshot.reference, locale))
    )
    # off a product page (home, account, the refill e-mail, the cart) there is no "product on
    # this page": the texts name it (session 18)
    if reasons:
        text = ctx.page_text(f"{key}_why", locale, reasons="; ".join(reasons))
    else:
        text = ctx.page_text(key, locale)
    return {"code": "page_product_not_suited", "text": text}


def _comparable(config: PlacementConfig, keys: Sequence[str], mine: Any, theirs: Any) -> bool:
    """`theirs` gives every nutrient of `mine` (daily rows) within placements.yaml's dose
    window of it."""
    return all(
        bool(_in_dose_window(config, keys[column], mine[column], theirs[column]))
        for column in np.flatnonzero(mine > 0).tolist()
    )


def _in_dose_window(config: PlacementConfig, key: str, dose: Any, amounts: Any) -> Any:
    """`amounts` (one or an array) within `dose_ratio(key)` of `dose`, either way."""
    ratio = config.dose_ratio(key)
    return (amounts >= dose / ratio * (1 - EPSILON)) & (amounts <= dose * ratio * (1 + EPSILON))
