"""The core's answers as canonical JSON, one line per request, for comparing two checkouts
byte for byte (issue 16, session 12: a faster core must not change any answer).

Seeded, varied requests: `bench/profiles.py` bodies, `service/core/samples.py` profiles with
locales, baskets, limits and exclusions, and a wide generated spread (every vocabulary value:
sexes, life stages, diets, allergies, medications, conditions, goals, markets NL/DE and
others, serum levels, doctors' doses, free-text and SKU lines with servings, categories,
explain, jurisdictions). Each is validated by the contract's schema and answered by
`Recommender.recommend` (answer cache off); a refused request writes its error. Also the
placements (`recommend_placement`) and a refresh's parts (`plain_and_precomputed`) for a
share of them, and the intake check for a third. Nothing in these answers is random or
time-based (the day is fixed).

    python -m bench.core_equivalence OUT.jsonl [--count 2400] [--skus 1000]
    # with another checkout's code: run from there, or
    python bench/core_equivalence.py OUT.jsonl --root /path/to/checkout
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

TODAY = dt.date(2026, 11, 28)


def _generated(count: int, skus: list[str], jurisdictions: list[str], seed: int) -> list[dict]:
    from service.core.vocabulary import (
        ALLERGENS,
        CONDITIONS,
        DIETS,
        GOALS,
        LIFE_STAGES,
        LOCALES,
        MEDICATIONS,
        SEXES,
        SUN_EXPOSURES,
    )

    rng = np.random.default_rng(seed)
    amounts = {
        "vitamin_d_ug": [5, 10, 25, 75, 100],
        "vitamin_d_iu": [400, 1000, 4000],
        "calcium_mg": [200, 500, 1200],
        "iron_mg": [5, 14, 45],
        "vitamin_a_ug": [300, 800, 3000],
        "iodine_ug": [50, 150, 600],
        "magnesium_mg": [100, 250],
        "zinc_mg": [5, 15, 40],
        "folate_ug": [200, 400, 1000],
        "vitamin_b6_mg": [1.4, 10, 25],
    }

    def some(values: tuple | list, most: int) -> list[str]:
        n = int(rng.integers(0, most + 1))
        return sorted({str(v) for v in rng.choice(values, size=n)}) if n else []

    def line() -> dict:
        if rng.random() < 0.6:
            out: dict[str, Any] = {"sku": str(rng.choice(skus))}
            if rng.random() < 0.3:
                out["servings_per_day"] = float(rng.choice([0.5, 1, 2, 3]))
            return out
        keys = rng.choice(sorted(amounts), size=int(rng.integers(1, 3)), replace=False)
        if {"vitamin_d_ug", "vitamin_d_iu"} <= set(keys):
            keys = [k for k in keys if k != "vitamin_d_iu"]
        return {"nutrients": {str(k): float(rng.choice(amounts[str(k)])) for k in keys}}

    def lines(most: int) -> list[dict]:
        out, seen = [], set()
        for _ in range(int(rng.integers(0, most + 1))):
            item = line()
            if "sku" in item:
                if item["sku"] in seen:
                    continue
                seen.add(item["sku"])
            out.append(item)
        return out

    bodies = []
    for _ in range(count):
        age = int(rng.choice([0, 1, 3, 6, 10, 14, 17, 18, 22, 30, 38, 44, 51, 60, 70, 85, 101]))
        profile: dict[str, Any] = {"age": age}
        if rng.random() < 0.9:
            profile["sex"] = str(rng.choice(SEXES))
        profile["country"] = str(rng.choice(["NL", "DE", "NL", "DE", "BE", "nl"]))
        for key, values in (("diet", DIETS), ("sun_exposure", SUN_EXPOSURES)):
            if rng.random() < 0.6:
                profile[key] = str(rng.choice(values))
        if rng.random() < 0.35:
            stage = str(rng.choice(LIFE_STAGES))
            if stage != "none" and 18 <= age <= 45:
                profile["sex"] = "female"
                profile["life_stage"] = stage
            elif stage == "none":
                profile["life_stage"] = stage
        for key, values, most, p in (
            ("allergies", ALLERGENS, 2, 0.25),
            ("medications", MEDICATIONS, 2, 0.3),
            ("conditions", CONDITIONS, 2, 0.25),
            ("goals", GOALS, 3, 0.6),
        ):
            if rng.random() < p:
                profile[key] = some(values, most)
        if rng.random() < 0.2:
            profile["skin_type"] = int(rng.integers(1, 7))
        if rng.random() < 0.25:
            profile["serum_25ohd_nmol_l"] = float(rng.choice([12, 25, 40, 60, 90, 160]))
        if rng.random() < 0.1:
            profile["dairy_portions_per_day"] = float(rng.choice([0, 1, 2.5, 6]))
        if rng.random() < 0.08:
            profile["higher_dose_advised"] = {
                str(rng.choice(["vitamin_d_ug", "iron_mg", "iodine_ug"])): float(
                    rng.choice([50, 100, 4000])
                )
            }
        if rng.random() < 0.45:
            profile["current_supplements"] = lines(3)
        body: dict[str, Any] = {"profile": profile}
        if rng.random() < 0.4:
            body["basket"] = lines(3)
        if rng.random() < 0.7:
            body["limit"] = int(rng.choice([1, 3, 5, 5, 10, 20, 50]))
        if rng.random() < 0.9:
            body["locale"] = str(rng.choice(LOCALES))
        if rng.random() < 0.15:
            body["exclude_skus"] = sorted({str(s) for s in rng.choice(skus, 2)})
        if rng.random() < 0.15:
            body["explain"] = True
        if rng.random() < 0.1 and jurisdictions:
            body["jurisdiction"] = str(rng.choice(jurisdictions))
        bodies.append(body)
    return bodies


def requests(count: int, snapshot: Any) -> list[tuple[str, dict]]:
    from bench.profiles import request_bodies
    from service.core.samples import sample_profiles
    from service.core.vocabulary import LOCALES

    skus = [p.sku for p in snapshot.catalog.products]
    categories = sorted(snapshot.catalog.categories)
    jurisdictions = sorted(snapshot.reference.upper_limits.jurisdictions)
    rng = np.random.default_rng(12)
    out: list[tuple[str, dict]] = []
    quarter = count // 4
    out += [("profiles", b) for b in request_bodies(quarter, skus, seed=12)]
    for profile in sample_profiles(quarter, skus, seed=12):
        body: dict[str, Any] = {"profile": profile, "locale": str(rng.choice(LOCALES))}
        if rng.random() < 0.3:
            body["basket"] = [{"sku": str(rng.choice(skus))}]
        if rng.random() < 0.2:
            body["limit"] = int(rng.integers(1, 30))
        if rng.random() < 0.1:
            body["category"] = str(rng.choice(categories))
        out.append(("samples", body))
    out += [("generated", b) for b in _generated(count - 2 * quarter, skus, jurisdictions, 12)]
    return out


def _line(kind: str, body: dict, answer: Any) -> str:
    return json.dumps(
        {"kind": kind, "body": body, "answer": answer},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def run(out_path: Path, count: int, skus: int | None = None) -> None:
    from service.contract.schemas import IntakeCheckRequestSchema, RecommendationRequestSchema
    from service.core.errors import InvalidInput
    from service.core.placements.serve import plain_and_precomputed, recommend_placement
    from service.core.recommender import Recommender
    from service.core.snapshot import DataPaths
    from service.settings import REPO_ROOT

    paths = DataPaths(REPO_ROOT / "catalog" / "products.yaml", REPO_ROOT / "rules")
    recommender = Recommender(paths, cache_size=0, reload_interval=0, clock=lambda: TODAY)
    if skus is not None:  # the generated catalog of bench/run.py (per-catalog tables anew)
        from service.core.snapshot import load_snapshot
        from service.core.synthetic import synthetic_catalog
        from service.core.yamlfile import load_yaml

        document = synthetic_catalog(load_yaml(paths.catalog), skus)
        recommender._snapshot = load_snapshot(paths, document)
    snapshot = recommender.snapshot
    schema = RecommendationRequestSchema()
    check_schema = IntakeCheckRequestSchema()
    placements = ["home", "cart", "checkout", "account", "email", "product_page"]
    skus = [p.sku for p in snapshot.catalog.products]
    rng = np.random.default_rng(99)
    counts: dict[str, int] = {}
    with out_path.open("w", encoding="utf-8") as out:
        for i, (kind, body) in enumerate(requests(count, snapshot)):
            answers: dict[str, Any] = {}
            try:
                request = schema.load(body)
            except Exception as exc:  # noqa: BLE001 - a refused body is an answer too
                answers["refused"] = f"{type(exc).__name__}: {exc}"
                request = None
            if request is not None:
                try:
                    answers["plain"] = recommender.recommend(request)
                except InvalidInput as exc:
                    answers["plain"] = {"invalid": str(exc), "args": [str(a) for a in exc.args]}
                if i % 4 == 0:
                    name = placements[(i // 4) % len(placements)]
                    data = {**body, "placement": name}
                    if name == "product_page":
                        data["product_sku"] = str(rng.choice(skus))
                    try:
                        answers[name] = recommend_placement(snapshot, schema.load(data), TODAY)
                    except Exception as exc:  # noqa: BLE001
                        answers[name] = f"{type(exc).__name__}: {exc}"
                if i % 5 == 0:
                    locales = (request.locale, "en") if request.locale != "en" else ("en",)
                    try:
                        answers["refresh"] = plain_and_precomputed(
                            snapshot, request, TODAY, locales
                        )
                    except InvalidInput as exc:
                        answers["refresh"] = str(exc)
            if i % 3 == 0:  # the intake check shares the totals, notices and texts
                data = {k: body[k] for k in ("profile", "basket", "locale") if k in body}
                try:
                    answers["check"] = recommender.check_intake(check_schema.load(data))
                except Exception as exc:  # noqa: BLE001
                    answers["check"] = f"{type(exc).__name__}: {exc}"
            counts[kind] = counts.get(kind, 0) + 1
            for name in answers:
                counts[name] = counts.get(name, 0) + 1
            out.write(_line(kind, body, answers) + "\n")
    digest = hashlib.sha256(out_path.read_bytes()).hexdigest()
    print(json.dumps({"file": str(out_path), "sha256": digest, "counts": counts}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=2400)
    parser.add_argument("--root", type=Path, help="run on this checkout's service code")
    parser.add_argument("--skus", type=int, help="a generated catalog of this many products")
    args = parser.parse_args()
    root = args.root if args.root is not None else Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root.resolve()))
    import service

    print("service from", Path(service.__file__).resolve().parent, file=sys.stderr)
    run(args.out, args.count, args.skus)


if __name__ == "__main__":
    main()
