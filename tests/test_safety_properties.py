"""Property-based tests of the contract's seven safety guarantees (contract.md, "Safety
guarantees").

Random valid requests (every profile field of the contract, current supplements, baskets, limits,
locales) must never yield an item that breaks a guarantee. The oracle is written here, from the
contract and domain.md, and reads the catalog YAML itself: it does not ask the service's own
safety code what is safe.

- guarantee 1: the EFSA upper-limit table of domain.md is copied below; intake totals are summed
  here from the catalog file (40 IU = 1 µg vitamin D);
- guarantees 2-6: product facts (nutrients, vegan/vegetarian, allergens, ages, pregnancy and
  breastfeeding suitability) come from catalog/products.yaml;
- guarantee 7: a small list of disease-claim verbs per locale (not disease names: warnings may
  legitimately name conditions and medicines).

Also: merchandising and reference rule files cannot switch the guarantees off, the HTTP layer
gives the same guarantees, and POST /v1/intake/check adds up and flags totals correctly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.contract.schemas import IntakeCheckRequestSchema, RecommendationRequestSchema
from service.core.errors import DataFileError
from service.core.recommender import Recommender

from .oracle import (
    ALLERGENS,
    CATEGORIES,
    CONDITIONS,
    CONTRAINDICATED,
    CONTRAINDICATED_MEDICATIONS,
    DIETS,
    GOALS,
    LIFE_STAGES,
    LOCALES,
    MEDICATIONS,
    NUTRIENTS,
    PREGNANCY_VITAMIN_D_CAP,
    PRODUCTS,
    SEXES,
    SKUS,
    SUN,
    advisory_maxima,
    binding_maxima,
    claim_in,
    close,
    expected_food,
    expected_intake,
    expected_room,
    expected_upper_limit,
    line_amounts,
    per_day,
    pregnancy_suitability_applies,
    sellable,
    within,
)

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 28)  # the same fixed day as conftest.py

# The oracle's own facts and checks of the contract: tests/oracle.py


# ---------------------------------------------------------------- the checks
def assert_safe(raw: dict[str, Any], response: dict[str, Any]) -> None:
    """Every guarantee of the contract for the response to the (pre-validation) request `raw`."""
    profile = raw["profile"]
    age = profile["age"]
    life_stage = profile.get("life_stage", "none")
    intake = expected_intake(raw)
    limits = {n: expected_upper_limit(n, age, life_stage) for n in NUTRIENTS}
    rooms = {n: expected_room(profile, n) for n in NUTRIENTS}

    # intake: the totals and the limits the response reports, against our own
    reported = response["intake"]
    for n in NUTRIENTS:
        assert n in reported, f"intake lacks {n}"
        assert close(reported[n]["current"], intake[n]), (
            f"intake[{n}].current = {reported[n]['current']}, expected {intake[n]}"
        )
        if limits[n] is None:
            assert reported[n]["upper_limit"] is None, (
                f"intake[{n}].upper_limit = {reported[n]['upper_limit']}, EFSA sets none "
                f"for age {age}, {life_stage}"
            )
        else:
            assert reported[n]["upper_limit"] is not None and close(
                reported[n]["upper_limit"], limits[n]
            ), (
                f"intake[{n}].upper_limit = {reported[n]['upper_limit']}, EFSA says "
                f"{limits[n]} for age {age}, {life_stage}"
            )
        # 9. the food allowance and the room left, as the response reports them
        assert close(reported[n]["food"], expected_food(profile, n)), (n, reported[n], profile)
        if rooms[n] is None:
            assert reported[n]["room"] is None, (n, reported[n])
        else:
            assert close(reported[n]["room"], max(rooms[n] - intake[n], 0.0)), (n, reported[n])

    items = response["items"]
    assert len(items) <= raw.get("limit", 5)
    skus = [item["sku"] for item in items]
    assert len(set(skus)) == len(skus), f"duplicate items {skus}"
    for item in items:
        sku = item["sku"]
        assert sku in PRODUCTS, f"unknown SKU {sku}"
        product = PRODUCTS[sku]
        amounts = per_day(product)
        where = f"{sku} for {profile}"
        assert sku not in raw.get("exclude_skus", []), f"excluded SKU recommended: {where}"
        if raw.get("category"):
            assert product["category"] == raw["category"], where
        for n, amount in amounts.items():
            assert close(item["nutrients_per_day"].get(n, 0), amount), (
                f"{sku} nutrients_per_day[{n}] = {item['nutrients_per_day'].get(n)}, "
                f"catalog gives {amount}"
            )

        assert_product_safe(raw, sku, intake)
        for n, limit in limits.items():  # 1. as the response reports the day
            if limit is None:
                continue
            entry = reported[n]
            assert within(
                entry["current"] + item["nutrients_per_day"].get(n, 0), entry["upper_limit"] + 1e-6
            ), f"G1 (as reported) {n}: {entry} + {item['nutrients_per_day'].get(n, 0)}: {where}"
        # 7. claims
        for kind in ("reasons", "warnings"):
            for message in item[kind]:
                found = claim_in(message["text"])
                assert found is None, f"G7 {kind} {message} matches {found!r}: {where}"
    for message in response.get("notices", []):
        found = claim_in(message["text"])
        assert found is None, f"G7 notice {message} matches {found!r}"


def assert_product_safe(raw: dict[str, Any], sku: str, intake: dict[str, float]) -> None:
    """Guarantees 1-6, 8, 9 and 10 for product `sku` beside the day `intake` of the request
    `raw` (an item of its list; or, tests/test_s27_instead_properties.py, a product named in
    place of one taken that does not suit, on the day the notices ask for)."""
    profile = raw["profile"]
    age = profile["age"]
    life_stage = profile.get("life_stage", "none")
    diet = profile.get("diet", "omnivore")
    allergies = set(profile.get("allergies", []))
    medications = set(profile.get("medications", []))
    conditions = set(profile.get("conditions", []))
    limits = {n: expected_upper_limit(n, age, life_stage) for n in NUTRIENTS}
    rooms = {n: expected_room(profile, n) for n in NUTRIENTS}
    product = PRODUCTS[sku]
    amounts = per_day(product)
    where = f"{sku} for {profile}"
    # 1. upper limits across current supplements + basket + the item
    for n, limit in limits.items():
        if limit is None:
            continue
        assert within(intake[n] + amounts.get(n, 0.0), limit), (
            f"G1 {n}: {intake[n]} + {amounts.get(n, 0.0)} > UL {limit}: {where}"
        )
    # 9. the whole diet: what the item adds fits the room the food allowance leaves
    for n, room in rooms.items():
        if room is not None and amounts.get(n, 0.0) > 0:
            assert within(intake[n] + amounts[n], room), (
                f"G9 {n}: {intake[n]} + {amounts[n]} + food {expected_food(profile, n)} "
                f"> UL {limits[n]}: {where}"
            )
    # 2. vitamin K antagonists
    if "vitamin_k_antagonist" in medications:
        assert amounts.get("vitamin_k1_ug", 0) == 0 and amounts.get("vitamin_k2_ug", 0) == 0, (
            f"G2 vitamin K with a VKA: {where}"
        )
    # 3. diet
    if diet == "vegan":
        assert product["vegan"] is True, f"G3 non-vegan product for a vegan: {where}"
    elif diet == "vegetarian":
        assert product["vegan"] or product["vegetarian"], f"G3 not vegetarian: {where}"
    # 4. allergies
    assert not allergies & set(product["allergens"]), f"G4 allergen: {where}"
    # 5. age and life stage
    assert product["min_age"] <= age, f"G5 below min_age {product['min_age']}: {where}"
    if product.get("max_age") is not None:
        assert age <= product["max_age"], f"G5 above max_age {product['max_age']}: {where}"
    if pregnancy_suitability_applies(profile):  # pregnant or planning (review s6 T1)
        assert product.get("pregnancy_suitable") is not False, f"G5 pregnancy: {where}"
    if life_stage == "breastfeeding":
        assert product.get("breastfeeding_suitable") is not False, f"G5 breastfeeding: {where}"
    # 6. contraindications
    for condition in conditions & set(CONTRAINDICATED):
        for n in CONTRAINDICATED[condition]:
            assert amounts.get(n, 0) == 0, f"G6 {n} with {condition}: {where}"
    for medication in medications & set(CONTRAINDICATED_MEDICATIONS):
        for n in CONTRAINDICATED_MEDICATIONS[medication]:
            assert amounts.get(n, 0) == 0, f"G6 {n} with {medication}: {where}"
    # 8. market law: binding (and switched-on advisory) maxima of the profile's market;
    # authorised forms only
    market = profile.get("country", "NL").upper()
    for maxima in (binding_maxima(market), advisory_maxima(market)):
        for n, maximum in maxima.items():
            assert within(amounts.get(n, 0.0), maximum), (
                f"G8 {n} {amounts.get(n)} above the {market} maximum {maximum}: {where}"
            )
    assert sellable(product), f"G8 not sellable (unauthorised form): {where}"
    # 10 (pregnancy cap)
    if life_stage in ("pregnant", "breastfeeding"):
        assert within(amounts.get("vitamin_d_ug", 0.0), PREGNANCY_VITAMIN_D_CAP), (
            f"G10 vitamin D above {PREGNANCY_VITAMIN_D_CAP} µg when {life_stage}: {where}"
        )


# ---------------------------------------------------------------- strategies
SCALE = {  # amounts free lines give per day, up to about an adult UL (or a high dose)
    "vitamin_d_ug": 100,
    "vitamin_d_iu": 4000,
    "vitamin_k1_ug": 200,
    "vitamin_k2_ug": 400,
    "calcium_mg": 2500,
    "magnesium_mg": 250,
    "vitamin_a_ug": 3000,
    "vitamin_e_mg": 300,
    "vitamin_b6_mg": 12,
    "vitamin_b12_ug": 1000,
    "folic_acid_ug": 1000,
    "zinc_mg": 25,
    "iron_mg": 40,
    "iodine_ug": 600,
    "selenium_ug": 255,
    "omega3_mg": 2000,
}


def _amount(key: str) -> st.SearchStrategy[float]:
    top = SCALE[key]
    if key == "vitamin_d_iu":  # whole IU: exact in µg on a 3-decimal grid
        return st.one_of(st.sampled_from([400, 800, 1000, 2000, 4000]), st.integers(0, top))
    return st.one_of(
        st.sampled_from([0, top / 10, top / 4, top / 2, top, 10_000_000]),
        st.integers(0, top // 2),
        st.floats(0, top * 1.2, allow_nan=False, allow_infinity=False),
    )


@st.composite
def free_line(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(FREE_KEYS)
    line: dict[str, Any] = {"nutrients": {k: draw(_amount(k)) for k in keys}}
    if draw(st.booleans()):
        line["label"] = draw(st.sampled_from(["Huismerk D", "Drogist multi", "Olie", "x"]))
    return line


# review s4 R14: a line gives vitamin D in µg or in IU, not both
FREE_KEYS = st.lists(st.sampled_from(sorted(SCALE)), min_size=1, max_size=3, unique=True).filter(
    lambda keys: not {"vitamin_d_ug", "vitamin_d_iu"} <= set(keys)
)

SERVINGS = st.one_of(
    st.sampled_from([0.25, 0.5, 1, 1.5, 2, 3, 10, 50]),
    st.floats(0.05, 4, allow_nan=False, allow_infinity=False),
)


@st.composite
def sku_line(draw: st.DrawFn, servings: st.SearchStrategy = SERVINGS) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": draw(st.sampled_from(SKUS))}
    if draw(st.booleans()):
        line["servings_per_day"] = draw(servings)
    return line


def lines(max_size: int, servings: st.SearchStrategy = SERVINGS) -> st.SearchStrategy[list]:
    return st.lists(
        st.one_of(sku_line(servings), free_line()), max_size=max_size, unique_by=_sku_once
    )


def _sku_once(line: dict[str, Any]) -> object:
    """Each SKU once per list (review s4 R15c: a SKU repeated with servings_per_day is
    refused, without them counted once); label lines are never equal."""
    return line.get("sku") or object()


def _subset(values: tuple[str, ...], max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), max_size=max_size, unique=True)


AGES = st.one_of(
    st.sampled_from([0, 1, 3, 4, 6, 7, 10, 11, 12, 14, 15, 16, 17, 18, 50, 70, 120]),
    st.integers(0, 120),
)


def profiles(
    current: st.SearchStrategy[list] | None = None, **forced: st.SearchStrategy
) -> st.SearchStrategy[dict[str, Any]]:
    optional = {
        "sex": st.sampled_from(SEXES),
        "life_stage": st.sampled_from(LIFE_STAGES),
        "diet": st.sampled_from(DIETS),
        "allergies": _subset(ALLERGENS, 4),
        "medications": st.one_of(_subset(MEDICATIONS, 3), st.just(["vitamin_k_antagonist"])),
        "conditions": _subset(CONDITIONS, 3),
        "sun_exposure": st.sampled_from(SUN),
        "skin_type": st.one_of(st.none(), st.integers(1, 6)),
        "country": st.sampled_from(["NL", "DE", "BE", "nl"]),
        "serum_25ohd_nmol_l": st.one_of(
            st.none(), st.floats(0, 250, allow_nan=False, allow_infinity=False)
        ),
        "goals": _subset(GOALS, 4),
        "current_supplements": current if current is not None else lines(3),
        "dairy_portions_per_day": st.one_of(st.none(), st.sampled_from([0, 1, 2.5, 6, 20])),
        "higher_dose_advised": st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(["vitamin_d_ug", "vitamin_d_iu", "iron_mg", "iodine_ug"]),
                st.sampled_from([0, 50, 4000]),
                max_size=2,
            ).filter(lambda d: not {"vitamin_d_ug", "vitamin_d_iu"} <= set(d)),  # one unit
        ),
    }
    for key in forced:
        optional.pop(key, None)
    return st.fixed_dictionaries({"age": AGES, **forced}, optional=optional).map(
        possible_life_stage
    )


LIFE_STAGE_AGES = yaml.safe_load((ROOT / "rules" / "reference" / "markets.yaml").read_text())[
    "life_stage_ages"
]


def possible_life_stage(profile: dict[str, Any]) -> dict[str, Any]:
    """Review s5 S12: pregnant or breastfeeding with sex male or at an age outside markets.yaml
    `life_stage_ages` is refused (422), so the strategies draw a possible person in that life
    stage instead: sex female, the age moved into the range (pregnancy stays well covered)."""
    bounds = LIFE_STAGE_AGES.get(profile.get("life_stage"))
    if bounds is None:
        return profile
    out = dict(profile)
    if out.get("sex") == "male":
        out["sex"] = "female"
    out["age"] = min(max(out["age"], bounds["min_age"]), bounds["max_age"])
    return out


def requests(
    profile: st.SearchStrategy | None = None, basket: st.SearchStrategy | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"profile": profile if profile is not None else profiles()},
        optional={
            "basket": basket if basket is not None else lines(3),
            "limit": st.integers(1, 50),
            "locale": st.sampled_from(LOCALES),
            "exclude_skus": st.lists(st.sampled_from(SKUS), max_size=3, unique=True),
            "category": st.one_of(st.none(), st.sampled_from(CATEGORIES)),
        },
    )


def recommend(recommender: Recommender, raw: dict[str, Any]) -> dict[str, Any]:
    body = RecommendationRequestSchema().load(raw)
    return recommender.recommend(body)


# ---------------------------------------------------------------- the oracle itself
def test_oracle_table_reads_domain_md():
    """Spot checks of the hand-copied table and band logic (age 0, pregnancy, teenagers)."""
    assert expected_upper_limit("vitamin_d_ug", 0, "none") == 25
    assert expected_upper_limit("folic_acid_ug", 0, "none") == 200
    assert expected_upper_limit("iron_mg", 0, "none") == 5
    assert expected_upper_limit("vitamin_b6_mg", 0, "none") == 2.2
    assert expected_upper_limit("zinc_mg", 0, "none") is None
    assert expected_upper_limit("vitamin_d_ug", 10, "none") == 50
    assert expected_upper_limit("vitamin_d_ug", 11, "none") == 100
    assert expected_upper_limit("calcium_mg", 17, "none") is None
    assert expected_upper_limit("calcium_mg", 17, "pregnant") == 2500
    assert expected_upper_limit("vitamin_a_ug", 16, "pregnant") == 2600
    assert expected_upper_limit("zinc_mg", 16, "breastfeeding") == 22
    assert expected_upper_limit("vitamin_k2_ug", 40, "none") is None
    assert claim_in("Vitamin D prevents osteoporosis") is not None
    assert claim_in("Vitamine D voorkomt botontkalking") is not None
    assert claim_in("Vitamin D beugt Osteoporose vor") is not None
    assert claim_in("With kidney stones we do not suggest products with calcium.") is None


# ---------------------------------------------------------------- core properties
@settings(max_examples=300, deadline=None)
@given(raw=requests())
@example(
    raw={
        "profile": {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
        "basket": [{"label": "D", "nutrients": {"vitamin_d_iu": 1000}}],
        "limit": 50,
    }
)
@example(
    raw={
        "profile": {
            "age": 40,
            "current_supplements": [{"label": "D", "nutrients": {"vitamin_d_ug": 99.5}}],
        },
        "limit": 50,
    }
)
@example(raw={"profile": {"age": 0}, "limit": 50})
@example(  # CI, session 13: 19.934 of 20 µg vitamin D made a raw score of -300 (an overflow)
    raw={
        "profile": {"age": 84, "diet": "vegetarian", "sex": "female"},
        "basket": [
            {"sku": "KV-MULTI-KIDS-CHEW", "servings_per_day": 0.9934133555570474},
            {"sku": "XF-FOLIC-D3-TAB"},
        ],
    }
)
@example(raw={"profile": {"age": 16, "life_stage": "pregnant"}, "limit": 50})
@example(
    raw={
        "profile": {"age": 70, "medications": ["vitamin_k_antagonist"], "goals": ["bones"]},
        "limit": 50,
        "locale": "en",
    }
)
@example(
    raw={
        "profile": {
            "age": 30,
            "diet": "vegan",
            "allergies": ["soy", "fish"],
            "conditions": ["kidney_stones"],
        },
        "limit": 50,
        "locale": "de",
    }
)
@example(
    raw={"profile": {"age": 65, "conditions": ["sarcoidosis"], "goals": ["bones"]}, "limit": 50}
)
def test_recommendations_keep_every_guarantee(recommender, raw):
    assert_safe(raw, recommend(recommender, raw))


@settings(max_examples=100, deadline=None)
@given(raw=requests(), day=st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31)))
def test_recommendations_keep_every_guarantee_on_any_day(recommender, raw, day):
    """Campaigns and other dated rules switch on and off with the calendar: safety does not."""
    body = RecommendationRequestSchema().load(raw)
    assert_safe(raw, recommender.recommend(body, today=day))


# ---------------------------------------------------------------- rule files cannot switch them off
HOSTILE_REASON = {"nl": "Testregel.", "de": "Testregel.", "en": "Test rule."}


def _rule(rule_id: str, action: str, **fields: Any) -> dict[str, Any]:
    rule = {
        "id": rule_id,
        "description": f"test: {rule_id}",
        "when": "true",
        "action": action,
        "priority": 1000,
    }
    if action in ("boost", "pin", "require"):
        rule["reason"] = HOSTILE_REASON
    rule.update(fields)
    return rule


HOSTILE_RULES = {
    "source": "test: merchandising that would break every guarantee if it could",
    "rules": [
        _rule("hostile-pin-flagship", "pin", skus=["XF-D3K2-TAB"], position=1),
        _rule("hostile-pin-fish", "pin", skus=["NV-D3K2-FISH-SG"], position=2),
        _rule("hostile-pin-mk4", "pin", skus=["XF-K2-MK4-45MG-CAP"], position=3),
        _rule("hostile-pin-d100", "pin", skus=["XF-D3-100-CAP"], position=4),
        _rule(
            "hostile-pin-calcium", "pin", products="product.nutrients.calcium_mg > 0.0", position=5
        ),
        _rule(
            "hostile-boost-k2", "boost", products="product.nutrients.vitamin_k2_ug > 0.0", weight=1
        ),
        _rule(
            "hostile-boost-k1", "boost", products="product.nutrients.vitamin_k1_ug > 0.0", weight=1
        ),
        _rule("hostile-boost-animal", "boost", products="!product.vegan", weight=1),
        _rule(
            "hostile-bury-safe",
            "bury",
            products="product.vegan && product.nutrients.vitamin_k2_ug == 0.0",
            weight=1,
        ),
        _rule(
            "hostile-require",
            "require",
            products="product.nutrients.vitamin_k2_ug > 0.0 || "
            "product.nutrients.vitamin_k1_ug > 0.0 || "
            "product.nutrients.calcium_mg > 0.0 || !product.vegan",
        ),
    ],
}


@pytest.fixture()
def hostile(data_copy) -> Recommender:
    path = data_copy.merchandising_dir / "zz_hostile.yaml"
    path.write_text(
        yaml.safe_dump(HOSTILE_RULES, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)


def test_hostile_rules_are_in_force(hostile):
    """Sanity: the hostile file is loaded and acts where no guarantee stands in its way."""
    # serum below 30 nmol/l: the 75 µg flagship is within the dose band (guarantee 10)
    raw = {"profile": {"age": 40, "serum_25ohd_nmol_l": 20.0}, "limit": 10}
    response = recommend(hostile, raw)
    assert response["items"][0]["sku"] == "XF-D3K2-TAB"
    assert any(r["code"] == "rule:hostile-pin-flagship" for r in response["items"][0]["reasons"])
    assert_safe(raw, response)


@pytest.mark.parametrize(
    "profile",
    [
        {"age": 40, "medications": ["vitamin_k_antagonist"]},
        {"age": 40, "diet": "vegan"},
        {"age": 40, "diet": "vegetarian", "allergies": ["fish", "soy", "milk"]},
        {"age": 40, "life_stage": "pregnant"},
        {"age": 15},
        {"age": 40, "conditions": ["kidney_disease"]},
        {"age": 40, "conditions": ["kidney_stones"]},
        {"age": 40, "current_supplements": [{"label": "D", "nutrients": {"vitamin_d_ug": 50}}]},
    ],
)
def test_hostile_rules_fixed_profiles(hostile, profile):
    raw = {"profile": profile, "limit": 50, "locale": "en"}
    assert_safe(raw, recommend(hostile, raw))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=requests(
        profile=st.one_of(
            profiles(
                medications=st.lists(st.sampled_from(MEDICATIONS), max_size=3, unique=True).map(
                    lambda m: sorted({"vitamin_k_antagonist", *m})
                )
            ),
            profiles(diet=st.just("vegan")),
        )
    )
)
def test_hostile_rules_cannot_break_guarantees(hostile, raw):
    assert_safe(raw, recommend(hostile, raw))


DISEASE_CLAIMS = {
    "nl": "Voorkomt botontkalking.",
    "de": "Beugt Osteoporose vor.",
    "en": "Prevents osteoporosis and protects against flu.",
}
CLAIM_PROFILE = {"age": 75, "goals": ["bones"]}


def test_disease_claim_in_a_rule_file_is_refused_at_load(data_copy):
    """Regression (issue 13, defect 4): this test returned early when the file was refused and
    asserted nothing. The refusal itself is the guarantee: it names the file and the reason."""
    rules = {
        "source": "test",
        "rules": [
            _rule("claim-pin", "pin", skus=["XF-D3-20-TAB"], position=1, reason=DISEASE_CLAIMS)
        ],
    }
    (data_copy.merchandising_dir / "zz_claim.yaml").write_text(
        yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(DataFileError) as refused:
        Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    claim_findings = [
        f for f in refused.value.findings if f.file.endswith("zz_claim.yaml") and f.line > 1
    ]
    assert claim_findings, [str(f) for f in refused.value.findings]
    assert any("claim" in (f.code + f.message).lower() for f in claim_findings)


def test_disease_claim_that_slips_past_the_loader_never_reaches_a_customer(data_copy):
    """The run-time claim filter, defence in depth behind the load-time check: a rule whose
    reason becomes a disease claim after loading (a loader bug, an in-memory edit) still shows
    its product, never the text."""
    rules = {
        "source": "test",
        "rules": [
            _rule(
                "claim-pin",
                "pin",
                skus=["XF-D3-20-TAB"],
                position=1,
                reason={  # two claims: not a sentence that another reason says whole
                    "nl": "Vitamine D draagt bij tot de instandhouding van normale botten. "
                    "Vitamine D draagt bij tot de normale werking van het immuunsysteem.",
                    "de": "Vitamin D trägt zur Erhaltung normaler Knochen bei. "
                    "Vitamin D trägt zu einer normalen Funktion des Immunsystems bei.",
                    "en": "Vitamin D contributes to the maintenance of normal bones. "
                    "Vitamin D contributes to the normal function of the immune system.",
                },
            )
        ],
    }
    (data_copy.merchandising_dir / "zz_claim.yaml").write_text(
        yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8"
    )
    service = Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    (pin,) = [r for r in service.snapshot.rules.rules if r.id == "claim-pin"]
    before = recommend(service, {"profile": CLAIM_PROFILE, "limit": 10, "locale": "en"})
    assert "rule:claim-pin" in {r["code"] for i in before["items"] for r in i["reasons"]}
    object.__setattr__(pin, "reason", dict(DISEASE_CLAIMS))
    for locale in LOCALES:
        raw = {"profile": CLAIM_PROFILE, "limit": 10, "locale": locale}
        answer = recommend(service, raw)
        assert "XF-D3-20-TAB" in {i["sku"] for i in answer["items"]}
        shown = [r["text"] for i in answer["items"] for r in i["reasons"] + i["warnings"]]
        assert DISEASE_CLAIMS[locale] not in shown
        assert_safe(raw, answer)


def _drop_exclusion(text: str, interaction_id: str) -> str:
    document = yaml.safe_load(text)
    for item in document["interactions"]:
        if item["id"] == interaction_id:
            item.pop("exclude", None)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    "interaction_id, profile",
    [
        (
            "vitamin-k-antagonist",
            {"age": 70, "medications": ["vitamin_k_antagonist"], "goals": ["bones"]},
        ),
        (
            "calcium-contraindicated-conditions",
            {"age": 70, "conditions": ["hypercalcaemia"], "goals": ["bones"]},
        ),
        ("kidney-stones", {"age": 70, "conditions": ["kidney_stones"], "goals": ["bones"]}),
        ("kidney-disease-magnesium", {"age": 70, "conditions": ["kidney_disease"]}),
        ("haemochromatosis", {"age": 50, "conditions": ["haemochromatosis"]}),
        ("oral-retinoid", {"age": 25, "medications": ["oral_retinoid"]}),
        ("active-vitamin-d", {"age": 70, "medications": ["active_vitamin_d"]}),
        ("iodine-with-a-doctor", {"age": 60, "medications": ["amiodarone"]}),
        ("iodine-with-a-doctor", {"age": 60, "conditions": ["thyroid_disease"]}),
    ],
)
def test_reference_rules_cannot_drop_an_exclusion(data_copy, interaction_id, profile):
    path = data_copy.reference_dir / "interactions.yaml"
    path.write_text(
        _drop_exclusion(path.read_text(encoding="utf-8"), interaction_id), encoding="utf-8"
    )
    # Regression (issue 13, defect 4): this test returned early on the refusal and asserted
    # nothing; the refusal, naming the file and the guarantee, is what it pins.
    with pytest.raises(DataFileError) as refused:
        Recommender(data_copy, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    assert any(
        f.code == "guarantee_not_covered" and f.file.endswith("interactions.yaml")
        for f in refused.value.findings
    ), [str(f) for f in refused.value.findings]


# ---------------------------------------------------------------- the web layer
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=requests())
def test_http_recommendations_keep_every_guarantee(client, raw):
    response = client.post("/v1/recommendations", json=raw)
    assert response.status_code == 200, (response.status_code, response.get_json())
    assert_safe(raw, response.get_json())


GRID_SERVINGS = st.sampled_from([0.25, 0.5, 1, 1.5, 2, 3, 4, 6])


@st.composite
def grid_free_line(draw: st.DrawFn) -> dict[str, Any]:
    """Amounts on a 0.5 grid (and whole IU), so a total equal to a limit is exactly equal."""
    keys = draw(FREE_KEYS)
    nutrients: dict[str, float] = {}
    for key in keys:
        top = SCALE[key]
        if key == "vitamin_d_iu":
            nutrients[key] = draw(
                st.sampled_from([400, 1000, 2000, 3000, 4000])
                | st.integers(0, top).map(lambda x: x - x % 40)
            )
        else:
            nutrients[key] = draw(
                st.sampled_from([top / 4, top / 2, top])
                | st.integers(0, 2 * top).map(lambda x: x / 2)
            )
    return {"label": "free", "nutrients": nutrients}


GRID_LINES = st.lists(
    st.one_of(sku_line(GRID_SERVINGS), grid_free_line()), max_size=4, unique_by=_sku_once
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.fixed_dictionaries(
        {"profile": profiles(current=GRID_LINES)},
        optional={"basket": GRID_LINES, "locale": st.sampled_from(LOCALES)},
    )
)
@example(
    raw={
        "profile": {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
        "basket": [{"label": "D", "nutrients": {"vitamin_d_iu": 1000}}],
    }
)
@example(
    raw={
        "profile": {"age": 40, "current_supplements": [{"sku": "XF-D3-75-TAB"}]},
        "basket": [{"label": "D", "nutrients": {"vitamin_d_iu": 1040}}],
    }
)
@example(
    raw={"profile": {"age": 0}, "basket": [{"sku": "XF-D3-KIDS-DROPS", "servings_per_day": 3}]}
)
@example(  # session 11: 7.5 mg vitamin B6 at a room of 10.7 - 3.2 (float noise, not above)
    raw={
        "profile": {
            "age": 17,
            "sex": "female",
            "country": "DE",
            "life_stage": "pregnant",
            "current_supplements": [{"label": "free", "nutrients": {"vitamin_b6_mg": 7.5}}],
        }
    }
)
def test_http_intake_check_totals_and_status(client, raw):
    response = client.post("/v1/intake/check", json=raw)
    assert response.status_code == 200, (response.status_code, response.get_json())
    assert_intake_check(raw, response.get_json(), grid=True)


@settings(max_examples=150, deadline=None)
@given(
    raw=st.fixed_dictionaries(
        {"profile": profiles(current=lines(5))},
        optional={"basket": lines(5), "locale": st.sampled_from(LOCALES)},
    )
)
def test_intake_check_totals_and_status(recommender, raw):
    """Any floats (servings like 0.37, 1234.5 IU): totals and status still match our sums."""
    body = recommender.check_intake(IntakeCheckRequestSchema().load(raw))
    assert_intake_check(raw, body, grid=False)


def assert_intake_check(raw: dict[str, Any], body: dict[str, Any], grid: bool) -> None:
    """Totals are our sums; status is above_upper_limit exactly when amount > upper_limit.

    With amounts on a grid a total equal to its limit is exactly equal (and must be "ok"); with
    arbitrary floats, totals within float noise of the limit are not judged.
    """
    profile = raw["profile"]
    intake = expected_intake(raw)
    over = set()
    for n in NUTRIENTS:
        total = body["totals"][n]
        limit = expected_upper_limit(n, profile["age"], profile.get("life_stage", "none"))
        assert close(total["amount"], intake[n]), (n, total, intake[n])
        if limit is None:
            assert total["upper_limit"] is None, (n, total)
            assert total["status"] == "ok", (n, total)
            continue
        assert total["upper_limit"] is not None and close(total["upper_limit"], limit), (
            n,
            total,
            limit,
        )
        # R13: the verdict counts the food allowance where the limit is for total intake
        room = expected_room(profile, n)
        assert room is not None
        # review 11 R11-4: food alone above a limit for total intake makes the total above it
        # (amount + food), with no violation: the supplements add nothing
        food_alone = not within(expected_food(profile, n), limit)
        above_room = not within(intake[n], room)
        expected = "above_upper_limit" if above_room or food_alone else "ok"
        if above_room:
            over.add(n)
        if not grid and abs(intake[n] - room) <= 1e-6 * limit:
            if total["status"] == "above_upper_limit" and not food_alone:
                over.add(n)
            if food_alone and n in {v["nutrient"] for v in body["violations"]}:
                over.add(n)
            if not food_alone:
                continue
        assert total["status"] == expected, (n, total, intake[n], limit, room)
        if grid:  # the response agrees with itself, too
            # float noise is no crossing: 7.5 against 10.7 - 3.2 = 7.4999... is at the room
            assert (total["status"] == "above_upper_limit") == (
                not within(total["amount"], max(total["upper_limit"] - total["food"], 0))
                or not within(total["food"], total["upper_limit"])
            ), (n, total)
    assert {v["nutrient"] for v in body["violations"]} == over
    lines_all = list(profile.get("current_supplements", [])) + list(raw.get("basket", []))
    for violation in body["violations"]:
        n = violation["nutrient"]
        for line in lines_all:
            if "sku" in line and line_amounts(line).get(n, 0) > 0:
                assert line["sku"] in violation["skus"], (violation, line)
    for message in body["warnings"]:
        assert claim_in(message["text"]) is None, message


# ---------------------------------------------------------------- contract v1.1, forced
V11_MEDICATIONS = ["oral_retinoid", "amiodarone", "active_vitamin_d", "antiplatelet"]
V11_MEDICATIONS += ["integrase_inhibitor", "vitamin_k_antagonist"]
V11_CONDITIONS = ["thyroid_disease", "haemochromatosis", "bariatric_surgery", "kidney_disease"]


@settings(max_examples=60, deadline=None)
@given(
    raw=requests(
        profile=profiles(
            medications=st.lists(st.sampled_from(V11_MEDICATIONS), max_size=3, unique=True),
            conditions=st.lists(st.sampled_from(V11_CONDITIONS), max_size=2, unique=True),
            life_stage=st.sampled_from(LIFE_STAGES),
            country=st.sampled_from(["NL", "DE", "FR"]),
        )
    )
)
@example(
    raw={
        "profile": {"age": 30, "life_stage": "pregnant", "medications": [], "conditions": []},
        "limit": 50,
        "category": "vitamin_d",
    }
)
@example(
    raw={
        "profile": {"age": 2, "country": "DE", "medications": [], "conditions": []},
        "limit": 50,
    }
)
def test_v11_profiles_keep_every_guarantee(recommender, raw):
    """Guarantees 6 (v1.1 codes), 8 (market law), 9 (food) and the pregnancy cap, on profiles
    that always carry the new codes, a life stage and a market."""
    assert_safe(raw, recommend(recommender, raw))
