"""How a pharmacist would read the lists: over a seeded sample of NL/DE profiles (limit 10),
the share of items without a reason, items far above the dose band of the advice they are
offered for, the mean list length and the share of lists that show the flagship.

    .venv/bin/python -m bench.advice_quality [--count 300] [--date 2026-12-01] [--json]

Items "above the dose band" are counted independently of the service's own code: an item that
carries vitamin D whose daily dose is more than `dose_band.factor` (scoring.yaml) times the
highest vitamin D advice of the country for this profile (domain.md: Gezondheidsraad NL 10/20 µg,
DGE DE 20 µg; infants 10 µg), when neither a serum level below 50 nmol/l nor a doctor's advised
dose justifies it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from service.core.ranking import recommend
from service.core.requests import RecommendationRequest
from service.core.samples import sample_profiles
from service.core.snapshot import DataPaths, load_snapshot

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = "XF-D3K2-TAB"
DOSE_FACTOR = 2.5  # the factor; kept here so that the measure does not trust the data


def vitamin_d_advice(profile: dict, month: int) -> float | None:
    """domain.md's vitamin D supplement advice, per market (an independent reading)."""
    age = profile["age"]
    country = profile.get("country", "NL")
    if country == "DE":
        if age == 0:
            return 10.0
        winter = month in (10, 11, 12, 1, 2, 3)
        if winter or profile.get("sun_exposure") == "low":
            return 20.0
        return None
    if age >= 70:
        return 20.0
    if (
        age <= 3
        or profile.get("life_stage") in ("pregnant", "breastfeeding")
        or (profile.get("sex") == "female" and 50 <= age < 70)
        or (profile.get("skin_type") or 0) >= 5
        or profile.get("sun_exposure") == "low"
    ):
        return 10.0
    return None


def measure(count: int, day: dt.date) -> dict:
    snapshot = load_snapshot(DataPaths(ROOT / "catalog" / "products.yaml", ROOT / "rules"))
    skus = [p.sku for p in snapshot.catalog.products]
    profiles = sample_profiles(count, skus, seed=5)
    items = without_reason = above_band = flagship_lists = 0
    nl_adults = nl_first_d_above_25 = 0  # the measure: NL adults 18-69
    examples: list[str] = []
    for profile in profiles:
        request = RecommendationRequest.from_dict({"profile": profile, "limit": 10, "locale": "en"})
        body = recommend(snapshot, request, day)
        advice = vitamin_d_advice(profile, day.month)
        serum = profile.get("serum_25ohd_nmol_l")
        justified = (serum is not None and serum < 50) or bool(
            (profile.get("higher_dose_advised") or {}).get("vitamin_d_ug")
        )
        shown = [item["sku"] for item in body["items"]]
        if profile.get("country") == "NL" and 18 <= profile["age"] < 70:
            nl_adults += 1
            first_d = next(
                (i for i in body["items"] if i["nutrients_per_day"].get("vitamin_d_ug", 0) > 0),
                None,
            )
            if first_d is not None and first_d["nutrients_per_day"]["vitamin_d_ug"] > 25:
                nl_first_d_above_25 += 1
        if FLAGSHIP in shown:
            flagship_lists += 1
        for item in body["items"]:
            items += 1
            if not item["reasons"]:
                without_reason += 1
            d = item["nutrients_per_day"].get("vitamin_d_ug", 0)
            band = (advice or 15.0) * DOSE_FACTOR  # no advice: EFSA AI 15 µg as the yardstick
            if d > band and not justified:
                above_band += 1
                if len(examples) < 5:
                    examples.append(f"{profile} -> {item['sku']} ({d} µg)")
    lists = len(profiles)
    return {
        "profiles": lists,
        "date": day.isoformat(),
        "items": items,
        "items_without_reason": without_reason,
        "share_without_reason": round(without_reason / items, 4) if items else 0.0,
        "items_above_dose_band": above_band,
        "mean_list_length": round(items / lists, 2),
        "share_lists_with_flagship": round(flagship_lists / lists, 4),
        "nl_adults_18_69": nl_adults,
        "nl_adults_first_vitamin_d_above_25_ug": nl_first_d_above_25,
        "examples_above_band": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.count, args.date)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if key != "examples_above_band":
            print(f"{key:28} {value}")
    for example in result["examples_above_band"]:
        print("  e.g.", example)


if __name__ == "__main__":
    main()
