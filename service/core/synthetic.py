"""Synthetic catalogs of any size, varied from the bundled one, for benchmarks and load tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from .yamlfile import load_yaml

DOSE_FACTORS = (0.5, 1.0, 1.0, 1.5, 2.0)


def synthetic_catalog(base: dict, size: int, seed: int = 7) -> dict:
    """A catalog document of `size` products: bundled products with other doses, prices, SKUs.

    Claims whose condition no longer holds after a dose change are dropped, so the result passes
    the same checks as the bundled catalog.
    """
    rng = np.random.default_rng(seed)
    products = base["products"]
    # the bundled products come first, so rules naming their SKUs stay valid
    out = [_plain(p) for p in products[:size]]
    for i in range(size - len(out)):
        template = products[int(rng.integers(len(products)))]
        factor = DOSE_FACTORS[int(rng.integers(len(DOSE_FACTORS)))]
        product = {key: _plain(value) for key, value in template.items()}
        product["sku"] = f"SYN-{i:07d}"
        product["nutrients_per_serving"] = {
            k: round(float(v) * factor, 3) for k, v in template["nutrients_per_serving"].items()
        }
        product["price"] = round(float(template["price"]) * float(rng.uniform(0.7, 1.4)), 2)
        product["in_stock"] = bool(rng.random() > 0.05)
        product["name"] = {loc: f"{name} #{i}" for loc, name in template["name"].items()}
        if factor < 1.0:
            product["claims"] = []
        out.append(product)
    return {
        "source": f"synthetic catalog of {size} products (seed {seed}), from the bundled one",
        "currency": base["currency"],
        "categories": _plain(base["categories"]),
        "products": out,
    }


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def write_synthetic_catalog(base_path: Path, out_path: Path, size: int, seed: int = 7) -> None:
    document = synthetic_catalog(load_yaml(base_path), size, seed)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with out_path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle, Dumper=dumper, allow_unicode=True, sort_keys=False)
