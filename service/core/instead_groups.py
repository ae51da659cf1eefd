"""Which products taken that do not suit one `instead:<SKU>` notice replaces together
(instead.py): several of one role, a product of two nutrients with what another notice names,
and when no product of a role can be named at all (no day to judge)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import islice, permutations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .instead import Instead, _Days
    from .ranking import Evaluation


def canonical(ev: Evaluation, replaced: list[int]) -> list[int]:
    """`replaced` in an order of their own, not the lines': the multivitamins first (what
    they gave is searched for first, as one group), then the catalog's order (review s38b:
    the order of a basket decided what was named in place of its products)."""
    from .refills.replace import many_roles

    return sorted(replaced, key=lambda index: (not many_roles(ev, index), index))


# orders tried at most where the first leaves an advice short, a nutrient lost or a product
# without a replacement (instead_short.score)
ORDERS_TRIED = 8


def orders(groups: list[tuple[int, ...]]) -> Iterator[list[tuple[int, ...]]]:
    """`groups` as they are; then every other order of up to three groups, or of more each
    group put first; then each group with another of its products first (at most
    `ORDERS_TRIED` in all). Each group is judged beside what the groups before it named, and
    each product of a group for what those before it leave open, so the first may take what
    another needed: a vegan's calcium + D3 in place of a calcium + D3 tablet left no vitamin
    D for the omega-3 + D3 softgel beside it, while the softgel first had a vegan one named
    and the tablet a calcium (review s38b). Every order is judged by the same rules: what is
    named for a group is safe on the days it is judged on, whichever comes first."""

    def variants() -> Iterator[tuple[tuple[int, ...], ...]]:
        if len(groups) <= 3:
            yield from permutations(groups)
        else:
            yield tuple(groups)
            for k in range(1, len(groups)):
                yield (groups[k], *groups[:k], *groups[k + 1 :])
        for k, group in enumerate(groups):
            for j in range(1, len(group)):
                first = (group[j], *group[:j], *group[j + 1 :])
                yield (*groups[:k], first, *groups[k + 1 :])

    def fresh() -> Iterator[list[tuple[int, ...]]]:
        seen: set[tuple[tuple[int, ...], ...]] = set()
        for variant in variants():
            if variant not in seen:
                seen.add(variant)
                yield list(variant)

    return islice(fresh(), ORDERS_TRIED)


def stopped_too(
    ev: Evaluation, found: list[Instead], replaced: list[int], taken: list[int]
) -> list[Instead]:
    """`found`, each notice also stopping the products taken that do not suit, that no notice
    names anything for and that give a nutrient what it names gives (review s30b F3: a child
    of 2 on a calcium + D3 not meant for her age and an omega-3 + D softgel was told to take
    kids' D3 drops in place of the softgel only, and the calcium + D3 with its 10 µg of vitamin
    D stayed beside them: two vitamin D products, "beside it we suggest no more vitamin D").
    Without them the day only gives less: what is named stays within every limit; what it
    then leaves short of an advice is said (`instead_short.with_short`)."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    stopped = {i for one in found for i in one.stopped}
    for index in (i for i in replaced if i in taken and i not in stopped):
        for k, one in enumerate(found):
            if (per_day[list(one.indices)][:, per_day[index] > 0] > 0).any():
                # a product taken joins: "Stop ...", not "take ... out of your basket" of
                # it (review s30c F1); the basket's own product is still taken out of it
                found[k] = replace(one, also=(*one.also, index), basket_only=False)
                stopped.add(index)
                break
    return found


def two_nutrients(ev: Evaluation, index: int) -> bool:
    """A product of two or three nutrients (a calcium + D3, an omega-3 with D, a calcium + D3
    + K2), not a multivitamin: the list names one of another role in its place only after
    every product has been tried in its own role (refills.replace.replacement)."""
    return 1 < int((ev.snapshot.catalog.nutrients_per_day[index] > 0).sum()) <= 3


def grouped(ev: Evaluation, replaced: list[int]) -> list[tuple[int, ...]]:
    """`replaced` in its order (`canonical`), the products of one role that give nothing beside
    it (not a multivitamin) together: one notice names what suits in place of them all, judged
    on the day without all of them (session 29: a vegan on a 10 µg and a 20 µg D3 that are not
    vegan, 30 µg against 25: in place of either alone nothing fit beside the other, so nothing was
    named); the multivitamins together, with each product of one role whose nutrients one gives
    too (review s36a F1: a breastfeeding vegan on a women's multivitamin and a 25 µg D3, 35 µg
    against 25, neither vegan: the multivitamin's replacement gave no vitamin D beside the
    D3's 25 µg, the D3's none beside the multivitamin's 10 µg, and who stopped both as told
    had no vitamin D at all; judged together, the day without both has the gap)."""
    from .refills.replace import many_roles

    roles = ev.offer.role_table.category_role
    # every multivitamin replaced in one group, the first first (review s37a F2: a pregnant
    # woman on a women's 50+ and a men's multivitamin had folic acid alone named in place of
    # the men's, chosen to fit beside the women's, which the notice then said to stop too:
    # no vitamin D, no iodine; judged without both, folic acid + D3 and iodine are named)
    together = [index for index in replaced if many_roles(ev, index)]
    multis = {index: together for index in together}
    out: list[list[int]] = []
    by_role: dict[int, list[int]] = {}
    for index in replaced:
        role = int(roles[index])
        within = joins(ev, index, multis)
        if index in multis:
            if index == together[0]:
                out.append(together)
        elif within is not None:
            multis[within].append(index)
        elif role in by_role:
            by_role[role].append(index)
        else:
            out.append(by_role.setdefault(role, [index]))
    return [tuple(group) for group in out]


def joins(ev: Evaluation, index: int, multis: Iterable[int]) -> int | None:
    """The first of `multis` (multivitamins: refills.replace.many_roles) that gives every
    nutrient the product at `index` gives, where that one is no multivitamin itself: the two
    are replaced together (`grouped`; /refills as the list, refills.lasting.lasting_verdicts)."""
    from .refills.replace import many_roles

    if many_roles(ev, index):
        return None
    gives = ev.snapshot.catalog.nutrients_per_day > 0
    # of a group, one given is all given: the K1 of a multivitamin gives what a D3 + K2's K2
    # does (scoring.yaml lists.groups; review s36d F1: a D3 + K2 was never joined)
    keys = ev.snapshot.reference.nutrients.keys
    grouped = ev.offer.config.grouped
    return next((m for m in multis if not (gives[index] & ~grouped(keys, gives[m])).any()), None)


def none_of_role(ev: Evaluation, index: int, avoid: set[str]) -> bool:
    """The product at `index` is of one role (not a multivitamin: `refills.replace.many_roles`)
    and no other product of that role, not in `avoid`, passes the masks of the profile alone
    (`SafetyResult.any_day_allowed`). Then `replacement` finds nothing on any day of this
    profile: it chooses among products of that role within `fits`, so within
    `safety.allowed()`, of which those masks are part; the days without it need no
    evaluation (about one in six of those judged; tests/test_s30_instead_skip.py)."""
    from .refills.replace import many_roles

    if many_roles(ev, index):
        return False
    table = ev.offer.role_table
    candidates = ev.safety.any_day_allowed & (table.category_role == table.category_role[index])
    candidates[index] = False
    if avoid:
        candidates &= ~ev.snapshot.catalog.sku_mask(avoid)
    return not candidates.any()


def merged(
    days: _Days, groups: list[tuple[int, ...]], replaced: list[int]
) -> list[tuple[int, ...]]:
    """`groups`, each joined by the other groups that give a nutrient the day without it is
    above its limit in (supplements alone, `over_limit_now`), until none is: one notice stops
    them together, judged on the day without them all, the products in the order of `replaced`
    (review s37a F1: a girl of 4 on a 100 µg D3 and a 134 mg vitamin E, neither for her age,
    both above the limit: in place of either no day was within every limit beside the other,
    and she was told "no product safely fits"; review s37c F1: which notice came first
    decided whether a vegan's calcium chew beside two D3s was replaced). Nothing to join
    where the day itself is within every limit: a day with less is too."""
    groups = _band_joined(days.ev, groups, replaced)
    if len(groups) < 2 or not days.ev.over_limit_now:
        return groups
    catalog = days.ev.snapshot.catalog
    per_day = catalog.nutrients_per_day
    out = [list(group) for group in groups]
    above: dict[tuple[int, ...], list[int]] = {}  # the day without a group: once per group
    joined = True
    while joined and len(out) > 1:
        joined = False
        for group in out:
            key = tuple(group)
            if key not in above:
                gone = {catalog.products[i].sku for i in group}
                above[key] = days.without(gone, []).over_limit_now
            over = above[key]
            others = [g for g in out if g is not group and (per_day[g][:, over] > 0).any()]
            if over and others:
                for other in others:
                    group.extend(other)
                    out.remove(other)
                group.sort(key=replaced.index)
                joined = True
                break
    return [tuple(group) for group in out]


def _band_joined(
    ev: Evaluation, groups: list[tuple[int, ...]], replaced: list[int]
) -> list[tuple[int, ...]]:
    """`groups`, those whose products together take a nutrient above the dose band joined:
    judged apart, each beside the other has no room below the band for what it gave (review
    s43a F1: a child of 2 on a calcium + D3 for 12+ and a 25 µg D3, 35 µg against her band of
    15: in place of either nothing fit beside the other's 10 or 25 µg, so nothing was named)."""
    if len(groups) < 2:
        return groups
    index = ev.snapshot.catalog.index
    out = [list(group) for group in groups]
    for found in ev.offer.failing.values():
        if found.kind != "dose_band":
            continue
        giving = {index[s] for s in (ev.resolved[i].sku for i in found.lines) if s in index}
        touched = [group for group in out if giving & set(group)]
        for other in touched[1:]:
            touched[0].extend(other)
            out.remove(other)
        if len(touched) > 1:
            touched[0].sort(key=replaced.index)
    return [tuple(group) for group in out]
