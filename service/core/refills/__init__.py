"""Refills and buy again: when each product a customer bought runs out, which reorder is still
safe for the profile as it is now, and the products bought before that still fit.

Settings and every text are data (rules/refills.yaml). The checks are the recommender's own:
an evaluation of the profile with what it takes (ranking.evaluate), its safety masks (every
guarantee of the contract), the merchandising excludes and the dose band (guarantee 10). A
product that no longer fits is replaced by a safe product of the same role (the same need), or
left out with why.
"""

from .buy_again import (
    BuyAgain,
    buy_again,
    buy_again_choices,
    buy_again_ranked,
    buy_again_reasons,
)
from .check import CheckCache, CheckEvaluation
from .plan import (
    Decision,
    RefillPlan,
    exclusions,
    fits,
    listed_and_due,
    plan_refills,
    replacement,
)
from .render import render_plan, supply_view
from .settings import CONFIG_FILE, TEXTS, RefillConfig, load_refill_config, refill_config
from .supplies import (
    Purchase,
    Supply,
    decode_purchases,
    local_day,
    own_servings,
    run_out_date,
    supplies,
    supplies_of,
)
from .why_texts import why_texts

__all__ = [
    "CONFIG_FILE",
    "TEXTS",
    "BuyAgain",
    "CheckCache",
    "CheckEvaluation",
    "Decision",
    "Purchase",
    "RefillConfig",
    "RefillPlan",
    "Supply",
    "buy_again",
    "buy_again_choices",
    "buy_again_ranked",
    "buy_again_reasons",
    "decode_purchases",
    "exclusions",
    "fits",
    "listed_and_due",
    "load_refill_config",
    "own_servings",
    "local_day",
    "plan_refills",
    "refill_config",
    "render_plan",
    "replacement",
    "run_out_date",
    "supplies",
    "supplies_of",
    "supply_view",
    "why_texts",
]
