"""A realistic spread of stored customer profiles: most give little more than age and country.

Shares of the population (documented so the benchmark's dedupe rate can be judged):
  60 %  age (18-85), sex, country only
  25 %  + diet and one or two goals
  15 %  + a medication or condition, current supplements, sun exposure, serum level
"""

from __future__ import annotations

import numpy as np

from service.core.vocabulary import CONDITIONS, GOALS, MEDICATIONS


def customer_profiles(count: int, skus: list[str], seed: int = 5) -> list[dict]:
    rng = np.random.default_rng(seed)
    profiles = []
    for _ in range(count):
        profile: dict = {
            "age": int(rng.integers(18, 86)),
            "sex": str(rng.choice(["female", "male"])),
            "country": str(rng.choice(["NL", "DE"], p=[0.6, 0.4])),
        }
        tier = rng.random()
        if tier >= 0.60:
            profile["diet"] = str(
                rng.choice(["omnivore", "vegetarian", "vegan"], p=[0.7, 0.2, 0.1])
            )
            profile["goals"] = sorted({str(g) for g in rng.choice(GOALS, int(rng.integers(1, 3)))})
        if tier >= 0.85:
            if rng.random() < 0.5:
                profile["medications"] = [str(rng.choice(MEDICATIONS))]
            else:
                profile["conditions"] = [str(rng.choice(CONDITIONS))]
            profile["current_supplements"] = [{"sku": str(rng.choice(skus))}]
            profile["sun_exposure"] = str(rng.choice(["low", "moderate", "high"]))
            profile["serum_25ohd_nmol_l"] = float(rng.integers(20, 120))
        profiles.append(profile)
    return profiles
