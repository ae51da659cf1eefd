"""The hidden preferences of the simulated shops (simulator.py): category appeal, price
sensitivity by age, forms for children and adults, and the second shop's other tastes. The
learners never see them; they only see the events the simulator draws from them."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORY_APPEAL: dict[str, float] = {
    "vitamin_d": 0.4,
    "magnesium": 0.4,
    "omega3": 0.3,
    "vitamin_d_k2": 0.2,
    "multivitamin": 0.2,
    "vitamin_b12": 0.0,
    "calcium_d3": 0.0,
    "zinc": 0.0,
    "vitamin_k2": -0.1,
    "calcium": -0.2,
    "iron": -0.2,
    "folic_acid": -0.3,
    "selenium": -0.4,
    "vitamin_e": -0.4,
    "vitamin_b6": -0.4,
    "iodine": -0.5,
    "vitamin_a": -0.6,
}
PRICE_SENSITIVITY_BY_AGE: tuple[tuple[int, float], ...] = (
    (11, 1.0),
    (17, 1.5),
    (29, 2.0),
    (49, 1.0),
    (64, 0.0),
    (200, -0.5),
)
CHILD_FORMS = ("gummy", "chewable", "drops", "spray")
PILL_FORMS = ("tablet", "capsule", "softgel")


@dataclass(frozen=True)
class Preferences:
    """The hidden preferences (utility terms) and behaviour constants; see the module docstring."""

    gap_fill: float = 0.6
    goal_match: float = 0.8
    appeal: float = 0.5  # times CATEGORY_APPEAL
    bestseller: float = 0.3
    older_d3_k2: float = 3.0  # 60+, vitamin_d_k2
    older_calcium_d3: float = 1.5  # 60+, calcium_d3
    older_k2: float = 1.0  # 60+, vitamin_k2
    older_chewable: float = -1.5  # 60+, gummies and chewables
    under_40_d3_k2: float = -1.5  # under 40: K2 combinations are not for them
    under_40_calcium_d3: float = -1.0
    women_50_calcium_d3: float = 1.25
    women_18_49_iron: float = 1.5
    men_iron: float = -1.5
    young_gummy: float = 1.5  # 18-29, gummies
    vegan_lichen: float = 3.75
    vegan_algae: float = 2.5
    vegetarian_lichen: float = 1.25
    child_forms: float = 2.5  # under 12: + gummy, chewable, drops, spray; - pills
    senior_liquid: float = 0.75  # 65+: + drops, liquid
    senior_big_pill: float = -1.0  # 65+: capsules, softgels
    german_capsule: float = 1.0
    german_tablet: float = -0.5
    dutch_tablet: float = 0.5
    dutch_capsule: float = -0.75
    sport_magnesium: float = 2.0
    heart_omega3: float = 1.0
    category_appeal: tuple[tuple[str, float], ...] = tuple(CATEGORY_APPEAL.items())
    # (oldest age of the band, mean price sensitivity), youngest band first
    price_sensitivity_by_age: tuple[tuple[int, float], ...] = PRICE_SENSITIVITY_BY_AGE
    price_sensitivity_sd: float = 0.35  # log-normal factor on the mean by age
    taste_sd: float = 0.25  # personal taste per category
    conversion_sd: float = 0.5
    seen_top: float = 0.9  # P(seen) = seen_top x position^-seen_decay
    seen_decay: float = 0.5
    click_offset: float = -3.5  # P(click | seen) = sigmoid(u + click_offset)
    cart_offset: float = -4.0  # P(cart | click) = sigmoid(u + cart_offset + conversion)
    buy_offset: float = -1.5  # P(buy | cart) = sigmoid(0.5 u + buy_offset + conversion)


# A second shop whose customers want other things (weights changed in sign or size, other
# category appeal, price sensitivity rising with age, more personal taste). It exists to check
# that what serves is learned from the logs and not fitted to the shipped simulator: nothing in
# training or blending was tuned against it (bench/learning.py reports both).
SECOND_SHOP = Preferences(
    gap_fill=1.0,
    goal_match=0.4,
    bestseller=0.6,
    older_d3_k2=1.0,
    older_calcium_d3=2.5,
    older_k2=0.0,
    older_chewable=0.5,
    under_40_d3_k2=0.5,
    under_40_calcium_d3=-0.5,
    women_50_calcium_d3=0.5,
    women_18_49_iron=2.5,
    men_iron=-0.5,
    young_gummy=-1.0,
    vegan_lichen=1.5,
    vegan_algae=4.0,
    vegetarian_lichen=0.5,
    child_forms=1.5,
    senior_liquid=-0.5,
    senior_big_pill=0.5,
    german_capsule=-0.5,
    german_tablet=1.0,
    dutch_tablet=-0.5,
    dutch_capsule=0.75,
    sport_magnesium=1.0,
    heart_omega3=2.5,
    category_appeal=(
        ("omega3", 0.5),
        ("multivitamin", 0.4),
        ("zinc", 0.3),
        ("magnesium", 0.2),
        ("vitamin_b12", 0.2),
        ("vitamin_d", 0.1),
        ("iron", 0.0),
        ("calcium_d3", 0.0),
        ("vitamin_d_k2", -0.1),
        ("selenium", -0.1),
        ("vitamin_e", -0.2),
        ("calcium", -0.3),
        ("folic_acid", -0.3),
        ("vitamin_k2", -0.4),
        ("iodine", -0.4),
        ("vitamin_b6", -0.5),
        ("vitamin_a", -0.6),
    ),
    price_sensitivity_by_age=((11, 0.5), (17, 1.0), (29, 0.5), (49, 1.5), (64, 1.5), (200, 2.0)),
    taste_sd=0.5,
)
# Named simulator configurations (`dosewise simulate --shop NAME`, bench/learning.py).
SHOPS: dict[str, Preferences] = {"shipped": Preferences(), "second": SECOND_SHOP}
