"""Seeded samples of realistic profiles: for lint (does a rule ever match?), rule diffs and
benchmarks (stored customers). Most people give little more than age and country:

  60 %  age, sex, country only (10 % children unless adults_only: then 18-85)
  25 %  + diet and one or two goals (some pregnancy or breastfeeding, some skin type)
  15 %  + a medication or condition, current supplements, sun exposure and a serum level

Documented so that a benchmark's dedupe rate (identical profiles computed once) can be judged.
"""

from __future__ import annotations

import numpy as np

from .vocabulary import CONDITIONS, GOALS, MEDICATIONS


def sample_profiles(
    count: int, skus: list[str], seed: int = 5, adults_only: bool = False
) -> list[dict]:
    rng = np.random.default_rng(seed)
    profiles = []
    for _ in range(count):
        if adults_only:
            age = int(rng.integers(18, 86))
        else:
            age = int(
                rng.choice([int(rng.integers(0, 18)), int(rng.integers(18, 90))], p=[0.1, 0.9])
            )
        profile: dict = {
            "age": age,
            "sex": str(rng.choice(["female", "male"])),
            "country": str(rng.choice(["NL", "DE"], p=[0.6, 0.4])),
        }
        tier = rng.random()
        if tier >= 0.60:
            profile["diet"] = str(
                rng.choice(["omnivore", "vegetarian", "vegan"], p=[0.7, 0.2, 0.1])
            )
            profile["goals"] = sorted({str(g) for g in rng.choice(GOALS, int(rng.integers(1, 3)))})
            if profile["sex"] == "female" and 18 <= age <= 45 and rng.random() < 0.15:
                profile["life_stage"] = str(rng.choice(["pregnant", "breastfeeding"]))
            if rng.random() < 0.3:
                profile["skin_type"] = int(rng.integers(1, 7))
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
