"""A realistic, seeded spread of request bodies for benchmarks and load tests."""

from __future__ import annotations

import numpy as np

from service.core.vocabulary import ALLERGENS, CONDITIONS, GOALS, MEDICATIONS


def request_bodies(count: int, skus: list[str], seed: int = 11) -> list[dict]:
    rng = np.random.default_rng(seed)
    bodies = []
    for _ in range(count):
        age = int(rng.choice([2, 8, 16, 25, 34, 45, 52, 61, 67, 72, 80]))
        profile: dict = {
            "age": age,
            "sex": str(rng.choice(["female", "male", "unspecified"])),
            "diet": str(rng.choice(["omnivore", "omnivore", "vegetarian", "vegan"])),
            "sun_exposure": str(rng.choice(["low", "moderate", "high"])),
            "country": str(rng.choice(["NL", "DE"])),
            "goals": sorted({str(g) for g in rng.choice(GOALS, size=int(rng.integers(0, 3)))}),
        }
        if rng.random() < 0.15:
            profile["allergies"] = [str(rng.choice(ALLERGENS))]
        if rng.random() < 0.15:
            profile["medications"] = [str(rng.choice(MEDICATIONS))]
        if rng.random() < 0.1:
            profile["conditions"] = [str(rng.choice(CONDITIONS))]
        if age >= 18 and profile["sex"] == "female" and age < 45 and rng.random() < 0.2:
            profile["life_stage"] = "pregnant"
        if rng.random() < 0.4:
            profile["current_supplements"] = [{"sku": str(rng.choice(skus))}]
        if rng.random() < 0.2:
            profile["serum_25ohd_nmol_l"] = float(rng.integers(15, 120))
        body = {"profile": profile, "limit": 5, "locale": str(rng.choice(["nl", "de", "en"]))}
        if rng.random() < 0.3:
            body["basket"] = [{"sku": str(rng.choice(skus))}]
        bodies.append(body)
    return bodies
