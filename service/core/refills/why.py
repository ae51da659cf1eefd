"""Why a product bought no longer fits: the checks it fails, each with the nutrients
concerned, in the words a customer can act on (split from plan.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..advice import advice_of
from ..advice_config import advice_config
from ..children import second_sources, sourced_columns
from ..day_totals import over_room
from ..failing import stage_totals
from ..fastnp import flatnonzero
from ..needs import past_advice_warned_taken
from ..profile import Profile
from ..ranking import Evaluation
from ..safety import life_stage_maxima
from ..snapshot import Snapshot

# why codes of a second source: on a day another product is still taken only until it runs
# out, that overlap is no reason to leave a product out (the reorder as a whole decides)
OVERLAP = frozenset({"already_covered", "only_source", "one_source"})


def exclusions(
    ev: Evaluation,
    index: int,
    base: Evaluation | None = None,
    cover: Evaluation | None = None,
    unsuited_stop: bool = False,
) -> dict[str, list[str]]:
    """Why a product does not fit this evaluation: code -> the nutrients concerned (empty
    where none are). The safety masks of every guarantee, merchandising excludes, the dose
    band; `already_taken` is no reason here (a refill continues what is taken). With `base`
    (what is taken besides the product, not its own extra servings): `already_covered`, the
    nutrients it adds that are covered already (F12, review s4 R11: no second source); a
    covered nutrient without an advice for the profile is that, not "above the advice".
    `cover` (review 9b F3): what is taken besides that counts as a source, where it is less
    than `base` (not a product that no longer fits the profile, `unfit_products`).
    `unsuited_stop`: a day above the life stage's maximum only with products besides it that do
    not suit the life stage as a whole is theirs, not this product's (`failing.stage_totals`,
    as the list says it; a supply still lasting is judged so; the reorder stops them instead,
    plan.py, review s39d F1)."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    keys = reference.nutrients.keys
    row = catalog.nutrients_per_day[index]
    out: dict[str, list[str]] = {}
    for code, mask in ev.safety.excluded.items():
        if code == "already_taken" or not mask[index]:
            continue
        if code == "upper_limit":  # review s8 Q3: what makes the excess, truthfully
            for column in flatnonzero(ev.safety.over_limit[index]).tolist():
                kind = _upper_limit_kind(ev, index, column, base)
                out.setdefault(kind, []).append(keys[column])
        elif code == "life_stage_maximum":  # the mask counts the day's total (review s6 T6)
            out.update(_life_stage_maximum(ev, index, base, unsuited_stop))
        elif code.startswith("interaction:"):
            interaction = next(i for i in ev.safety.triggered if f"interaction:{i.id}" == code)
            nutrients = [n for n, t in interaction.exclude.items() if row[keys.index(n)] > t]
            out.setdefault("interaction", []).extend(
                n for n in nutrients if n not in out.get("interaction", [])
            )
        else:
            out[code] = []
    if ev.rule_excluded[index]:  # in a rule's `taken` words where it has them (review s28b F6)
        taken = [code for code, mask in ev.taken_unsuited.items() if mask[index]]
        out.update({code: [] for code in taken} or {"rule": []})
    warned = past_advice_warned_taken(ev).get(index)
    if warned:  # re-review 21 #10: past a doctor's 250 mg calcium beside a thiazide
        out["past_advice_warned"] = [keys[c] for c in warned]
    unasked = not_indicated(ev, row)
    if unasked:  # session 18 review F4: no iron for a man again without a measured need
        out["not_indicated"] = unasked
    above = flatnonzero(_above_band(ev, index, base, cover)).tolist()
    cover = cover if cover is not None else base
    covered = [] if cover is None else cover.offer.duplicated(index)
    no_advice = np.isnan(ev.advice.targets) if ev.advice is not None else np.zeros(len(keys))
    # covered by what is taken besides it: its own servings above the label's are no second
    # source (review 9b F5: not "enough beside it" next to "your only source")
    besides = (cover if cover is not None else ev).offer.covered
    covered += [c for c in above if no_advice[c] and c in besides and c not in covered]
    if covered:
        out["already_covered"] = _covered_names(besides, covered, keys, ev.snapshot)
        # review s6 T6: what else it gives that nothing taken besides it gives is said
        alone = [] if base is None else _only_source(base, row)
        if alone:
            out["only_source"] = [keys[c] for c in alone]
    # a nutrient an interaction keeps out in any amount (threshold 0) is that reason, not
    # "more than the advice" as well, as if less would do (review 24: a high measured level)
    never = {n for i in ev.safety.triggered for n, t in (i.exclude or {}).items() if t <= 0}
    above = [c for c in above if c not in covered and keys[c] not in never]
    if above:
        out["dose_band"] = [keys[c] for c in above]
    # a child's second product of a nutrient another product taken besides it gives (session
    # 19: a kids' chew reordered beside drops that last; scoring.yaml lists.one_source)
    others = cover if cover is not None else base
    if others is not None and second_sources(others)[index]:
        sources = sourced_columns(others)
        second = [keys[c] for c in sorted(sources) if row[c] > 0 and c not in covered]
        if second:
            out["one_source"] = second
    return _besides_first(out, base, row, cover) if base is not None else out


def _above_band(
    ev: Evaluation, index: int, base: Evaluation | None, cover: Evaluation | None
) -> np.ndarray:
    """Offer.above_band of the product in `ev`; with `cover`, what is taken besides it counts
    as `cover` has it (review 9b F3: not a source that no longer fits the profile; its upper
    limits still count all of it), its own servings above the label's as `ev` has them."""
    if cover is None or base is None:
        return np.asarray(ev.offer.above_band[index])
    row = ev.snapshot.catalog.nutrients_per_day[index]
    upper = advice_of(ev).band_upper * (1 + 1e-9)
    extra = np.maximum(ev.intake - base.intake, 0.0)
    return np.asarray((row > upper) | ((row > 0) & (row + extra + cover.intake > upper)))


# Offer.failing kinds that are about a product besides, not a total
UNFIT_KINDS = frozenset({"life_stage", "interaction"})


# checks of a product against the profile alone (not what is taken): a source that fails one
# no longer fits, and is no "enough" for another product (review 9b F3: a fish-oil D3 for a
# vegan or with a fish allergy, a D3 + K2 with a vitamin K antagonist)
UNFIT_CODES = frozenset({"diet", "allergy", "age", "life_stage"})


def unfit_products(ev: Evaluation, besides: str | None = None) -> np.ndarray:
    """Products that fail a check of `UNFIT_CODES` or an interaction for the profile, or that
    an exclude rule with `taken` excludes; `besides`: that check left out (`"life_stage"`:
    failing.doctor_dose_product). Once per evaluation (read-only: it is shared)."""
    key = ("unfit_products", besides)
    mask = ev.memo.get(key)
    if mask is None:
        mask = np.zeros(len(ev.snapshot.catalog), dtype=bool)
        for code, excluded in ev.safety.excluded.items():
            if code != besides and (code in UNFIT_CODES or code.startswith("interaction:")):
                mask |= excluded
        for excluded in ev.taken_unsuited.values():  # a rule's `taken` (review s28 F3)
            mask |= excluded
        mask.flags.writeable = False
        ev.memo[key] = mask
    return mask


def no_longer_fits(ev: Evaluation, sku: str | None) -> bool:
    """A product taken (`sku`, of the catalog) that the answer says no longer suits the
    profile (`unfit_products`, as /refills' `fits`); False for one not in the catalog."""
    index = ev.snapshot.catalog.index.get(sku) if sku else None
    return index is not None and bool(unfit_products(ev)[index])


# review s8 Q3: the why of an upper limit says what makes the excess
UPPER_LIMIT_CODES = (
    "upper_limit",
    "upper_limit_alone",
    "upper_limit_food",
    "upper_limit_taken_food",
)


# the product itself, or its own daily dose, does not suit pregnancy or breastfeeding
LIFE_STAGE_CODES = ("life_stage", "life_stage_maximum")


# why codes after which a product left out is worth asking about even when nothing calls for it:
# a medicine or condition it does not go with (vitamin K taken with a vitamin K antagonist: the
# dose of the medicine was set with it), a day above an upper limit, a product or a dose that
# does not suit pregnancy or breastfeeding (review 22 F3: retinol in pregnancy was "no reason to
# take what it gives")
ASK_ANYWAY = frozenset({"interaction", *UPPER_LIMIT_CODES, *LIFE_STAGE_CODES})

# why codes of a product held while what is taken now is above an upper limit (only with
# what food gives: review s29a F2)
HELD_CODES = ("above_upper_limit_now", "above_upper_limit_now_food")

# what a product held back still says of itself: its checks against the profile alone (review
# s29a F1: "while above a limit" of a D3 + K2 beside a vitamin K antagonist read as if it came
# back once the limit was met)
HELD_OWN_CODES = frozenset({"interaction", "life_stage_maximum", *UNFIT_CODES})


def above_now(ev: Evaluation, food: list[int] | None = None) -> dict[str, list[str]]:
    """Review s8 Q2: the why of what is taken now above an upper limit names the nutrients;
    `food`: those above it only with what food gives (review s29a F2)."""
    keys = ev.snapshot.reference.nutrients.keys
    if food is None:
        return {HELD_CODES[0]: [keys[c] for c in ev.over_limit_now]}
    return {HELD_CODES[1]: [keys[c] for c in food]}


def held_why(
    ev: Evaluation, index: int, crossed: dict[str, list[str]], share: float = 1.0
) -> dict[str, list[str]]:
    """The why of the product at `index` held back in `ev` (what is taken now) for `crossed`
    (`HELD_CODES`: of those only with food, the nutrients it gives), with its own
    `HELD_OWN_CODES`; its own dose at `share` of the label's servings (4 x 10 µg D3 a day in
    pregnancy is its own 40 µg, review 9b F5)."""
    keys = ev.snapshot.reference.nutrients.keys
    row = ev.snapshot.catalog.nutrients_per_day[index] * share
    if HELD_CODES[1] in crossed:
        crossed = {HELD_CODES[1]: [k for k in crossed[HELD_CODES[1]] if row[keys.index(k)] > 0]}
    own = {c: n for c, n in exclusions(ev, index).items() if c in HELD_OWN_CODES}
    stage = life_stage_maxima(ev.snapshot.reference, ev.profile)
    over = [k for k, most in stage.items() if row[keys.index(k)] > most * (1 + 1e-9)]
    own.pop("life_stage_maximum", None)
    return {**crossed, **own, **({"life_stage_maximum": over} if over else {})}


def own_failure(why: dict[str, list[str]]) -> bool:
    """A `held_why` that names a check the product fails of itself (an interaction, the life
    stage), besides what is taken now: it is replaced, not only held until that is adjusted."""
    return bool(HELD_OWN_CODES & set(why))


def own_excess(ev: Evaluation, index: int, share: float, columns: list[int]) -> bool:
    """The product at `index` (at `share` of its label's servings) is what is taken now of
    every nutrient of `columns` it gives (above their room beside food): nothing else taken
    gives them. Its why is then its own upper limit, not "while what you take now is above"
    (review s35a F7: a man's only zinc, 10 mg, beside up to 16 mg from food). Where another
    supply gives one too, both are held as before (review s35c 1: a women's multivitamin and
    a zinc tablet, each within the room alone, were "own excess" both, and one reordered
    under "we suggest nothing that adds zinc")."""
    own = ev.snapshot.catalog.nutrients_per_day[index, columns] * share
    gives = own > 0
    others = ev.intake[columns] - own
    return bool(gives.any() and (others[gives] <= 1e-9 * np.maximum(own[gives], 1.0)).all())


def held_whys(
    now: Evaluation, supplies: list, food: list[int]
) -> tuple[list[tuple[Any, dict]], set[str]]:
    """(supply, its `held_why`) of the supplies giving a nutrient of `food` (above its room
    only with what food gives), less those whose own dose makes that excess (`own_excess`:
    the plan checks them as any product, to their own upper limit); and the SKUs that still
    may not be proposed: those giving a nutrient of `food` no such supply alone makes the
    excess of (review s35d F3: a pregnant woman's 100 µg D3, her only vitamin D, got no
    10 µg D3 in its place, which the list names)."""
    out, catalog = [], now.snapshot.catalog
    own_columns: set[int] = set()
    for supply in supplies:
        share = supply.servings_per_day / catalog.products[supply.index].servings_per_day
        if own_excess(now, supply.index, share, food):
            own_columns.update(c for c in food if catalog.nutrients_per_day[supply.index, c] > 0)
        else:
            out.append((supply, held_why(now, supply.index, above_now(now, food), share)))
    columns = [c for c in food if c not in own_columns]
    gives = np.asarray((catalog.nutrients_per_day[:, columns] > 0).any(axis=1))
    return out, {catalog.products[i].sku for i in flatnonzero(gives).tolist()}


def above_with_food(ev: Evaluation) -> tuple[list[int], set[str]]:
    """Nutrient columns where what is taken now is above the upper limit only with what food
    gives (a limit for total intake; `over_room` less `over_limit_now`), and the SKUs that
    give one of them: the list's notice says "we suggest nothing that adds <nutrient> until
    that is adjusted", so a reorder proposes none of those (review s29a F2)."""
    columns = sorted(set(over_room(ev).tolist()) - set(ev.over_limit_now))
    catalog = ev.snapshot.catalog
    gives = np.asarray((catalog.nutrients_per_day[:, columns] > 0).any(axis=1))
    return columns, {catalog.products[i].sku for i in flatnonzero(gives).tolist()}


def _upper_limit_kind(ev: Evaluation, index: int, column: int, base: Evaluation | None) -> str:
    """`upper_limit_alone` when the product's own daily amount (at the servings taken) is
    above the limit, `upper_limit_food` when only what food gives (the allowance of a limit
    for total intake) makes it so and nothing taken besides gives the nutrient,
    `upper_limit_taken_food` when what is taken besides and food together do, else
    `upper_limit` (what is taken besides alone does)."""
    own = float(ev.snapshot.catalog.nutrients_per_day[index, column])
    limit = float(ev.limits[column]) * (1 + 1e-9)
    besides = float((base if base is not None else ev).intake[column])
    extra = max(float(ev.intake[column]) - besides, 0.0)  # its own servings above the label's
    if own + extra > limit:
        return "upper_limit_alone"
    if besides <= 0:
        return "upper_limit_food"
    return "upper_limit" if own + extra + besides > limit else "upper_limit_taken_food"


def _besides_first(
    out: dict[str, list[str]], base: Evaluation, row: np.ndarray, cover: Evaluation | None = None
) -> dict[str, list[str]]:
    """Review s8 Q1: where what is taken besides the product already fails a guarantee for a
    nutrient the product gives (above the life stage's maximum, the dose band, a product not
    suitable in the life stage, an interaction), that is said first (`besides_<kind>`), and
    not "you already get enough" of it, nor only that the product would add to it."""
    keys = base.snapshot.reference.nutrients.keys
    # review 9b F3: a product besides that no longer fits (not in `cover`) is said in its own
    # entry; it is no reason to leave out one that fits (its totals still count)
    own = {} if cover is None or cover is base else cover.offer.failing
    failing = {
        c: found.kind
        for c, found in base.offer.failing.items()
        if base.intake[c] > 0
        and row[c] > 0
        and (cover is None or cover is base or found.kind not in UNFIT_KINDS or c in own)
    }
    if not failing:
        return out
    said: dict[str, list[str]] = {}
    for column, kind in sorted(failing.items()):
        said.setdefault(f"besides_{kind}", []).append(keys[column])
    # "enough" goes wherever it fails; "together with it, above the life stage's maximum"
    # where what is taken besides is above that maximum already (an upper limit stays said)
    drop = {
        "already_covered": {keys[c] for c in failing},
        "life_stage_maximum_total": {
            keys[c] for c, kind in failing.items() if kind == "life_stage_maximum"
        },
    }
    rest = {}
    for code, nutrients in out.items():
        if code in drop:
            nutrients = [n for n in nutrients if n not in drop[code]]
            if not nutrients:
                continue
        rest[code] = nutrients
    return {**said, **rest}


def _life_stage_maximum(
    ev: Evaluation, index: int, base: Evaluation | None = None, unsuited_stop: bool = False
) -> dict[str, list[str]]:
    """`life_stage_maximum` where the product's own daily dose (at the servings taken: `ev`
    counts those above the label's on top of `base`) is above the life stage's maximum, else
    `life_stage_maximum_total`: only with what is taken besides it (25 + 10 µg vitamin D in
    pregnancy; neither dose alone is above 25 µg)."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    row = ev.snapshot.catalog.nutrients_per_day[index]
    if base is not None:  # review 9b F5: 4 x 10 µg a day is its own 40 µg
        row = row + np.where(row > 0, np.maximum(ev.intake - base.intake, 0.0), 0.0)
    stage = life_stage_maxima(reference, ev.profile)
    own = [key for key, most in stage.items() if row[keys.index(key)] > most * (1 + 1e-9)]
    if own:
        return {"life_stage_maximum": own}
    # within it once the products besides that do not suit the life stage as a whole stop: not
    # this product's (review s39d F1: a pregnant woman's 25 µg D3 beside a women's multivitamin)
    fails, theirs = stage_totals(ev, index)
    if unsuited_stop and theirs and not fails:
        return {}
    crossed = {*fails, *theirs}
    return {"life_stage_maximum_total": [key for key in stage if keys.index(key) in crossed]}


def not_indicated_columns(ev: Evaluation) -> list[int]:
    """The nutrient columns the list never offers the profile without a measured need
    (scoring.yaml `lists.goal_indication`: iron for a man or a woman after the menopause) and
    for which the profile has no advice (a doctor's iron dose is one). Reorders, buy-again and
    product-page alternatives read these (session 18)."""
    keys = ev.snapshot.reference.nutrients.keys
    columns = [keys.index(nutrient) for nutrient in ev.offer.not_indicated]
    return [c for c in columns if np.isnan(ev.targets[c])]


def not_indicated(ev: Evaluation, row: np.ndarray) -> list[str]:
    """Of `not_indicated_columns`, the nutrients a product (its daily `row`) gives."""
    keys = ev.snapshot.reference.nutrients.keys
    return [keys[c] for c in not_indicated_columns(ev) if row[c] > 0]


def _only_source(base: Evaluation, row: np.ndarray) -> list[int]:
    """Nutrient columns with a reference amount (not one covered once taken, scoring.yaml
    lists.covered) that the product gives and nothing taken besides it gives (the calcium of
    a calcium + D3 next to a plain D3)."""
    counted = _counted(base.snapshot)
    # of a group, one given is all given (review s36a F5: K2 taken, a multivitamin's K1 was
    # "your only source of vitamin K1" beside "you already get enough vitamin K")
    keys = base.snapshot.reference.nutrients.keys
    given = advice_config(base.snapshot.reference).grouped(keys, base.intake > 0)
    return [int(c) for c in flatnonzero((row > 0) & ~given & counted).tolist()]


def _covered_names(
    besides: list[int], columns: list[int], keys: tuple[str, ...], snapshot: Snapshot
) -> list[str]:
    """The nutrients named "already covered" for the product's covered `columns`: each as
    itself where what is taken besides covers it, else the covered ones of its group (review
    s36a F5: "you already get enough vitamin K1" of a multivitamin beside K2 capsules, where
    it is the K2 taken that covers vitamin K)."""
    config = advice_config(snapshot.reference)
    named: set[int] = set()
    for c in columns:
        if c in besides:
            named.add(c)
            continue
        mask = np.zeros(len(keys), dtype=bool)
        mask[c] = True
        group = flatnonzero(config.grouped(keys, mask)).tolist()
        named |= {g for g in group if g in besides} or {c}
    return [keys[c] for c in sorted(named)]


def _counted(snapshot: Snapshot) -> np.ndarray:
    reference = snapshot.reference
    when_taken = advice_config(reference).covered_when_taken
    return np.array([key not in when_taken for key in reference.nutrients.keys])


def gives_alone(
    snapshot: Snapshot,
    profile: Profile,
    group: list,
    lasting: list,
    unfit: set[str] | frozenset[str] = frozenset(),
) -> set[str]:
    """SKUs of `group` that give a nutrient with a reference amount (not one covered once
    taken, scoring.yaml lists.covered) that no other product taken or reordered gives: the
    reorder checks them first, so a duplicate is left out of the plain product, not of the
    only calcium (review s6 T6). A product taken that no longer fits the profile (`unfit`) is
    no such other source (re-review s40a F1: a pregnant woman's folic acid + D3 was left out
    for her 25 µg D3 beside a women's multivitamin, her only other folic acid)."""
    catalog, keys = snapshot.catalog, snapshot.reference.nutrients.keys
    counted = _counted(snapshot)
    rows = {s.sku: catalog.nutrients_per_day[s.index] > 0 for s in group}
    besides = np.zeros(len(keys), dtype=bool)
    for sku, _ in lasting:
        if sku not in unfit:
            besides |= catalog.nutrients_per_day[catalog.index[sku]] > 0
    for line in profile.current_supplements:
        if line.sku in unfit:
            continue
        if line.sku in catalog.index:
            besides |= catalog.nutrients_per_day[catalog.index[line.sku]] > 0
        for key in line.nutrients:
            if key in keys:
                besides[keys.index(key)] = True
    out = set()
    for sku, gives in rows.items():
        others = besides.copy()
        for other, more in rows.items():
            if other != sku:
                others |= more
        if (gives & ~others & counted).any():
            out.add(sku)
    return out
